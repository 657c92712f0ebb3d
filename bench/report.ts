/** The markdown table of a benchmark run (bench/results/latest.md and the README section). */
import type { BenchResults } from './run.js';

const MODES = ['none', 'barrier', 'last-byte', 'single-packet'] as const;

export function toMarkdown(r: BenchResults): string {
  const lines: string[] = [];
  lines.push(`# idem-audit benchmarks${r.quick ? ' (quick run)' : ''}`, '');
  lines.push(
    `${r.date}, Node ${r.machine.node}, ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.platform}; total ${r.durationSeconds} s.`,
    '',
  );
  lines.push(`| Benchmark | ${MODES.join(' | ')} | Target |`, `| --- | ${MODES.map(() => '---:').join(' | ')} | --- |`);
  const b1 = MODES.map((m) => {
    const e = r.b1[m];
    return e ? `${e.exposed}/${e.bursts}` : 'n/a';
  });
  lines.push(
    `| B1 race exposed (bursts of ${r.b1['none']?.size ?? 20}) | ${b1.join(' | ')} | single-packet ≥ 39/40, last-byte ≥ 36/40 |`,
  );
  const sizes = [...new Set(MODES.flatMap((m) => Object.keys(r.b2[m] ?? {})))].sort((a, b) => Number(a) - Number(b));
  for (const size of sizes) {
    const cells = MODES.map((m) => {
      const s = r.b2[m]?.[size];
      return s ? `${s.medianUs} µs (SD ${s.sdUs})` : 'n/a';
    });
    lines.push(`| B2 arrival spread ×${size}, median (SD) | ${cells.join(' | ')} | single-packet < last-byte < none |`);
  }
  lines.push('');
  lines.push(`| Benchmark | Result | Target |`, `| --- | --- | --- |`);
  lines.push(
    `| B3 throughput (${r.b3.connections} connections, ${r.b3.seconds} s) | idem-audit ${r.b3.idemAuditRps} rps, autocannon ${r.b3.autocannonRps} rps, ratio ${r.b3.ratio} | ≥ 0.7 |`,
  );
  lines.push(
    `| B4 memory | ${r.b4.exchanges} recorded exchanges in ${r.b4.seconds} s, peak RSS ${r.b4.peakRssMb} MB | ≤ 250 MB |`,
  );
  if (r.b5) lines.push(`| B5 mutation rate | ${r.b5.cases} cases in ${r.b5.seconds} s (${r.b5.casesPerSecond}/s) | |`);
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
