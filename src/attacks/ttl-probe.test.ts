import { describe, expect, it } from 'vitest';
import { auditYaml } from '../../test/helpers/audit-yaml.js';
import { executeOnceTarget } from '../../test/helpers/servers.js';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';
import { ttlSchedule } from './ttl-probe.js';

describe('ttlSchedule', () => {
  it('doubles from the first delay and ends just inside the TTL', () => {
    expect(ttlSchedule(3000, 250, 0.9)).toEqual([250, 500, 1000, 2000, 2700]);
    expect(ttlSchedule(100, 250, 0.9)).toEqual([90]);
  });
});

describe('ttl-probe', () => {
  it('finds keys forgotten before the declared TTL and reports the measured window', async () => {
    const r = await auditDemo({ flaws: 'short-ttl', only: ['ttl-probe'], endpoints: ['short-ttl'] });
    expect(findingKeys(r)).toEqual(['ttl-too-short@short-ttl']);
    // Replays at 250 ms, 500 ms, 1 s against a 0.8 s retention; a loaded machine may shift the window one step.
    expect(r.findings[0]?.message).toMatch(/Measured retention: between (250 ms and 500 ms|500 ms and 1 s)/);
  });

  it('stays silent on the correct implementation, and skips TTLs longer than the allowed wait', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['ttl-probe'] });
    expect(r.findings).toEqual([]);
    const byEndpoint = new Map(r.attacks.map((a) => [a.endpoint, a]));
    expect(byEndpoint.get('short-ttl')?.status).toBe('passed');
    expect(byEndpoint.get('short-ttl')?.notes.join(' ')).toContain('still deduplicated 2.7 s after');
    expect(byEndpoint.get('correct')?.status).toBe('skipped');
    expect(byEndpoint.get('correct')?.reason).toMatch(
      /declared TTL \(24 h\).*more than the allowed 1 min|declared TTL \(24 h\)/,
    );
  });

  it('takes error answers to replays for no evidence of retention', async () => {
    // Executes the first request of a key, then fails every replay without executing.
    const s = await executeOnceTarget((res) => res.writeHead(503).end('{"error":"unavailable"}'));
    try {
      const yaml = `version: 1\nname: t\ntarget: { baseUrl: "${s.url}" }\ncontract: { ttl: 1s }\nendpoints:\n  pay:\n    request: { path: /p, body: { a: 1 } }\n    observe: [ { http: { path: "/l?key={{key}}", count: $.count } } ]\n    attacks: { ttl-probe: {} }\n`;
      const r = await auditYaml(yaml);
      expect(r.findings).toEqual([]);
      expect(r.attacks[0]?.status).toBe('inconclusive');
      expect(r.attacks[0]?.notes.join(' ')).toContain('not counted as remembered');
      expect(r.attacks[0]?.notes.join(' ')).not.toContain('still deduplicated');
    } finally {
      await s.close();
    }
  });
});
