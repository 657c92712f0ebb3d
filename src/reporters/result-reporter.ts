/**
 * The formats rendered from the finished result alone (json, html, junit, markdown, terminal)
 * stay pure functions, testable without a file system; this adapter makes each a reporter that
 * writes its text to its destination when the run ends.
 */
import type { AuditResult } from '../result/result.js';
import type { RenderContext, ReporterDefinition, ReporterEnvironment, ReporterMeta } from './types.js';

export type ResultReporterDefinition = ReporterDefinition & {
  render(result: AuditResult, ctx: RenderContext): string;
};

export function resultReporter(
  meta: ReporterMeta,
  render: (result: AuditResult, ctx: RenderContext) => string,
  enabled?: (env: ReporterEnvironment) => boolean,
): ResultReporterDefinition {
  return {
    meta,
    ...(enabled ? { enabled } : {}),
    render,
    create: (ctx) => ({
      async onRunEnd(result, exitCode) {
        const text = render(result, { color: ctx.color, reportDir: ctx.reportDir, exitCode });
        if (meta.destination === 'stdout') ctx.out.stdout(text);
        else await ctx.out.writeFile(meta.destination, text);
      },
    }),
  };
}
