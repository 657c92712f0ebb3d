/**
 * The benchmark targets, run in a child process so the server has its own event loop (and its
 * own core): the demo over HTTP/1.1 and h2c sharing one store and ledger per variant, with the
 * race flaw's one-tick window, and a minimal node:http target for the throughput benchmark.
 * They listen on the address given as the first argument (default 127.0.0.1; the veth variant
 * passes its link-local one).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDemoH2Server } from '../src/demo/h2.js';
import { MemoryLedger } from '../src/demo/ledger.js';
import { startDemoServer } from '../src/demo/server.js';
import { MemoryKeyStore } from '../src/demo/store.js';
import type { DemoVariant } from '../src/demo/flaws.js';

export interface TargetUrls {
  h1: string;
  h2c: string;
  minimal: string;
}

async function main(): Promise<void> {
  const host = process.argv[2] ?? '127.0.0.1';
  const stores = new Map<DemoVariant, MemoryKeyStore>();
  const ledgers = new Map<DemoVariant, MemoryLedger>();
  const shared = {
    flaws: new Set(['race'] as const),
    raceWindow: 'one-tick' as const,
    processingMs: 2,
    host,
    store: (v: DemoVariant) => getOrCreate(stores, v, () => new MemoryKeyStore()),
    ledger: (v: DemoVariant) => getOrCreate(ledgers, v, () => new MemoryLedger()),
  };
  const h1 = await startDemoServer(shared);
  const h2c = await startDemoH2Server(shared);
  const body = Buffer.from('{"ok":true}');
  const minimal = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(body);
    });
  });
  minimal.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => minimal.listen(0, host, r));
  const urls: TargetUrls = {
    h1: h1.url,
    h2c: h2c.url,
    minimal: `http://${host}:${(minimal.address() as AddressInfo).port}`,
  };
  process.send?.(urls);
  // The parent ends us when it is done; losing it must not leave us running.
  process.on('disconnect', () => process.exit(0));
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  const found = map.get(key);
  if (found !== undefined) return found;
  const made = make();
  map.set(key, made);
  return made;
}

void main();
