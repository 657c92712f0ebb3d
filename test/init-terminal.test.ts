/**
 * `idem-audit init` on a real terminal: the built CLI in a child process whose standard input and
 * output are a pseudo-terminal (util-linux `script`, present on every Debian system), typed at the
 * way a person types: answers end with Enter, Ctrl-C and Ctrl-D are the raw bytes a terminal in
 * raw mode delivers. `npm test` builds dist/ first; run alone, this file builds it when missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'idem-audit.js');

beforeAll(() => {
  if (spawnSync('script', ['--version']).status !== 0)
    throw new Error('util-linux `script` is needed to give init a real terminal (apt-get install bsdutils)');
  if (existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed; the terminal tests need dist/');
}, 180_000);

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Types `keystrokes[i]` when the i-th question has appeared; resolves with the exit code and the screen. */
function initOnPty(keystrokes: readonly string[], cwd: string): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `${quote(process.execPath)} ${quote(BIN)} init`, '/dev/null'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    let typed = 0;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`init did not finish; the screen shows:\n${screen}`));
    }, 15_000);
    const onOutput = (chunk: Buffer): void => {
      screen += chunk.toString();
      const questions = screen.split(']: ').length - 1;
      while (typed < questions && typed < keystrokes.length) child.stdin.write(keystrokes[typed++] ?? '');
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

const questions = (screen: string): number => screen.split(']: ').length - 1;

describe('idem-audit init on a terminal', () => {
  it('Ctrl-C at the first question: exit 130, a short "cancelled", nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idem-init-pty-'));
    const r = await initOnPty(['\x03'], dir);
    expect(r.code, r.screen).toBe(130);
    expect(r.screen).toContain('init: cancelled, nothing written');
    expect(r.screen).not.toMatch(/internal error|bug in idem-audit/);
    expect(existsSync(join(dir, 'idem-audit.yaml'))).toBe(false);
  }, 20_000);

  it('Ctrl-D at a later question: the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idem-init-pty-'));
    const r = await initOnPty(['http://127.0.0.1:9\r', '\x04'], dir);
    expect(questions(r.screen)).toBe(2);
    expect(r.code, r.screen).toBe(130);
    expect(r.screen).toContain('init: cancelled, nothing written');
    expect(r.screen).not.toMatch(/internal error|bug in idem-audit/);
    expect(existsSync(join(dir, 'idem-audit.yaml'))).toBe(false);
  }, 20_000);

  it('a refused answer is explained at once and the question asked again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idem-init-pty-'));
    const r = await initOnPty(['ftp://x\r', 'http://127.0.0.1:9\r', '\r', '\r', '\r'], dir);
    expect(r.code, r.screen).toBe(0);
    const refusal = r.screen.indexOf("base URL must start with http:// or https://, got 'ftp://x'");
    expect(refusal, r.screen).toBeGreaterThan(-1);
    // Between the refusal and the question after it: the base URL is asked again, not the method.
    const next = r.screen.slice(refusal).split(']: ')[0] ?? '';
    expect(next).toContain('Base URL of the API');
    expect(questions(r.screen)).toBe(5);
    expect(readFileSync(join(dir, 'idem-audit.yaml'), 'utf8')).toContain('${API_URL:-http://127.0.0.1:9}');
  }, 20_000);

  it('an existing file is refused before any question', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idem-init-pty-'));
    writeFileSync(join(dir, 'idem-audit.yaml'), 'keep me\n');
    const r = await initOnPty(['\r', '\r', '\r', '\r'], dir);
    expect(r.code, r.screen).toBe(2);
    expect(r.screen).toContain('already exists');
    expect(questions(r.screen)).toBe(0);
    expect(readFileSync(join(dir, 'idem-audit.yaml'), 'utf8')).toBe('keep me\n');
  }, 20_000);
});
