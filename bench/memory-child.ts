/**
 * B4's measured process: a campaign of N recorded exchanges streamed to ndjson, nothing kept in
 * memory; prints its own peak RSS as JSON on stdout.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingEngine } from './recorder.js';
import { campaignSpec } from './throughput.js';

async function main(): Promise<void> {
  const [url, countArg, workersArg] = process.argv.slice(2);
  if (!url) throw new Error('usage: memory-child <url> <exchanges> <workers>');
  const total = Number(countArg ?? 100_000);
  const workers = Number(workersArg ?? 32);
  const file = join(tmpdir(), `idem-bench-b4-${process.pid}.ndjson`);
  const rec = recordingEngine(file, { maxRequests: total });
  let next = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = next++; i < total; i = next++) {
          await rec.backpressure();
          await rec.engine.send(campaignSpec(url, i), { attack: 'bench', endpoint: 'b4' });
        }
      }),
    );
  } finally {
    await rec.close();
    rmSync(file, { force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  // maxRSS is in kibibytes.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ exchanges: rec.recorded(), peakRssMb, seconds })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
