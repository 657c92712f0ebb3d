import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { fullDemoResult } from './__fixtures__/full-demo.js';
import { hostileResult, hostileRunEvents } from './__fixtures__/hostile-result.js';
import { memoryContext, memoryOutput } from './__fixtures__/memory-output.js';
import { progressReporter } from './progress.js';
import { runReporters } from './run-reporters.js';
import { renderTerminal, terminalReporter } from './terminal.js';
import { foldCommand, plain, wrap } from './terminal-text.js';

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g;
const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n');

describe('terminal report', () => {
  it('lets no control sequence from the target reach the terminal', () => {
    const r = hostileResult();
    const f = r.findings[0];
    const a = r.attacks[2];
    if (!f || !a) throw new Error('fixture has findings and attacks');
    r.findings[0] = {
      ...f,
      title: 'clean\u001b[2J\u001b[Hexit 0: no finding',
      observed: 'x\rforged',
      reproduce: { ...f.reproduce, command: "idem-audit run '\u001b]0;title\u0007'" },
    };
    r.attacks[2] = { ...a, reason: '\u009b31mred' };
    r.errors = [{ code: 'IDEM_X', message: 'boom\u001b[1A' }];
    const options = { color: false, columns: 80, reportDir: undefined, exitCode: 1 };
    const out = renderTerminal(r, options);
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u001b\u009b\u0007\r]/);
    expect(out).toContain('clean\ufffd[2J\ufffd[Hexit 0: no finding');
    // With colour on, the only escape sequences left are chalk's SGR codes.
    const coloured = renderTerminal(r, { ...options, color: true });
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(SGR, '')).not.toMatch(/[\u001b\u009b\u0007\r]/);
  });

  it('keeps tabs and line breaks in plain text', () => {
    expect(plain('a\tb\nc')).toBe('a\tb\nc');
  });

  describe('on the full demo (30 endpoints audited × 18 attacks, 360 cells, 52 findings)', () => {
    const result = fullDemoResult();
    const render = (columns: number, color = false): string =>
      renderTerminal(result, { color, columns, reportDir: 'reports/demo', exitCode: result.exitCode });

    it('fits 80 columns in under 300 lines, with every finding and the matrix', () => {
      const out = render(80);
      const all = lines(out);
      expect(all.length).toBeLessThan(300);
      for (const line of all) expect(stringWidth(line), line).toBeLessThanOrEqual(80);
      for (const f of result.findings) expect(out).toContain(f.fingerprint);
      // A row per endpoint in each block of columns, one mark per attack it ran.
      for (const ep of new Set(result.attacks.map((a) => a.endpoint))) {
        const rows = all.filter((l) => l.startsWith(`${ep} `) && /[✓✗~·?]/.test(l));
        expect(rows.length, ep).toBeGreaterThan(0);
        const marks = rows.flatMap((l) => l.slice(ep.length).match(/[✓✗~·?]/g) ?? []);
        expect(marks, ep).toHaveLength(result.attacks.filter((a) => a.endpoint === ep).length);
      }
      expect(all.at(-1)).toBe('FAILED · exit 1: 45 findings at or above high fail the run');
      // A reproduction fits whole or is folded with continuations; its words are all there.
      expect(out).toContain('$ idem-audit demo --only concurrent-burst --endpoint race --seed 7');
    });

    it('uses the width it is given, and never less than 80', () => {
      const wide = lines(render(160));
      expect(Math.max(...wide.map((l) => stringWidth(l)))).toBeGreaterThan(80);
      for (const line of wide) expect(stringWidth(line)).toBeLessThanOrEqual(160);
      for (const line of lines(render(40))) expect(stringWidth(line)).toBeLessThanOrEqual(80);
      // Colour changes the bytes, not the layout.
      expect(render(80, true).replace(SGR, '')).toBe(render(80));
    });

    it('shows findings below fail-on as such', () => {
      const out = render(80);
      const low = result.findings.find((f) => f.severity === 'low');
      expect(low).toBeDefined();
      expect(out).toMatch(new RegExp(`~ LOW \\(below high\\)  ${low?.title ?? ''}`));
      expect(out).toContain('Findings (52): 45 at or above high, 7 below it');
    });

    it('wraps the matrix into blocks of columns when attacks do not fit', () => {
      const many = fullDemoResult();
      // 36 attacks: the matrix needs two blocks at 80 columns.
      many.attacks = many.attacks.concat(many.attacks.map((a) => ({ ...a, attack: `${a.attack}-again` })));
      const out = lines(renderTerminal(many, { color: false, columns: 80, reportDir: undefined, exitCode: 1 }));
      for (const line of out) expect(stringWidth(line)).toBeLessThanOrEqual(80);
      const headers = out.filter((l) => /^ {8,}\d+( +\d+)+$/.test(l));
      expect(headers).toHaveLength(2);
      // The second block goes on where the first stopped.
      const first = (headers[0] ?? '').trim().split(/ +/);
      expect((headers[1] ?? '').trim().split(/ +/)[0]).toBe(String(first.length + 1));
      expect(out.some((l) => /\b36 store-outage-again\b/.test(l))).toBe(true);
    });
  });

  it('on a terminal, prints each finding as it is found and does not repeat it at the end', async () => {
    const written: string[] = [];
    const tty = {
      isTTY: true,
      columns: 100,
      write: (s: string) => void written.push(s),
    } as unknown as NodeJS.WriteStream;
    const out = memoryOutput({ terminal: tty });
    const run = runReporters([terminalReporter], memoryContext(out));
    const events = hostileRunEvents();
    const firstFinding = events.findIndex((e) => e.type === 'finding');
    for (const e of events.slice(0, firstFinding + 1)) run.emit(e);
    expect(out.printed.stdout).toContain('0123456789abcdef');
    expect(out.printed.stdout).not.toContain('Endpoints × attacks');
    for (const e of events.slice(firstFinding + 1)) run.emit(e);
    await run.end(hostileResult(), 1);
    expect(out.printed.stdout.split('0123456789abcdef')).toHaveLength(2);
    expect(out.printed.stdout).toContain('each printed above as it was found');
  });

  it('shares the terminal with the progress line: a block is printed on a cleared line, the line drawn again under it', async () => {
    // One transcript of both streams, in the order they reach the screen.
    const screen: string[] = [];
    const tty = {
      isTTY: true,
      columns: 100,
      write: (s: string) => void screen.push(`stderr:${s}`),
    } as unknown as NodeJS.WriteStream;
    const out = { ...memoryOutput({ terminal: tty }), stdout: (s: string) => void screen.push(`stdout:${s}`) };
    const run = runReporters([progressReporter, terminalReporter], memoryContext(out));
    for (const e of hostileRunEvents()) run.emit(e);
    const block = screen.findIndex((s) => s.startsWith('stdout:') && s.includes('0123456789abcdef'));
    expect(block).toBeGreaterThan(0);
    expect(screen[block - 1]).toBe('stderr:\r\u001b[2K');
    expect(screen[block + 1]).toMatch(/^stderr:\r .*attacks/);
    await run.end(hostileResult(), 1);
    // The line is gone before the end of the report is printed.
    const end = screen.findIndex((s) => s.startsWith('stdout:') && s.includes('Summary:'));
    expect(screen.slice(end).some((s) => s.startsWith('stderr:'))).toBe(false);
    expect(screen[end - 1]).toBe('stderr:\r\u001b[2K');
  });

  it('without a terminal, writes everything at the end, at $COLUMNS or 80', async () => {
    for (const [env, limit] of [
      [{}, 80],
      [{ COLUMNS: '132' }, 132],
      [{ COLUMNS: '20' }, 80],
    ] as const) {
      const out = memoryOutput({ env });
      const run = runReporters([terminalReporter], memoryContext(out));
      const result = fullDemoResult();
      run.emit({ type: 'finding', finding: result.findings[0] as never });
      expect(out.printed.stdout).toBe('');
      await run.end(result, 1);
      const widths = lines(out.printed.stdout).map((l) => stringWidth(l));
      expect(Math.max(...widths)).toBeLessThanOrEqual(limit);
      expect(Math.max(...widths)).toBeGreaterThan(limit - 10);
    }
  });
});

describe('terminal text', () => {
  it('wraps at spaces by display width, breaking only words wider than a line', () => {
    expect(wrap('aaa bbb ccc', 7, 2)).toEqual(['aaa bbb', '  ccc']);
    expect(wrap('漢字漢字漢字', 6)).toEqual(['漢字漢', '字漢字']);
    expect(wrap('', 10)).toEqual(['']);
  });

  it('folds a command only outside quotes, keeps options with their values, and leaves what fits alone', () => {
    expect(foldCommand('idem-audit run x.yaml --seed 7', 80, 4)).toEqual(['idem-audit run x.yaml --seed 7']);
    const folded = foldCommand("idem-audit run 'my scenarios/a b.yaml' --only concurrent-burst --seed 7", 40, 4);
    expect(folded).toEqual(["idem-audit run 'my scenarios/a b.yaml' \\", '    --only concurrent-burst --seed 7']);
    for (const line of folded) expect(stringWidth(line)).toBeLessThanOrEqual(40);
    // Joined back as a shell joins backslash-newline, the command is unchanged.
    expect(folded.join('\n').replace(/ \\\n\s+/g, ' ')).toBe(
      "idem-audit run 'my scenarios/a b.yaml' --only concurrent-burst --seed 7",
    );
  });
});
