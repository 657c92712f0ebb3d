import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { reportFolder } from './report-folder.js';

const work = mkdtempSync(join(tmpdir(), 'idem-report-folder-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function io(env: NodeJS.ProcessEnv = {}): CliIo & { out: string[] } {
  const out: string[] = [];
  return {
    stdout: (t) => void out.push(`1:${t}`),
    stderr: (t) => void out.push(`2:${t}`),
    isTTY: false,
    env,
    cwd: work,
    out,
  };
}

describe('report folder', () => {
  it('writes whole files and streams into the folder, and prints through the CLI', async () => {
    const cli = io({ SUMMARY: join(work, 'summary.md') });
    writeFileSync(join(work, 'summary.md'), 'before\n');
    const folder = reportFolder(work, cli, undefined);
    await folder.writeFile('report.json', '{}\n');
    const stream = folder.openStream('events.ndjson');
    for (let i = 0; i < 3; i++) stream.write(`${i}\n`);
    await stream.close();
    await stream.close();
    stream.write('after close\n');
    await folder.appendToEnvFile('SUMMARY', 'after\n');
    folder.stdout('a');
    folder.stderr('b');
    expect(readFileSync(join(work, 'report.json'), 'utf8')).toBe('{}\n');
    expect(readFileSync(join(work, 'events.ndjson'), 'utf8')).toBe('0\n1\n2\n');
    expect(readFileSync(join(work, 'summary.md'), 'utf8')).toBe('before\nafter\n');
    expect(cli.out).toEqual(['1:a', '2:b']);
    expect(folder.env('SUMMARY')).toBe(join(work, 'summary.md'));
    await expect(folder.appendToEnvFile('UNSET', 'x')).rejects.toThrow('$UNSET is not set');
  });

  it('names only files inside the folder', async () => {
    const folder = reportFolder(work, io(), undefined);
    for (const name of ['../escape.txt', 'sub/file.txt', '..', '.', ''])
      await expect(folder.writeFile(name, 'x')).rejects.toThrow('is not a file name inside the report folder');
    expect(() => folder.openStream('../escape.ndjson')).toThrow('is not a file name inside the report folder');
  });

  it("surfaces a stream's write error when it is closed", async () => {
    const folder = reportFolder(join(work, 'missing-dir'), io(), undefined);
    const stream = folder.openStream('traffic.har');
    stream.write('{');
    await expect(stream.close()).rejects.toThrow(/ENOENT.*traffic\.har/);
    // Closing what is left never throws, even for a stream that failed.
    await folder.close();
  });

  it('closes the streams a reporter left open', async () => {
    const folder = reportFolder(work, io(), undefined);
    folder.openStream('left-open.ndjson').write('kept\n');
    expect(folder.drained()).toBeUndefined();
    await folder.close();
    expect(readFileSync(join(work, 'left-open.ndjson'), 'utf8')).toBe('kept\n');
  });

  it('lets a reader wait while a stream is over its buffer', async () => {
    const folder = reportFolder(work, io(), undefined);
    const stream = folder.openStream('big.har');
    stream.write('x'.repeat(1024 * 1024));
    const waiting = folder.drained();
    expect(waiting).toBeInstanceOf(Promise);
    await waiting;
    await stream.close();
    expect(readFileSync(join(work, 'big.har'), 'utf8')).toHaveLength(1024 * 1024);
  });
});
