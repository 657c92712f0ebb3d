/**
 * A ReportOutput that keeps everything in memory, so reporters are tested without a file system.
 * It records each stream write separately, which is how a test sees that a streaming reporter
 * writes an exchange out as it arrives instead of holding it.
 */
import { liveTerminal } from '../live-terminal.js';
import type { OutputStream, ReportOutput, ReporterContext } from '../types.js';

export interface MemoryOutput extends ReportOutput {
  /** Whole files by name; streamed files hold what was written so far. */
  readonly files: Map<string, string>;
  /** Every write to each streamed file, in order. */
  readonly writes: Map<string, string[]>;
  /** Streamed files that were closed. */
  readonly closed: Set<string>;
  /** Appends to environment-named files, by variable. */
  readonly appended: Map<string, string>;
  readonly printed: { stdout: string; stderr: string };
}

export interface MemoryOutputOptions {
  env?: Record<string, string>;
  terminal?: NodeJS.WriteStream;
  /** Makes writing (or closing) this file fail, as a full disk would. */
  failing?: string;
}

export function memoryOutput(o: MemoryOutputOptions = {}): MemoryOutput {
  const files = new Map<string, string>();
  const writes = new Map<string, string[]>();
  const closed = new Set<string>();
  const appended = new Map<string, string>();
  const printed = { stdout: '', stderr: '' };
  const env = o.env ?? {};
  const diskFull = (name: string): Error => new Error(`ENOSPC: no space left on device, write '${name}'`);
  return {
    files,
    writes,
    closed,
    appended,
    printed,
    terminal: o.terminal,
    writeFile(name, text) {
      if (name === o.failing) return Promise.reject(diskFull(name));
      files.set(name, text);
      return Promise.resolve();
    },
    openStream(name): OutputStream {
      const chunks: string[] = [];
      writes.set(name, chunks);
      files.set(name, '');
      return {
        write(text) {
          if (closed.has(name)) throw new Error(`write after close: ${name}`);
          chunks.push(text);
          files.set(name, (files.get(name) ?? '') + text);
        },
        close() {
          closed.add(name);
          return name === o.failing ? Promise.reject(diskFull(name)) : Promise.resolve();
        },
      };
    },
    stdout: (text) => void (printed.stdout += text),
    stderr: (text) => void (printed.stderr += text),
    env: (name) => env[name],
    appendToEnvFile(variable, text) {
      const file = env[variable];
      if (!file) return Promise.reject(new Error(`$${variable} is not set`));
      if (file === o.failing) return Promise.reject(diskFull(file));
      appended.set(variable, (appended.get(variable) ?? '') + text);
      return Promise.resolve();
    },
  };
}

/** A reporter context around `out`, with what the reporters' snapshots must not depend on fixed. */
export function memoryContext(out: ReportOutput): ReporterContext {
  return {
    out,
    color: false,
    reportDir: 'reports/demo',
    cwd: '/work/project',
    toolVersion: '0.0.0-test',
    live: liveTerminal(out),
  };
}
