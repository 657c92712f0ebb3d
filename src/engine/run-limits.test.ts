import { describe, expect, it } from 'vitest';
import { RunLimits } from './run-limits.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RunLimits', () => {
  it('an interruption stops sending at once and cuts requests in flight only after the grace period', async () => {
    const user = new AbortController();
    const limits = new RunLimits({ signal: user.signal, graceMs: 150, deadlineMs: undefined });
    try {
      expect(limits.stop.aborted).toBe(false);
      user.abort();
      expect(limits.stop.aborted).toBe(true);
      expect(limits.inflight.aborted).toBe(false);
      await wait(400);
      expect(limits.inflight.aborted).toBe(true);
      expect(limits.deadlineReached).toBe(false);
    } finally {
      limits.dispose();
    }
  });

  it('the deadline stops the run the same way and says so', async () => {
    const limits = new RunLimits({ signal: undefined, graceMs: 50, deadlineMs: 60 });
    try {
      await wait(300);
      expect(limits.stop.aborted).toBe(true);
      expect(limits.inflight.aborted).toBe(true);
      expect(limits.deadlineReached).toBe(true);
      expect(limits.deadlineMessage).toBe(
        'the run deadline of 60 ms was reached; what was observed until then is reported',
      );
    } finally {
      limits.dispose();
    }
  });

  it('a user interruption after the deadline is still an interruption', async () => {
    const user = new AbortController();
    const limits = new RunLimits({ signal: user.signal, graceMs: 10, deadlineMs: 20 });
    try {
      await wait(100);
      user.abort();
      expect(limits.deadlineReached).toBe(false);
    } finally {
      limits.dispose();
    }
  });

  it('dispose cancels a pending deadline', async () => {
    const limits = new RunLimits({ signal: undefined, graceMs: 10, deadlineMs: 50 });
    limits.dispose();
    await wait(150);
    expect(limits.stop.aborted).toBe(false);
  });
});
