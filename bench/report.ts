/** The markdown table of a benchmark run (bench/results/latest.md and the README section). */
import type { BenchResults } from './run.js';

const MODES = ['none', 'barrier', 'last-byte', 'single-packet'] as const;
const B1_TARGET = 'single-packet ≥ 39/40, last-byte ≥ 36/40 and above none';
const B2_TARGET = 'single-packet < last-byte < none';

function syncRows(b1: BenchResults['b1'], b2: BenchResults['b2'], where: string): string[] {
  const rows: string[] = [];
  const exposed = MODES.map((m) => {
    const e = b1[m];
    return e ? `${e.exposed}/${e.bursts}` : 'n/a';
  });
  rows.push(
    `| B1 race exposed, ${where} (bursts of ${b1['none']?.size ?? 20}) | ${exposed.join(' | ')} | ${B1_TARGET} |`,
  );
  const sizes = [...new Set(MODES.flatMap((m) => Object.keys(b2[m] ?? {})))].sort((a, b) => Number(a) - Number(b));
  for (const size of sizes) {
    const cells = MODES.map((m) => {
      const s = b2[m]?.[size];
      return s ? `${s.medianUs} µs (SD ${s.sdUs})` : 'n/a';
    });
    rows.push(`| B2 arrival spread ×${size}, ${where}, median (SD) | ${cells.join(' | ')} | ${B2_TARGET} |`);
  }
  return rows;
}

export function toMarkdown(r: BenchResults): string {
  const lines: string[] = [];
  lines.push(`# idem-audit benchmarks${r.quick ? ' (quick run)' : ''}`, '');
  const load = Object.entries(r.loadAverage)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  lines.push(
    `${r.date}, Node ${r.machine.node}, ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.platform}; total ${r.durationSeconds} s.`,
    '',
    `Load average (1 min) at the start and after each part: ${load}.`,
    '',
  );
  lines.push(`| Benchmark | ${MODES.join(' | ')} | Target |`, `| --- | ${MODES.map(() => '---:').join(' | ')} | --- |`);
  lines.push(...syncRows(r.b1, r.b2, 'loopback'));
  if (r.b1Veth && r.b2Veth) lines.push(...syncRows(r.b1Veth, r.b2Veth, 'veth'));
  lines.push('');
  if ('skipped' in r.veth) lines.push(`B1/B2 across a veth pair: not run (${r.veth.skipped}).`, '');
  else {
    lines.push(
      `veth: target ${r.veth.targetAddress} and client ${r.veth.clientAddress} in two network namespaces, one veth pair between them.`,
      '',
    );
  }
  lines.push(`| Benchmark | Result | Target |`, `| --- | --- | --- |`);
  lines.push(
    `| B3 throughput (${r.b3.connections} connections, ${r.b3.seconds} s) | idem-audit ${r.b3.idemAuditRps} rps, autocannon ${r.b3.autocannonRps} rps, ratio ${r.b3.ratio} | ≥ 0.7 |`,
  );
  lines.push(
    `| B4 memory | ${r.b4.exchanges} recorded exchanges in ${r.b4.seconds} s, peak RSS ${r.b4.peakRssMb} MB | ≤ 250 MB |`,
  );
  if (r.b5) lines.push(`| B5 mutation rate | ${r.b5.cases} cases in ${r.b5.seconds} s (${r.b5.casesPerSecond}/s) | |`);
  const b6 = r.b6;
  const same = b6.sameFindings && b6.sameStatuses ? 'same findings and cell statuses' : 'DIFFERENT results';
  lines.push(
    `| B6 demo wall time (seed ${b6.seed}, key salt ${b6.keySalt}) | serial ${b6.serial.seconds} s, ${b6.lanes.concurrency} lanes ${b6.lanes.seconds} s (ratio ${b6.ratio}); ${b6.lanes.findings} findings, ${same} | ≤ 0.35, identical |`,
  );
  if (b6.sweep.length > 0)
    lines.push(
      `| B6 other lane counts | ${b6.sweep.map((s) => `${s.concurrency} lanes ${s.seconds} s`).join(', ')} | |`,
    );
  for (const [window, w] of Object.entries(r.b7.windows)) {
    lines.push(
      `| B7 race exposed, ${window} window (bursts of ${r.b7.size}) | serial ${w.serial.exposed}/${w.serial.bursts}, ${r.b7.lanes} lanes ${w.lanes.exposed}/${w.lanes.bursts} (${w.lanes.overlappingRequests} requests of other lanes alongside, ${w.lanes.requestsDuringBursts} during bursts) | lanes ≥ serial |`,
    );
  }
  if (b6.differences.length > 0) lines.push('', ...b6.differences.map((d) => `- B6 status differs: ${d}`));
  if (r.notes.length > 0) lines.push('', ...r.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
