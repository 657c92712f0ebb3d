/**
 * Live progress on an interactive terminal: which attack runs, requests sent, findings so far.
 * Silent when stderr is not a TTY, in CI, or with --quiet, so logs never fill with redraws.
 */
import cliProgress from 'cli-progress';
import type { RunEvent } from '../result/events.js';
import type { CliIo } from './io.js';

export interface Progress {
  onEvent(e: RunEvent): void;
  stop(): void;
}

const SILENT: Progress = { onEvent: () => undefined, stop: () => undefined };

export function progressEnabled(io: CliIo, quiet: boolean, stream: { isTTY?: boolean } = process.stderr): boolean {
  const ci = io.env['CI'];
  return !quiet && io.isTTY && stream.isTTY === true && (ci === undefined || ci === '' || ci === 'false');
}

export function createProgress(io: CliIo, quiet: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!progressEnabled(io, quiet, stream)) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ' {bar} {value}/{total} attacks · {current} · {requests} requests · {findings} findings',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let requests = 0;
  let findings = 0;
  let done = 0;
  let current = '';
  const payload = (): Record<string, string | number> => ({ current, requests, findings });
  return {
    onEvent(e) {
      switch (e.type) {
        case 'run-start':
          bar.start(e.attacks, 0, payload());
          started = true;
          return;
        case 'attack-start':
          current = `${e.attack} @ ${e.endpoint}`;
          break;
        case 'exchange':
          requests++;
          break;
        case 'finding':
          findings++;
          break;
        case 'attack-end':
          done++;
          break;
        case 'run-end':
          break;
      }
      if (started) bar.update(done, payload());
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
