/**
 * `idem-audit replay`: sends the requests behind a finding again, grouped as they were, and
 * says whether the broken promise still shows. Credentials come from the scenario file named in
 * the report (or --scenario), loaded with the current environment, because reports hold only
 * `[REDACTED]`. Keys are renamed by default so the target judges the requests from a clean slate;
 * --same-keys sends the recorded keys verbatim.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadScenario } from '../../config/index.js';
import type { AuditResult } from '../../engine/result.js';
import { redactorFor } from '../../engine/run-audit.js';
import { IdemAuditError, UsageError } from '../../errors/errors.js';
import type { Finding } from '../../findings/finding.js';
import { atLeast } from '../../findings/severity.js';
import { HttpEngine } from '../../http/engine.js';
import { outcomeOf, type Exchange } from '../../http/exchange.js';
import { observers as observerRegistry } from '../../observers/index.js';
import type { ResolvedScenario } from '../../scenario/types.js';
import { EXIT } from '../exit-codes.js';
import { extensionSchemas } from '../extensions.js';
import type { CliIo } from '../io.js';
import { readReport } from '../read-report.js';
import { planReplay, type ReplayPlan } from '../replay-requests.js';

interface ReplayOptions {
  finding?: string;
  target?: string;
  scenario?: string;
  sameKeys?: boolean;
}

interface Verdict {
  reproduced: boolean | undefined;
  detail: string;
}

function pickFindings(report: AuditResult, fingerprint: string | undefined): Finding[] {
  if (fingerprint === undefined) {
    const failing = report.findings.filter((f) => atLeast(f.severity, report.failOn));
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

async function send(engine: HttpEngine, plan: ReplayPlan, finding: Finding): Promise<Exchange[]> {
  const ctx = { attack: `replay:${finding.attack}`, endpoint: finding.endpoint };
  const out: Exchange[] = [];
  for (const g of plan.groups) {
    if (g.burst !== undefined && g.specs.length > 1) out.push(...(await engine.burst(g.specs, ctx)).exchanges);
    else for (const spec of g.specs) out.push(await engine.send(spec, ctx));
  }
  return out;
}

/** Side effects re-counted by the endpoint's observers, compared with what the finding expected. */
async function recount(
  scenario: ResolvedScenario,
  engine: HttpEngine,
  finding: Finding,
  plan: ReplayPlan,
  replayed: readonly Exchange[],
  baseUrl: string,
): Promise<Verdict | undefined> {
  const se = finding.sideEffects;
  const endpoint = scenario.endpoints.find((e) => e.name === finding.endpoint);
  if (!se || !endpoint || endpoint.observe.length === 0 || plan.keys.size === 0) return undefined;
  let total = 0;
  for (const spec of endpoint.observe) {
    const observer = observerRegistry[spec.id];
    if (!observer) continue;
    const instance = observer.create(spec.options, {
      scenario,
      endpoint,
      url: (path) => `${baseUrl}${path}`,
      send: (req) =>
        engine.send(
          { ...req, headers: { ...scenario.target.headers, ...req.headers }, principal: 'default' },
          { attack: `observe:${spec.id}`, endpoint: endpoint.name },
        ),
    });
    try {
      let sum = 0;
      for (const key of plan.keys.values())
        sum += (await instance.count(key, { exchanges: replayed.filter((e) => e.key === key) })).count;
      total = Math.max(total, sum);
    } finally {
      await instance.close?.().catch(() => undefined);
    }
  }
  const wrongWay = se.observed > se.expected ? total > se.expected : total < se.expected;
  return {
    reproduced: wrongWay,
    detail: `side effects: expected ${se.expected}, observed now ${total} (recorded ${se.observed})`,
  };
}

/** Without a side-effect count, the finding was about the answers: the same answers reproduce it. */
function compareAnswers(plan: ReplayPlan, replayed: readonly Exchange[]): Verdict {
  const originals = plan.groups.flatMap((g) => g.originals);
  const now = replayed.map(outcomeOf);
  const before = originals.map(outcomeOf);
  const same = now.length === before.length && now.every((o, i) => o === before[i]);
  return { reproduced: same, detail: `answers now ${now.join(' ')}; recorded ${before.join(' ')}` };
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
      const t0 = performance.now();
      const engine = new HttpEngine({
        timeoutMs: scenario.target.timeoutMs,
        bodyCap: scenario.settings.bodyCap,
        maxRequests: scenario.settings.maxRequests,
        rate: undefined,
        redactor: redactorFor(scenario),
        now: () => performance.now() - t0,
        onExchange: () => undefined,
      });
      let reproduced = 0;
      let unjudged = 0;
      try {
        for (const finding of findings) {
          const plan = planReplay(finding, {
            scenario,
            recordedBaseUrl: report.target.baseUrl,
            target: opts.target,
            sameKeys: opts.sameKeys === true,
          });
          const replayed = await send(engine, plan, finding);
          const head = `${finding.fingerprint} ${finding.kind} @ ${finding.endpoint} › ${finding.attack}`;
          if (replayed.every((e) => e.response === undefined)) {
            unjudged++;
            io.stdout(`? ${head}: no request was answered (${replayed.map(outcomeOf).join(' ')})\n`);
            continue;
          }
          const baseUrl = (opts.target ?? scenario.target.baseUrl).replace(/\/+$/, '');
          const verdict =
            (await recount(scenario, engine, finding, plan, replayed, baseUrl)) ?? compareAnswers(plan, replayed);
          if (verdict.reproduced) reproduced++;
          const timing =
            !verdict.reproduced && finding.reproduce.timingDependent
              ? ' (timing-dependent: try again before calling it fixed)'
              : '';
          io.stdout(
            `${verdict.reproduced ? '✗ reproduced' : '✓ not reproduced'} ${head}: ${plan.groups.length} group(s), ${replayed.length} request(s); ${verdict.detail}${timing}\n`,
          );
        }
      } catch (err) {
        if (err instanceof IdemAuditError) throw err;
        throw new IdemAuditError('IDEM_TARGET_UNREACHABLE', `replay failed: ${(err as Error).message}`);
      } finally {
        await engine.close();
      }
      setExit(reproduced > 0 ? EXIT.findings : unjudged > 0 ? EXIT.notAudited : EXIT.clean);
    });
}
