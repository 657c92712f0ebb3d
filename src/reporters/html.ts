/**
 * report.html: one self-contained page a developer can open offline or download from a CI run.
 * Everything the target or the scenario supplied goes through `esc`; the only style and script
 * are inline and allowed by hash, and the Content-Security-Policy forbids every fetch, so even a
 * payload that slipped past escaping could neither run nor phone home.
 */
import { createHash } from 'node:crypto';
import type { AuditResult, BurstStat } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import { SEVERITIES, type Severity } from '../scenario/severity.js';
import { failsRun } from '../verdict/verdict.js';
import type { Exchange } from '../http/exchange.js';
import { esc, token } from './html/escape.js';
import { SCRIPT } from './html/script.js';
import { STYLE } from './html/style.js';
import { TIMELINE_LEGEND, timelineSvg } from './html/timeline.js';
import { resultReporter } from './result-reporter.js';
import { latencySection } from './html/latency-chart.js';
import { matrixDetails, matrixSection, type Anchors } from './html/matrix.js';
import { bySeverity, cellCounts, plural, verdictOf, type VerdictState } from './overview.js';
import { baselineMarker, baselineNote, exportNote } from './finding-notes.js';

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export function contentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    `style-src ${sha256(STYLE)}`,
    `script-src ${sha256(SCRIPT)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const VERDICT_CLASS: Readonly<Record<VerdictState, string>> = {
  failed: 'fail',
  passed: 'pass',
  'not-audited': 'warn',
  interrupted: 'warn',
};

function sevBadge(s: Severity): string {
  return `<span class="badge sev-${token(s)}">${esc(s)}</span>`;
}

/** The first screen: verdict and what the exit code means, the counts, then the matrix. */
function header(result: AuditResult, exitCode: number): string {
  const v = verdictOf(result, exitCode);
  const pills = SEVERITIES.slice()
    .reverse()
    .map((s) => `<span class="sev-pill">${sevBadge(s)} ${result.summary.findings[s]}</span>`)
    .join('');
  const cells = cellCounts(result);
  const below =
    v.belowFailOn > 0
      ? ` · <span class="below">${plural(v.belowFailOn, 'finding')} below ${esc(result.failOn)}: reported, not failing</span>`
      : '';
  return `<header><div class="inner">
<h1>idem-audit · ${esc(result.scenario.name)}</h1>
<div class="meta">target ${esc(result.target.baseUrl)} · seed ${result.seed} · ${result.requests} requests in ${(result.durationMs / 1000).toFixed(1)} s · ${esc(result.startedAt)} · idem-audit ${esc(result.tool.version)} · run ${esc(result.status)}</div>
<div class="verdict ${VERDICT_CLASS[v.state]}" id="verdict"><strong>${esc(v.word)}</strong> <span>${esc(v.exitMeaning)}</span></div>
<div class="counts"><div class="sev-summary" id="severity-summary">${pills}</div>
<div class="meta" id="cell-summary">${plural(result.attacks.length, 'cell')}: <span class="m-passed">${cells.passed} passed</span> · <span class="m-fails">${cells.failed} failed</span> · <span class="m-skipped">${cells.skipped} skipped</span> · <span class="m-not-audited">${cells.notAudited} not audited</span>${below}</div></div>
</div></header>`;
}

function contractSection(result: AuditResult): string {
  const c = result.contract;
  const rows: [string, string][] = [
    ['profile', c.profile],
    ['key header', c.keyHeader],
    ['key required', String(c.keyRequired)],
    ['key remembered for', `${c.ttlMs} ms`],
    ['missing key →', c.onMissingKey.join(', ')],
    ['key reused, other body →', c.onMismatch.join(', ')],
    ['duplicate in flight →', `${c.onInFlight.join(', ')}${c.inFlightMayWait ? ' (or wait for the replay)' : ''}`],
    ['5xx replayed', String(c.errorsReplayed)],
  ];
  return `<h2>Contract checked</h2><dl class="kv">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

function filters(result: AuditResult): string {
  const attacks = [...new Set(result.attacks.map((a) => a.attack).concat(result.findings.map((f) => f.attack)))].sort();
  const sev = SEVERITIES.slice()
    .reverse()
    .map(
      (s) =>
        `<label><input type="checkbox" data-filter="severity" value="${s}" checked> ${s} (${result.summary.findings[s]})</label>`,
    )
    .join('');
  const att = attacks
    .map((a) => `<label><input type="checkbox" data-filter="attack" value="${token(a)}" checked> ${esc(a)}</label>`)
    .join('');
  return `<div class="filters" id="filters"><fieldset><legend>severity</legend>${sev}</fieldset><fieldset><legend>attack</legend>${att}</fieldset><span><span id="shown-count">${result.findings.length}</span> of ${result.findings.length} findings shown</span></div>`;
}

