import { describe, expect, it } from 'vitest';
import { hostileResult } from './__fixtures__/hostile-result.js';
import { jsonReporter, renderJson } from './json.js';

describe('report.json', () => {
  it('is the whole result plus the exit code, keeping the fields CI scripts rely on', () => {
    const result = hostileResult();
    const parsed = JSON.parse(renderJson(result, 1)) as Record<string, unknown>;
    expect(parsed).toEqual({ ...result, exitCode: 1 });
    expect(parsed).toMatchObject({ schemaVersion: 1, status: 'completed', exitCode: 1 });
    const [finding] = parsed['findings'] as Record<string, unknown>[];
    expect(Object.keys(finding ?? {})).toEqual(
      expect.arrayContaining(['attack', 'endpoint', 'severity', 'kind', 'fingerprint']),
    );
    expect(jsonReporter.meta.destination).toBe('report.json');
    expect(jsonReporter.render(result, { color: false, reportDir: undefined, exitCode: 3 })).toBe(
      renderJson(result, 3),
    );
  });
});
