import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { audit } from './api.js';
import { HostRefusedError, UsageError } from './errors/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'idem-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenario(target: string): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `version: 1\nname: api\ntarget:\n  baseUrl: ${target}\nendpoints:\n  pay:\n    request: { path: /pay }\n    observe: [ { responseId: $.id } ]\n`,
  );
  return file;
}

describe('audit() goes through the same run preparation as the CLI', () => {
  it('refuses a host the policy does not allow, before any connection', async () => {
    await expect(audit(scenario('http://payments.example.invalid'), { env: {} })).rejects.toBeInstanceOf(
      HostRefusedError,
    );
  });

  it('takes IDEM_AUDIT_ALLOW_HOSTS from its env option, like the CLI from the environment', async () => {
    // Allowed, so it gets as far as connecting: the .invalid host cannot resolve, which is an
    // unreachable target (a result), not a refusal.
    const result = await audit(scenario('http://payments.example.invalid'), {
      env: { IDEM_AUDIT_ALLOW_HOSTS: 'payments.example.invalid' },
    });
    expect(result.status).toBe('incomplete');
    expect(result.errors.map((e) => e.code)).toEqual(['IDEM_TARGET_UNREACHABLE']);
  });

  it('rejects unknown attack ids and endpoint names', async () => {
    const file = scenario('http://127.0.0.1:1');
    await expect(audit(file, { env: {}, only: ['concurent-burst'] })).rejects.toBeInstanceOf(UsageError);
    await expect(audit(file, { env: {}, endpoints: ['nope'] })).rejects.toThrow(
      "endpoints: the scenario has no endpoint 'nope'",
    );
  });
});
