/**
 * The report folder as reporters see it (ReportOutput): whole files, streamed files, the
 * terminal, and GitHub's environment files. The CLI owns it, so it also closes whatever a failed
 * reporter left open, and lets `merge` wait for slow disks instead of buffering a whole HAR.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { IdemAuditError } from '../errors/errors.js';
import type { OutputStream, ReportOutput } from '../reporters/types.js';
import type { CliIo } from './io.js';

export interface ReportFolder extends ReportOutput {
  /** Resolves when every open stream has flushed its buffer below the limit; undefined when none is above it. */
  drained(): Promise<void> | undefined;
  /** Closes the streams still open. Never throws: a reporter's own close() reports its errors. */
  close(): Promise<void>;
}

/** Creates the report folder (and its parents) before the run, so a folder that cannot be written stops it first. */
export function makeReportFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new IdemAuditError(
      'IDEM_REPORT_WRITE_FAILED',
      `cannot create the report folder ${dir}: ${(err as Error).message}`,
    );
  }
}

function fileIn(dir: string, name: string): string {
  // Reporters name files, never paths: nothing they write may land outside the report folder.
  if (name === '' || name === '.' || name === '..' || basename(name) !== name)
    throw new Error(`'${name}' is not a file name inside the report folder`);
  return join(dir, name);
}

export function reportFolder(dir: string, io: CliIo, terminal: NodeJS.WriteStream | undefined): ReportFolder {
  const open = new Set<WriteStream>();
  const closers = new Set<() => Promise<void>>();
  return {
    async writeFile(name, text) {
      await writeFile(fileIn(dir, name), text);
    },
    openStream(name): OutputStream {
      const out = createWriteStream(fileIn(dir, name), { flags: 'w' });
      let error: Error | undefined;
      out.on('error', (err) => {
        error ??= err;
      });
      open.add(out);
      let closing: Promise<void> | undefined;
      const close = (): Promise<void> => {
        // 'close' comes after the last write or after an error (opening included), never before either.
        closing ??= new Promise<void>((resolve, reject) => {
          const done = (): void => (error ? reject(error) : resolve());
          if (out.closed) done();
          else {
            out.once('close', done);
            out.end();
          }
        }).finally(() => {
          open.delete(out);
          closers.delete(close);
        });
        return closing;
      };
      closers.add(close);
      return {
        write(text) {
          if (error === undefined && closing === undefined) out.write(text);
        },
        close,
      };
    },
    stdout: (text) => io.stdout(text),
    stderr: (text) => io.stderr(text),
    env: (name) => io.env[name],
    async appendToEnvFile(variable, text) {
      const file = io.env[variable];
      if (!file) throw new Error(`$${variable} is not set`);
      await appendFile(file, text);
    },
    terminal,
    drained() {
      const full = [...open].filter((s) => s.writableNeedDrain && !s.destroyed);
      if (full.length === 0) return undefined;
      return Promise.all(
        full.map(
          (s) =>
            new Promise<void>((resolve) => {
              const settle = (): void => {
                s.off('drain', settle);
                s.off('close', settle);
                resolve();
              };
              s.on('drain', settle);
              s.on('close', settle);
            }),
        ),
      ).then(() => undefined);
    },
    async close() {
      await Promise.allSettled([...closers].map((close) => close()));
    },
  };
}
