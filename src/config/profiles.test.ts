import { describe, expect, it } from 'vitest';
import { PROFILES, resolveContract } from './profiles.js';

describe('resolveContract', () => {
  it('defaults to the ietf profile', () => {
    expect(resolveContract(undefined)).toEqual({ profile: 'ietf', ...PROFILES.ietf });
    expect(resolveContract(null).onMismatch).toEqual([422]);
  });
  it('stripe: keys optional, mismatch 400, replay header', () => {
    expect(resolveContract({ profile: 'stripe' })).toMatchObject({
      keyRequired: false,
      onMissingKey: [],
      onMismatch: [400],
      onInFlight: [409],
      errorsReplayed: true,
      replayHeader: 'Idempotent-Replayed',
    });
  });
  it('lenient allows waiting', () => {
    expect(resolveContract({ profile: 'lenient' })).toMatchObject({
      onInFlight: [409, 423, 425, 429, 503],
      inFlightMayWait: true,
    });
  });
  it('overrides field by field; onInFlight replaces statuses and the wait flag together', () => {
    expect(resolveContract({ profile: 'lenient', onInFlight: [409] })).toMatchObject({
      onInFlight: [409],
      inFlightMayWait: false,
    });
    expect(resolveContract({ onInFlight: 'wait' })).toMatchObject({ onInFlight: [], inFlightMayWait: true });
    expect(resolveContract({ onInFlight: [409, 'wait', 409] })).toMatchObject({
      onInFlight: [409],
      inFlightMayWait: true,
    });
  });
  it('replayHeader: absent keeps the profile, null removes it', () => {
    expect(resolveContract({ profile: 'stripe', replayHeader: null }).replayHeader).toBeUndefined();
    expect(resolveContract({ profile: 'stripe' }).replayHeader).toBe('Idempotent-Replayed');
  });
  it('never hands out the preset arrays themselves', () => {
    expect(resolveContract({}).onMismatch).not.toBe(PROFILES.ietf.onMismatch);
  });
});
