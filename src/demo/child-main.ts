/**
 * The entry of the demo target's own process (child.ts starts it): the demo cluster on the
 * options given as JSON in argv[2], one line `{"urls":[…]}` on stdout once it listens (or
 * `{"error":"…"}` and exit 1), and a clean stop when stdin ends or SIGTERM arrives. stdin ending
 * also means the parent is gone, however it died, so the target never outlives its auditor.
 * SIGINT is ignored: Ctrl-C on a terminal reaches the whole process group, and the auditor, which
 * still needs the target to answer its requests in flight, decides when the target stops.
 */
import { startDemoCluster } from './cluster.js';
import { parseFlaws } from './flaws.js';
import type { DemoChildOptions } from './child.js';

function say(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as DemoChildOptions;
  process.on('SIGINT', () => undefined);
  const cluster = await startDemoCluster({
    flaws: parseFlaws(o.flaws.length === 0 ? 'none' : o.flaws.join(',')),
    nodes: o.nodes ?? 1,
    ...(o.host === undefined ? {} : { host: o.host }),
    ...(o.downstreamUrl === undefined ? {} : { downstreamUrl: o.downstreamUrl }),
    ...(o.raceWindow === undefined ? {} : { raceWindow: o.raceWindow }),
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void cluster.close().finally(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  say({ urls: cluster.nodes.map((n) => n.url) });
}

main().catch((err: unknown) => {
  say({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