function headerBlock(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

/** `id` must be unique in the page: the copy button finds its text through it. */
function copyable(text: string, id: string): string {
  return `<div class="copy-row"><pre id="${id}">${esc(text)}</pre><button type="button" class="copy" data-copy="${id}">copy</button></div>`;
}

function exchangeBlock(ex: Exchange): string {
  const outcome = ex.response ? String(ex.response.status) : (ex.error?.code ?? 'no response');
  const req = ex.request;
  const res = ex.response;
  const reqText = `${req.method} ${req.url}\n${headerBlock(req.headers)}`;
  const parts = [
    `<details class="exchange"><summary>#${ex.id} ${esc(ex.label)} · ${esc(req.method)} ${esc(req.url)} → <strong>${esc(outcome)}</strong>${ex.key !== undefined ? ` · key ${esc(ex.key)}` : ''}${ex.burst !== undefined ? ` · burst ${ex.burst}` : ''}</summary>`,
    `<div>request</div><pre>${esc(reqText)}</pre>`,
  ];
  if (req.body !== undefined)
    parts.push(`<details><summary>request body</summary><pre>${esc(req.body)}</pre></details>`);
  if (res) {
    parts.push(`<div>response</div><pre>${esc(`HTTP ${res.status}\n${headerBlock(res.headers)}`)}</pre>`);
    parts.push(
      `<details><summary>response body (${res.bytes} bytes${res.truncated ? ', truncated' : ''})</summary><pre>${esc(res.body)}</pre></details>`,
    );
  } else if (ex.error) {
    parts.push(`<div>transport error</div><pre>${esc(`${ex.error.code}: ${ex.error.message}`)}</pre>`);
  }
  parts.push('</details>');
  return parts.join('\n');
}

function burstsOf(result: AuditResult, f: Finding): BurstStat[] {
  const ids = new Set(f.exchanges.flatMap((e) => (e.burst === undefined ? [] : [e.burst])));
  return result.attacks
    .filter((a) => a.attack === f.attack && a.endpoint === f.endpoint)
    .flatMap((a) => a.bursts)
    .filter((b) => ids.has(b.id) && (b.timeline?.length ?? 0) > 0);
}

function burstFigure(b: BurstStat): string {
  const spread = [
    b.releaseSpreadMs !== undefined ? `release spread ${b.releaseSpreadMs.toFixed(2)} ms` : '',
    b.arrivalSpreadMs !== undefined ? `server arrival spread ${b.arrivalSpreadMs.toFixed(2)} ms` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const sync = b.sync !== undefined ? ` · released by ${esc(b.sync)}` : '';
  return `<figure class="timeline" data-burst="${b.id}"><figcaption>burst ${b.id}: ${b.size} requests${sync}${spread ? ` · ${spread}` : ''}</figcaption>${timelineSvg(b)}</figure>`;
}

/**
 * One finding, collapsed to its summary line until opened: severity, title, attack and kind, and
 * whether it fails the run. `anchor` is its id in the page (the matrix links to it).
 */
function findingBlock(result: AuditResult, f: Finding, n: number, anchor: string): string {
  const se = f.sideEffects;
  const sideEffects = se
    ? `<h4>Side effects</h4><dl class="kv"><dt>expected</dt><dd>${esc(se.expected)}</dd><dt>observed</dt><dd><strong>${esc(se.observed)}</strong></dd>${se.counts.map((c) => `<dt>${esc(c.observer)}</dt><dd>${esc(c.count)}: ${esc(c.detail)}</dd>`).join('')}</dl>`
    : '';
  const bursts = burstsOf(result, f);
  const repro = f.reproduce;
  const exports = exportNote(repro.env);
  const failing = failsRun(f, result.failOn);
  const status = f.baseline
    ? ` <span class="below baseline" title="${esc(baselineNote(f.baseline))}">${esc(baselineMarker(f.baseline))}</span>`
    : failing
      ? ''
      : ` <span class="below" title="reported, but below --fail-on ${esc(result.failOn)}: it does not fail the run">below fail-on</span>`;
  return `<details class="finding sev-border-${token(f.severity)}" id="${anchor}" data-severity="${token(f.severity)}" data-attack="${token(f.attack)}" data-fingerprint="${esc(f.fingerprint)}">
<summary>${sevBadge(f.severity)} <span class="ftitle">${esc(f.title)}</span> <span class="meta">${esc(f.attack)} · ${esc(f.kind)}</span>${status}</summary>
<div class="fbody">
<div class="meta">${esc(f.endpoint)} › ${esc(f.attack)} · ${esc(f.kind)} · <span class="fp">${esc(f.fingerprint)}</span></div>
${f.baseline ? `<p class="meta baseline-note">${esc(baselineNote(f.baseline))}</p>` : ''}
<p>${esc(f.message)}</p>
<dl class="kv"><dt>expected</dt><dd>${esc(f.expected)}</dd><dt>observed</dt><dd>${esc(f.observed)}</dd></dl>
${sideEffects}
${bursts.length > 0 ? `<h4>Timeline</h4>${TIMELINE_LEGEND}${bursts.map(burstFigure).join('\n')}` : ''}
<h4>Evidence (${f.exchanges.length} exchanges)</h4>
${f.exchanges.map(exchangeBlock).join('\n')}
<h4>Reproduce</h4>
${repro.timingDependent ? '<p class="meta">Timing-dependent: one replay may pass although the flaw is real; run it a few times.</p>' : ''}
${copyable(repro.command, `cmd-${n}`)}
${repro.curl.length > 0 ? `<details><summary>curl (${repro.curl.length} lines; secrets come from shell variables)</summary>${exports === undefined ? '' : `<p class="meta">${esc(exports)}</p>`}${repro.curl.map((c, i) => copyable(c, `curl-${n}-${i}`)).join('\n')}</details>` : ''}
<h4>Fix</h4><p>${esc(f.remediation)}</p>
${f.references.length > 0 ? `<p class="meta">references: ${f.references.map(esc).join(', ')}</p>` : ''}
</div>
</details>`;
}

/**
 * Unique ids in the page for findings (by fingerprint, so a link to report.html#f-… names the
 * flaw) and endpoint groups; names that reduce to the same token get a numbered suffix.
 */
function anchors(result: AuditResult): Anchors {
  const used = new Set<string>();
  const unique = (base: string): string => {
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
    used.add(id);
    return id;
  };
  const findings = new Map(result.findings.map((f) => [f, unique(`f-${token(f.fingerprint)}`)]));
  const endpoints = new Map(
    [...new Set([...result.attacks.map((a) => a.endpoint), ...result.findings.map((f) => f.endpoint)])].map((ep) => [
      ep,
      unique(`ep-${token(ep)}`),
    ]),
  );
  return { finding: (f) => findings.get(f) ?? '', endpoint: (ep) => endpoints.get(ep) ?? '' };
}

/** Findings grouped by endpoint, in the matrix's order; most severe first within each. */
function findingGroups(result: AuditResult, ids: Anchors): string {
  const numbered = new Map(result.findings.map((f, i) => [f, i]));
  const endpoints = [...new Set([...result.attacks.map((a) => a.endpoint), ...result.findings.map((f) => f.endpoint)])];
  return endpoints
    .map((ep) => {
      const found = bySeverity(result.findings.filter((f) => f.endpoint === ep));
      if (found.length === 0) return '';
      const failing = found.filter((f) => failsRun(f, result.failOn)).length;
      return `<section class="ep-group" data-endpoint="${token(ep)}"><h3 id="${ids.endpoint(ep)}">${esc(ep)} <span class="meta">${plural(found.length, 'finding')}${failing < found.length ? `, ${failing} failing` : ''}</span></h3>
${found.map((f) => findingBlock(result, f, numbered.get(f) ?? 0, ids.finding(f))).join('\n')}
</section>`;
    })
    .join('\n');
}

function allBursts(result: AuditResult): string {
  const withTimeline = result.attacks.filter((a) => a.bursts.some((b) => (b.timeline?.length ?? 0) > 0));
  if (withTimeline.length === 0) return '';
  const blocks = withTimeline.map(
    (a) =>
      `<details data-attack="${token(a.attack)}"><summary>${esc(a.endpoint)} › ${esc(a.attack)} (${a.bursts.length} bursts)</summary>${a.bursts.map(burstFigure).join('\n')}</details>`,
  );
  return `<details id="all-bursts"><summary>All burst timelines (${plural(withTimeline.length, 'cell')})</summary>${TIMELINE_LEGEND}<div class="nested">${blocks.join('\n')}</div></details>`;
}

export function renderHtml(result: AuditResult, exitCode: number): string {
  const ids = anchors(result);
  const errors =
    result.errors.length > 0
      ? `<h2>Errors</h2><ul>${result.errors.map((e) => `<li><code>${esc(e.code)}</code> ${esc(e.message)}</li>`).join('')}</ul>`
      : '';
  const findings =
    result.findings.length > 0
      ? `${filters(result)}
<div class="toggles"><button type="button" data-expand="open">open all</button> <button type="button" data-expand="close">close all</button></div>
<div id="findings">
${findingGroups(result, ids)}
</div>`
      : '<p class="empty">No finding.</p>';
  return `<!doctype html>
<html lang="en"><head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy())}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>idem-audit · ${esc(result.scenario.name)}</title>
<style>${STYLE}</style>
</head><body>
${header(result, exitCode)}
<main>
${errors}
${matrixSection(result, ids)}
<h2 id="findings-title">Findings <span class="meta">${plural(result.findings.length, 'finding')}, by endpoint</span></h2>
${findings}
${matrixDetails(result)}
${allBursts(result)}
${latencySection(result)}
${contractSection(result)}
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}

export const htmlReporter = resultReporter(
  {
    id: 'html',
    description:
      'A self-contained HTML page: verdict and endpoint × attack matrix first, findings by endpoint with evidence and burst timelines.',
    destination: 'report.html',
    selectable: true,
    byDefault: true,
  },
  (result, ctx) => renderHtml(result, ctx.exitCode),
);
