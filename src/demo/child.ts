/**
 * The demo target in a child process: its own event loop (and, on a machine with a spare core,
 * its own CPU), so the auditor's work never delays the target's answers and the target's never
 * delays the auditor's timings. Starts child-main.js, waits (bounded) for the line with its URLs,
 * and stops it: stdin closed for a clean stop, SIGKILL if it does not go in time.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FlawId } from './flaws.js';

export interface DemoChildOptions {
  flaws: readonly FlawId[];
  /** Instances sharing their stores (cluster.ts); default 1. */
  nodes?: number;
  host?: string;
  downstreamUrl?: string;
  raceWindow?: number | 'one-tick';
}

export interface DemoChild {
  /** The nodes' base URLs, e.g. `http://127.0.0.1:40123`. */
  urls: readonly string[];
  pid: number;
  /** Stops the target and waits for its process to end (bounded). */
  close(): Promise<void>;
}

/** Longest wait for the target to listen. */
const READY_MS = 15_000;
/** Longest wait for a clean stop before SIGKILL. */
const STOP_MS = 3_000;
/** What is kept of the child's stderr for an error message. */
const STDERR_CAP = 4_096;

/**
 * The compiled entry beside this module; under the test runner, which loads this module from
 * src/, the one in dist/ (the child is a plain Node.js process: it runs JavaScript).
 */
function entry(): string {
  const beside = fileURLToPath(new URL('./child-main.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/demo/child-main.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`the demo target's entry is missing (${beside}); run npm run build`);
}

export function startDemoChild(o: DemoChildOptions): Promise<DemoChild> {
  const child = spawn(process.execPath, [entry(), JSON.stringify(o)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < STDERR_CAP) stderr = (stderr + chunk).slice(0, STDERR_CAP);
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<DemoChild>((resolve, reject) => {
    let out = '';
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      const detail = stderr.trim();
      reject(new Error(`the demo target did not start: ${why}${detail === '' ? '' : `\n${detail}`}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${READY_MS / 1000} s`), READY_MS);
    child.on('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(`it exited (${signal ?? `code ${String(code)}`})`));
    child.stdout.setEncoding('utf8');
    const onData = (chunk: string): void => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const line = out.slice(0, nl);
      child.stdout.off('data', onData);
      // Nothing else is expected, but a full pipe must never block the target.
      child.stdout.resume();
      let ready: { urls?: unknown; error?: unknown };
      try {
        ready = JSON.parse(line) as typeof ready;
      } catch {
        fail(`unexpected output: ${line.slice(0, 200)}`);
        return;
      }
      if (!Array.isArray(ready.urls)) {
        fail(typeof ready.error === 'string' ? ready.error : `unexpected output: ${line.slice(0, 200)}`);
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve({ urls: ready.urls.map(String), pid: child.pid ?? 0, close });
    };
    child.stdout.on('data', onData);
  });
}
