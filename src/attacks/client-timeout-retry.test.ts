import { describe, expect, it } from 'vitest';
import { auditYaml } from '../../test/helpers/audit-yaml.js';
import { executeOnceTarget } from '../../test/helpers/servers.js';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('client-timeout-retry', () => {
  it('finds a target that executes the retry of an abandoned request while the original runs', async () => {
    const r = await auditDemo({
      flaws: 'in-flight-executed',
      only: ['client-timeout-retry'],
      endpoints: ['in-flight-executed'],
      demo: { processingMs: 200 },
    });
    expect(findingKeys(r)).toEqual(['duplicate-write@in-flight-executed']);
    const f = r.findings[0];
    expect(f?.exchanges[0]?.error?.code).toBe('aborted');
    expect(f?.exchanges[0]?.timings.sent).toBeDefined();
    expect(f?.message).toContain('before the answer');
  });

  it('finds the check-then-act race and a target that ignores keys', async () => {
    const race = await auditDemo({ flaws: 'race', only: ['client-timeout-retry'], endpoints: ['race'] });
    expect(findingKeys(race)).toEqual(['duplicate-write@race']);
    const ignore = await auditDemo({ flaws: 'ignore-key', only: ['client-timeout-retry'], endpoints: ['ignore-key'] });
    expect(findingKeys(ignore)).toEqual(['duplicate-write@ignore-key']);
  });

  it('stays silent on the correct implementation: in-flight status, then the original result', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['client-timeout-retry'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.length).toBeGreaterThan(5);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });

  it('reports a key left refused forever after the client gave up as stuck-key', async () => {
    // Executes once, then loses the request when the client disconnects and never completes the key.
    const s = await executeOnceTarget(
      (res) => res.writeHead(409).end('{"error":"in progress"}'),
      (res) => setTimeout(() => res.writeHead(201).end('{"id":"p1"}'), 200),
    );
    try {
      const yaml = `version: 1\nname: t\ntarget: { baseUrl: "${s.url}" }\nendpoints:\n  pay:\n    request: { path: /p, body: { a: 1 } }\n    observe: [ { http: { path: "/l?key={{key}}", count: $.count } } ]\n    attacks: { client-timeout-retry: { rounds: 1, maxWaitMs: 400 } }\n`;
      const r = await auditYaml(yaml);
      expect(findingKeys(r)).toEqual(['stuck-key@pay']);
      expect(r.findings[0]?.severity).toBe('high');
    } finally {
      await s.close();
    }
  });
});
