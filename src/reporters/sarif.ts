/**
 * report.sarif: SARIF 2.1.0, for code-scanning tabs (GitHub's upload-sarif, GitLab, Azure DevOps).
 * One rule per finding kind of each attack (the catalogue's unit: its title, remediation and IK
 * references differ between attacks), one result per finding, located at the endpoint's
 * declaration in the scenario file, with the finding's fingerprint as its partial fingerprint so
 * code scanning tracks one alert across runs, seeds and key salts. With --baseline, each result
 * says whether the baseline knew it (`unchanged`) or not (`new`).
 *
 * Not written by default: most runs never upload it, and code scanning shows its results as
 * alerts on the scenario file, which is only what a team wants once it has decided so (the
 * GitHub Action of this repository turns it on with its `sarif` input).
 */
import { relative, resolve, sep } from 'node:path';
import type { AuditResult } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import type { Severity } from '../scenario/severity.js';
import { REDACTED } from '../http/redact.js';
import { EXIT } from '../verdict/exit-codes.js';
import { failsRun } from '../verdict/verdict.js';
import { baselineNote } from './finding-notes.js';
import type { ReporterDefinition } from './types.js';

export const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** The key of `partialFingerprints`: bump the version if fingerprints ever change meaning. */
export const FINGERPRINT_KEY = 'idemAudit/v1';

type Level = 'error' | 'warning' | 'note';

export function levelOf(severity: Severity): Level {
  switch (severity) {
    case 'critical':
    case 'high':
      return 'error';
    case 'medium':
      return 'warning';
    case 'low':
    case 'info':
      return 'note';
  }
}

const ruleId = (f: Pick<Finding, 'attack' | 'kind'>): string => `${f.attack}/${f.kind}`;

const pascal = (kind: string): string =>
  kind
    .split(/[^A-Za-z0-9]+/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

function rule(f: Finding): Record<string, unknown> {
  const refs = f.references.length > 0 ? f.references.join(', ') : undefined;
  const text = [
    `${f.title}.`,
    `Fix: ${f.remediation}`,
    ...(refs ? [`References: ${refs} (idempotency standards checklist).`] : []),
    `Found by the ${f.attack} attack; \`idem-audit explain ${f.attack}\` describes it and its options.`,
  ].join('\n');
  return {
    id: ruleId(f),
    name: pascal(f.kind),
    shortDescription: { text: f.title },
    fullDescription: { text: `${f.title} (${f.kind}, found by the ${f.attack} attack).` },
    help: { text },
    defaultConfiguration: { level: levelOf(f.severity) },
    properties: { tags: ['idempotency', f.attack, ...f.references], precision: 'high' },
  };
}

/** The scenario file as a relative URI reference (code scanning resolves it against the checkout). */
function fileUri(file: string, cwd: string): string {
  const rel = relative(cwd, resolve(cwd, file)) || file;
  return rel.split(sep).map(encodeURIComponent).join('/');
}

function location(result: AuditResult, f: Finding, uri: string): Record<string, unknown> {
  const at = result.scenario.endpoints?.find((e) => e.name === f.endpoint);
  return {
    physicalLocation: {
      artifactLocation: { uri },
      ...(at ? { region: { startLine: at.line, startColumn: at.col } } : {}),
    },
    logicalLocations: [{ name: f.endpoint, fullyQualifiedName: `${result.scenario.name}/${f.endpoint}` }],
  };
}

function sarifResult(
  result: AuditResult,
  f: Finding,
  ruleIndex: number,
  uri: string,
  baselineInUse: boolean,
): Record<string, unknown> {
  const notes = [
    `expected: ${f.expected}; observed: ${f.observed}`,
    `reproduce: ${f.reproduce.command}${f.reproduce.timingDependent ? ' (timing-dependent)' : ''}`,
    ...(f.baseline ? [baselineNote(f.baseline)] : []),
  ];
  return {
    ruleId: ruleId(f),
    ruleIndex,
    level: levelOf(f.severity),
    message: { text: `${f.title}: ${f.message}\n${notes.join('\n')}` },
    locations: [location(result, f, uri)],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    ...(baselineInUse ? { baselineState: f.baseline ? 'unchanged' : 'new' } : {}),
    properties: {
      endpoint: f.endpoint,
      attack: f.attack,
      kind: f.kind,
      severity: f.severity,
      failsRun: failsRun(f, result.failOn),
      timingDependent: f.reproduce.timingDependent,
      ...(f.baseline ? { baseline: f.baseline } : {}),
    },
  };
}

export function renderSarif(result: AuditResult, exitCode: number, cwd: string): string {
  const rules: Record<string, unknown>[] = [];
  const index = new Map<string, number>();
  for (const f of [...result.findings].sort((a, b) => ruleId(a).localeCompare(ruleId(b)))) {
    if (index.has(ruleId(f))) continue;
    index.set(ruleId(f), rules.length);
    rules.push(rule(f));
  }
  const uri = fileUri(result.scenario.file, cwd);
  const baselineInUse = result.baseline !== undefined || result.findings.some((f) => f.baseline !== undefined);
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'idem-audit',
            version: result.tool.version,
            semanticVersion: result.tool.version,
            rules,
          },
        },
        automationDetails: { id: `idem-audit/${result.scenario.name}/` },
        invocations: [
          {
            // The audit itself ran to its end: findings (exit 1) are its output, not a failure of the tool.
            executionSuccessful: exitCode === EXIT.clean || exitCode === EXIT.findings,
            exitCode,
            startTimeUtc: result.startedAt,
            endTimeUtc: result.finishedAt,
            toolExecutionNotifications: result.errors.map((e) => ({
              level: 'error',
              message: { text: `${e.message}${e.hint ? ` (${e.hint})` : ''}` },
              descriptor: { id: e.code },
            })),
          },
        ],
        redactionTokens: [REDACTED],
        results: result.findings.map((f) => sarifResult(result, f, index.get(ruleId(f)) ?? 0, uri, baselineInUse)),
        properties: {
          status: result.status,
          target: result.target.baseUrl,
          seed: result.seed,
          ...(result.keySalt === undefined ? {} : { keySalt: result.keySalt }),
          failOn: result.failOn,
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

export const sarifReporter: ReporterDefinition = {
  meta: {
    id: 'sarif',
    description:
      'SARIF 2.1.0 for code scanning: a rule per finding kind, a result per finding (not written by default).',
    destination: 'report.sarif',
    selectable: true,
    byDefault: false,
  },
  create(ctx) {
    return {
      async onRunEnd(result, exitCode) {
        await ctx.out.writeFile('report.sarif', renderSarif(result, exitCode, ctx.cwd));
      },
    };
  },
};
