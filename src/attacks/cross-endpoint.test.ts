import { describe, expect, it } from 'vitest';
import { auditYaml } from '../../test/helpers/audit-yaml.js';
import { httpServer } from '../../test/helpers/servers.js';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';
import { siblingEndpoints } from './cross-endpoint.js';
import type { ResolvedEndpoint } from '../scenario/types.js';

function endpoint(name: string, path: string, method = 'POST'): ResolvedEndpoint {
  return {
    name,
    request: { method, path, headers: {}, body: undefined },
    key: '{{uuid}}',
    vary: {},
    observe: [],
    attacks: [],
  };
}

describe('cross-endpoint', () => {
  it('finds a key reused on the sibling endpoint answered with the stored response', async () => {
    const r = await auditDemo({
      flaws: 'endpoint-blind',
      only: ['cross-endpoint'],
      endpoints: ['endpoint-blind', 'endpoint-blind-refunds'],
    });
    expect(findingKeys(r)).toEqual([
      'cross-endpoint-replay@endpoint-blind',
      'cross-endpoint-replay@endpoint-blind-refunds',
    ]);
  });

  it('stays silent on the correct implementation, and really sends the cross-endpoint pair', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['cross-endpoint'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed' || a.status === 'skipped')).toBe(true);
    const judged = r.attacks.filter((a) => a.status === 'passed').map((a) => a.endpoint);
    expect(judged.sort()).toEqual(['endpoint-blind', 'endpoint-blind-refunds']);
  });

  it('does not take endpoints that answer alike by design ({"ok":true}) for a replay', async () => {
    // Every POST executes (keys are scoped per route) and answers the same constant body.
    const s = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    });
    try {
      const ep = (path: string): string =>
        `    request: { path: ${path}, body: { a: 1 } }\n    attacks: { cross-endpoint: {} }\n`;
      const yaml = `version: 1\nname: t\ntarget: { baseUrl: "${s.url}" }\nendpoints:\n  a:\n${ep('/shop/a')}  b:\n${ep('/shop/b')}`;
      const r = await auditYaml(yaml);
      expect(r.findings).toEqual([]);
      // Not judged either way (and not an incomplete audit): a constant answer cannot show a replay.
      expect(r.attacks.map((a) => a.status)).toEqual(['skipped', 'skipped']);
      expect(r.attacks[0]?.reason).toContain('no answer can show a replay');
    } finally {
      await s.close();
    }
  });

  it('picks siblings by the first path segment, never the same route', () => {
    const self = endpoint('pay', '/shop/payments');
    const all = [
      self,
      endpoint('refund', '/shop/refunds?x=1'),
      endpoint('user', '/admin/users'),
      endpoint('pay2', '/shop/payments'),
    ];
    expect(siblingEndpoints(all, self).map((e) => e.name)).toEqual(['refund']);
  });
});
