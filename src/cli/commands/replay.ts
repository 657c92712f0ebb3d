/**
 * `idem-audit replay`: sends the requests behind a finding again, grouped as they were, and
 * says whether the broken promise still shows. Credentials come from the scenario file named in
 * the report (or --scenario), loaded with the current environment, because reports hold only
 * `[REDACTED]`. Keys are renamed by default so the target judges the requests from a clean slate;
 * --same-keys sends the recorded keys verbatim.
 *
 * The same host policy as `run` applies (engine/prepare-run.ts; the engine enforces it), the
 * endpoint's observers are brought up as in a run (a sink the target calls must be listening),
 * and side effects are judged per key by the rule the attacks use (verdict/replay.ts).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { attacks } from '../../attacks/index.js';
import { loadScenario } from '../../config/index.js';
import { countSideEffects, createObservers } from '../../engine/observer-set.js';
import { hostPolicyFor } from '../../engine/prepare-run.js';
import type { AuditResult } from '../../result/result.js';
import { closeWithin, OBSERVER_CLOSE_MS, redactorFor } from '../../engine/run-audit.js';
import { IdemAuditError, UsageError } from '../../errors/errors.js';
import type { Finding } from '../../findings/finding.js';
import { HttpEngine } from '../../http/engine.js';
import { outcomeOf, type Exchange } from '../../http/exchange.js';
import { observers as observerRegistry } from '../../observers/index.js';
import type { ObserverInstance } from '../../observers/types.js';
import { EXIT } from '../../verdict/exit-codes.js';
import { judgeReplayedAnswers, judgeReplayedEffects, type ReplayVerdict } from '../../verdict/replay.js';
import { failingFindings } from '../../verdict/verdict.js';
import { extensionSchemas } from '../../engine/extension-schemas.js';
import type { CliIo } from '../io.js';
import { readReport } from '../read-report.js';
import { planReplay, type ReplayPlan } from '../replay-requests.js';

interface ReplayOptions {
  finding?: string;
  target?: string;
  scenario?: string;
  sameKeys?: boolean;
  allowProduction?: boolean;
}

function pickFindings(report: AuditResult, fingerprint: string | undefined): Finding[] {
  if (fingerprint === undefined) {
    const failing = failingFindings(report);
    return failing.length > 0 ? failing : report.findings;
  }
  const matches = report.findings.filter((f) => f.fingerprint.startsWith(fingerprint));
  if (matches.length === 1) return matches;
  throw new UsageError(
    matches.length === 0
      ? `the report has no finding with fingerprint '${fingerprint}'`
      : `'${fingerprint}' matches ${matches.length} findings; give more characters`,
    `fingerprints: ${report.findings.map((f) => f.fingerprint).join(', ') || 'none'}`,
  );
}

/**
 * Why resending cannot recreate this finding, if it cannot: the attack says so, or its requests
 * overlapped in time outside a burst (in flight together), which sending them in turn would not.
 */
function unreplayable(finding: Finding, plan: ReplayPlan): string | undefined {
  const declared = attacks[finding.attack]?.meta.notReplayable;
  if (declared !== undefined) return declared;
  const setup = finding.exchanges.find((e) => e.phase === 'setup');
  if (setup)
    return `its requests use what setup requests created for the run (${setup.label}, …), which resending them does not recreate and teardown may have removed`;
  const sequential = plan.groups.filter((g) => g.burst === undefined).flatMap((g) => g.originals);
  for (let i = 1; i < sequential.length; i++) {
    const prev = sequential[i - 1];
    const cur = sequential[i];
    if (prev?.timings.done !== undefined && cur && cur.timings.queued < prev.timings.done)
      return `request #${cur.id} was sent while #${prev.id} was still in flight, which sending them one after the other does not recreate`;
  }
  return undefined;
}

async function send(engine: HttpEngine, plan: ReplayPlan, finding: Finding): Promise<Exchange[]> {
  const ctx = { attack: `replay:${finding.attack}`, endpoint: finding.endpoint };
  const out: Exchange[] = [];
  for (const g of plan.groups) {
    if (g.burst !== undefined && g.specs.length > 1) out.push(...(await engine.burst(g.specs, ctx)).exchanges);
    else for (const spec of g.specs) out.push(await engine.send(spec, ctx));
  }
  return out;
}

async function judge(
  finding: Finding,
  plan: ReplayPlan,
  replayed: readonly Exchange[],
  observers: readonly ObserverInstance[],
): Promise<ReplayVerdict> {
  const unanswered = replayed.filter((e) => e.response === undefined);
  if (unanswered.length > 0)
    return {
      reproduced: undefined,
      detail: `${unanswered.length} of ${replayed.length} request(s) got no answer (${unanswered.map(outcomeOf).join(' ')}), so the replay proves nothing`,
    };
  const originals = plan.groups.flatMap((g) => g.originals);
  const firstBefore = originals[0]?.response?.status;
  const firstNow = replayed[0]?.response?.status;
  // The first request sets up what the rest are judged against (the original write, the stored answer).
  if (firstBefore !== undefined && firstNow !== undefined && isOk(firstBefore) !== isOk(firstNow))
    return {
      reproduced: undefined,
      detail: `the first request was answered ${firstNow} now but ${firstBefore} when recorded, so the finding's premise does not hold`,
    };
  const se = finding.sideEffects;
  if (!se) return judgeReplayedAnswers(originals.map(outcomeOf), replayed.map(outcomeOf));
  if (observers.length === 0)
    return { reproduced: undefined, detail: `endpoint ${finding.endpoint} declares no observer to count side effects` };
  const writes = new Map<string, number>();
  for (const [original, key] of plan.keys) {
    const counted = await countSideEffects(
      observers,
      key,
      replayed.filter((e) => e.key === key),
    );
    writes.set(original, counted.writes);
  }
  return judgeReplayedEffects(se, writes);
}

