/**
 * The client half of the veth variant of B1 and B2, started by run.ts inside the client's network
 * namespace: it runs the same sync benchmarks against the target across the veth pair and hands
 * the results back over IPC.
 */
import { syncBenchmarks, type SyncPlan } from './sync-bench.js';
import type { TargetUrls } from './target.js';

async function main(): Promise<void> {
  // The bench that started us is gone: nobody would read the results.
  process.on('disconnect', () => process.exit(0));
  const [urlsJson, planJson] = process.argv.slice(2);
  if (urlsJson === undefined || planJson === undefined) throw new Error('usage: veth-client <urls-json> <plan-json>');
  const results = await syncBenchmarks(JSON.parse(urlsJson) as TargetUrls, JSON.parse(planJson) as SyncPlan, (line) =>
    process.stderr.write(`[veth] ${line}\n`),
  );
  // Then wait to be ended: exiting here could let the parent see the exit before the message.
  process.send?.(results);
}

main().catch((err: unknown) => {
  process.stderr.write(`veth client failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
