import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { AuditResult } from '../result/result.js';
import { hostileResult } from './__fixtures__/hostile-result.js';
import { FINGERPRINT_KEY, levelOf, renderSarif } from './sarif.js';

/** The official OASIS schema (test/fixtures/sarif/PROVENANCE.md). */
const schema = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../test/fixtures/sarif/sarif-schema-2.1.0.json', import.meta.url)), 'utf8'),
) as Record<string, unknown>;

// CommonJS packages: under NodeNext their default import is module.exports, which carries `default`.
const ajv = new ajvDraft04.default({ allErrors: true, strict: false });
ajvFormats.default(ajv);
const validate = ajv.compile(schema);

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  baselineState?: string;
  partialFingerprints: Record<string, string>;
  locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
}
interface SarifLog {
  runs: {
    tool: { driver: { rules: { id: string; help: { text: string } }[] } };
    results: SarifResult[];
    invocations: { executionSuccessful: boolean; exitCode: number }[];
  }[];
}

function sarif(result: AuditResult, exitCode = 1): SarifLog {
  const text = renderSarif(result, exitCode, '/repo');
  const log = JSON.parse(text) as unknown;
  const valid = validate(log);
  expect(validate.errors ?? [], 'valid SARIF 2.1.0').toEqual([]);
  expect(valid).toBe(true);
  return log as SarifLog;
}

describe('sarif reporter', () => {
  it('validates against the official SARIF 2.1.0 schema, with and without findings or errors', () => {
    const r = hostileResult();
    sarif(r);
    sarif({ ...r, findings: [] }, 0);
    sarif({ ...r, status: 'incomplete', errors: [{ code: 'IDEM_NOTHING_AUDITED', message: 'x', hint: 'y' }] }, 3);
  });

  it('the schema check can fail: a wrong level is refused', () => {
    const log = JSON.parse(renderSarif(hostileResult(), 1, '/repo')) as SarifLog;
    (log.runs[0]?.results[0] as unknown as Record<string, unknown>)['level'] = 'fatal';
    expect(validate(log)).toBe(false);
  });

  it('one rule per attack and kind, each result pointing at its rule, level from severity', () => {
    const r = hostileResult();
    const run = sarif(r).runs[0];
    if (!run) throw new Error('no run');
    expect(run.tool.driver.rules.map((x) => x.id)).toEqual([
      'concurrent-burst/duplicate-write',
      'concurrent-burst/race-error',
      'missing-key/missing-key-status',
    ]);
    expect(run.tool.driver.rules[0]?.help.text).toContain('Fix: Reserve the key atomically.');
    expect(run.tool.driver.rules[0]?.help.text).toContain('IK-24');
    for (const [i, res] of run.results.entries()) {
      const f = r.findings[i];
      expect(run.tool.driver.rules[res.ruleIndex]?.id).toBe(res.ruleId);
      expect(res.ruleId).toBe(`${f?.attack}/${f?.kind}`);
      expect(res.partialFingerprints[FINGERPRINT_KEY]).toBe(f?.fingerprint);
      expect(res.locations[0]?.physicalLocation.artifactLocation.uri).toBe('x.yaml');
      expect(res.locations[0]?.physicalLocation.region?.startLine).toBe(12);
    }
    expect(run.results.map((x) => x.level)).toEqual(['error', 'error', 'note']);
    expect(['critical', 'high', 'medium', 'low', 'info'].map((s) => levelOf(s as 'low'))).toEqual([
      'error',
      'error',
      'warning',
      'note',
      'note',
    ]);
  });

  it('marks baseline findings unchanged and the others new, only when a baseline was used', () => {
    const r = hostileResult();
    expect(sarif(r).runs[0]?.results.map((x) => x.baselineState)).toEqual(['new', 'unchanged', 'new']);
    const without: AuditResult = { ...r, findings: r.findings.filter((f) => f.baseline === undefined) };
    delete without.baseline;
    expect(sarif(without).runs[0]?.results.map((x) => x.baselineState)).toEqual([undefined, undefined]);
  });

  it('says the tool ran for exit 0 and 1, not for 3 or 130, and locates a scenario outside the cwd relatively', () => {
    const r = { ...hostileResult(), scenario: { name: 'n', file: '/elsewhere/my scenario.yaml' } };
    const log = sarif(r, 3);
    expect(log.runs[0]?.invocations[0]).toMatchObject({ executionSuccessful: false, exitCode: 3 });
    expect(log.runs[0]?.results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
      '../elsewhere/my%20scenario.yaml',
    );
    expect(log.runs[0]?.results[0]?.locations[0]?.physicalLocation.region).toBeUndefined();
    expect(sarif(r, 1).runs[0]?.invocations[0]?.executionSuccessful).toBe(true);
  });
});
