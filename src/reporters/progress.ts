/**
 * Live progress on an interactive terminal: which attack runs, requests sent, findings so far.
 * Off when stdout or stderr is not a TTY, in CI, or with --quiet, so logs never fill with redraws.
 */
import cliProgress from 'cli-progress';
import type { ReporterDefinition, ReporterEnvironment } from './types.js';

export function progressEnabled(env: ReporterEnvironment): boolean {
  const ci = env.env['CI'];
  return env.live && !env.quiet && env.interactive && (ci === undefined || ci === '' || ci === 'false');
}

export const progressReporter: ReporterDefinition = {
  meta: {
    id: 'progress',
    description: 'A live progress line on stderr (interactive terminal only, not in CI, not with --quiet).',
    destination: 'stderr',
    selectable: false,
    byDefault: true,
  },
  enabled: progressEnabled,
  create(ctx) {
    const stream = ctx.out.terminal;
    if (!stream) return {};
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
    const redraw = (): void => {
      if (started) bar.update(done, payload());
    };
    // The line is cleared before anything else is printed at the end.
    const stop = (): void => {
      if (started) bar.stop();
      started = false;
    };
    return {
      onRunStart(e) {
        bar.start(e.attacks, 0, payload());
        started = true;
      },
      onAttackStart(e) {
        current = `${e.attack} @ ${e.endpoint}`;
        redraw();
      },
      onExchange() {
        requests++;
        redraw();
      },
      onFinding() {
        findings++;
        redraw();
      },
      onAttackEnd() {
        done++;
        redraw();
      },
      onRunEnd: stop,
      onRunFailed: stop,
    };
  },
};