function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

export function registerReplay(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('replay')
    .description('re-send the requests behind a finding and say whether it still reproduces')
    .argument('<report>', 'report.json of a run')
    .option('--finding <fingerprint>', 'the finding to replay (default: every finding at or above fail-on)')
    .option('--target <url>', 'send to this base URL instead of the recorded one')
    .option('--scenario <file>', 'scenario file to take credentials and observers from (default: the report’s)')
    .option('--same-keys', 'send the recorded idempotency keys instead of fresh ones')
    .option('--allow-production', 'allow a target declared target.environment: production')
    .action(async (file: string, opts: ReplayOptions) => {
      const report = readReport(file, io.cwd);
      if (opts.target !== undefined && (!/^https?:\/\/[^/]+/.test(opts.target) || !URL.canParse(opts.target)))
        throw new UsageError(`--target must be an http(s) URL, got '${opts.target}'`);
      const findings = pickFindings(report, opts.finding);
      if (findings.length === 0) {
        io.stdout('the report has no finding to replay\n');
        setExit(EXIT.clean);
        return;
      }
      const scenarioFile = opts.scenario === undefined ? report.scenario.file : resolve(io.cwd, opts.scenario);
      const scenario = await loadScenario(scenarioFile, extensionSchemas(), io.env);
      // Refused before anything is planned or sent, naming every host; the engine enforces it on each request too.
      const hostPolicy = hostPolicyFor(scenario, { allowProduction: opts.allowProduction === true, env: io.env });
      const baseUrl = (opts.target ?? scenario.target.baseUrl).replace(/\/+$/, '');
      hostPolicy.assertAllowed([baseUrl]);
      const plans = findings.map((finding) => ({
        finding,
        plan: planReplay(finding, {
          scenario,
          recordedBaseUrl: report.target.baseUrl,
          target: opts.target,
          sameKeys: opts.sameKeys === true,
        }),
      }));
      hostPolicy.assertAllowed(plans.flatMap((p) => p.plan.groups.flatMap((g) => g.specs.map((s) => s.url))));
      const t0 = performance.now();
      const engine = new HttpEngine({
        hostPolicy,
        timeoutMs: scenario.target.timeoutMs,
        bodyCap: scenario.settings.bodyCap,
        maxRequests: scenario.settings.maxRequests,
        rate: undefined,
        ...(scenario.target.arrivalHeader ? { arrivalHeader: scenario.target.arrivalHeader } : {}),
        redactor: redactorFor(scenario),
        now: () => performance.now() - t0,
        onExchange: () => undefined,
      });
      let reproduced = 0;
      let unjudged = 0;
      const opened: ObserverInstance[] = [];
      try {
        for (const { finding, plan } of plans) {
          const head = `${finding.fingerprint} ${finding.kind} @ ${finding.endpoint} › ${finding.attack}`;
          const why = unreplayable(finding, plan);
          if (why !== undefined) {
            unjudged++;
            io.stdout(
              `? ${head}: not replayable as plain requests: ${why}; rerun it with: ${finding.reproduce.command}\n`,
            );
            continue;
          }
          const endpoint = scenario.endpoints.find((e) => e.name === finding.endpoint);
          const observers = endpoint ? createObservers(endpoint, observerRegistry, scenario, engine, { baseUrl }) : [];
          opened.push(...observers);
          for (const ob of observers) await ob.start?.();
          const replayed = await send(engine, plan, finding);
          const verdict = await judge(finding, plan, replayed, observers);
          const groups = `${plan.groups.length} group(s), ${replayed.length} request(s)`;
          if (verdict.reproduced === undefined) {
            unjudged++;
            io.stdout(`? inconclusive ${head}: ${groups}; ${verdict.detail}\n`);
            continue;
          }
          if (verdict.reproduced) reproduced++;
          const timing =
            !verdict.reproduced && finding.reproduce.timingDependent
              ? ' (timing-dependent: try again before calling it fixed)'
              : '';
          io.stdout(
            `${verdict.reproduced ? '✗ reproduced' : '✓ not reproduced'} ${head}: ${groups}; ${verdict.detail}${timing}\n`,
          );
        }
      } catch (err) {
        if (err instanceof IdemAuditError) throw err;
        throw new IdemAuditError('IDEM_TARGET_UNREACHABLE', `replay failed: ${(err as Error).message}`);
      } finally {
        await engine.close();
        await Promise.all(
          opened.map((ob) => (ob.close ? closeWithin(ob.close(), OBSERVER_CLOSE_MS) : Promise.resolve())),
        );
      }
      setExit(reproduced > 0 ? EXIT.findings : unjudged > 0 ? EXIT.notAudited : EXIT.clean);
    });
}
