/**
 * A veth pair between two network namespaces, for running the sync benchmarks over a network
 * device instead of loopback: packets then cross a real (if virtual) link with its own queue and
 * the kernel's receive path, as they would from another host. The target runs in one namespace,
 * the client in the other, addressed with IPv4 link-local addresses only. Needs root and `ip`
 * (iproute2); otherwise `vethUnavailable` says why and the bench skips this part.
 *
 * Every exit path removes the namespaces: normal return, thrown errors, Ctrl-C and SIGTERM, and a
 * leftover from a run that was killed outright is removed by the next run.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';

/** Link-local (169.254.0.0/16): never routed, never clashes with a real network. */
export const TARGET_ADDRESS = '169.254.77.1';
export const CLIENT_ADDRESS = '169.254.77.2';
const PREFIX = 'idem-bench-';

export interface VethPair {
  targetNs: string;
  clientNs: string;
  /** Starts `module` with Node.js inside `ns`, with an IPC channel like `fork`. */
  fork(ns: string, module: string, args: readonly string[]): ChildProcess;
  /** Ends the processes started here and deletes both namespaces (and so the veth pair). */
  remove(): void;
}

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why the veth variant cannot run here, or undefined when it can. */
export function vethUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root (run the bench as root)';
  try {
    ip(['-V']);
  } catch {
    return '`ip` (iproute2) is not installed (e.g. apt-get install -y iproute2)';
  }
  return undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces left by a bench that was killed before it could clean up (its pid is in the name). */
function removeLeftovers(): void {
  const names = ip(['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '');
  for (const name of names) {
    const pid = /^idem-bench-(\d+)-[tc]$/.exec(name)?.[1];
    if (pid !== undefined && !pidAlive(Number(pid))) {
      try {
        ip(['netns', 'del', name]);
      } catch {
        // Someone else removed it meanwhile.
      }
    }
  }
}

export function createVethPair(): VethPair {
  removeLeftovers();
  const targetNs = `${PREFIX}${process.pid}-t`;
  const clientNs = `${PREFIX}${process.pid}-c`;
  const children = new Set<ChildProcess>();
  let removed = false;

  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const ns of [targetNs, clientNs]) {
      try {
        ip(['netns', 'del', ns]);
      } catch {
        // Not created (setup failed half-way) or already gone.
      }
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    remove();
    process.kill(process.pid, signal);
  };
  // Registered before anything exists, so a failure half-way through setup is cleaned up too.
  process.once('exit', remove);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    ip(['netns', 'add', targetNs]);
    ip(['netns', 'add', clientNs]);
    // Interface names hold at most 15 characters.
    const vt = `idmt${process.pid % 1e8}`;
    const vc = `idmc${process.pid % 1e8}`;
    ip(['link', 'add', vt, 'netns', targetNs, 'type', 'veth', 'peer', 'name', vc, 'netns', clientNs]);
    for (const [ns, dev, addr] of [
      [targetNs, vt, TARGET_ADDRESS],
      [clientNs, vc, CLIENT_ADDRESS],
    ] as const) {
      ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
  } catch (err) {
    remove();
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`could not set up the veth pair: ${stderr || (err as Error).message}`);
  }

  return {
    targetNs,
    clientNs,
    fork(ns, module, args) {
      const child = fork(module, [...args], {
        execPath: 'ip',
        execArgv: ['netns', 'exec', ns, process.execPath],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    remove,
  };
}
