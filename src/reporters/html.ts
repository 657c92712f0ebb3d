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
import type { Exchange } from '../http/exchange.js';
import { esc, token } from './html/escape.js';
import { SCRIPT } from './html/script.js';
import { STYLE } from './html/style.js';
import { TIMELINE_LEGEND, timelineSvg } from './html/timeline.js';
import { resultReporter } from './result-reporter.js';
import { latencySection } from './html/latency-chart.js';
import { failingFindings } from '../verdict/verdict.js';
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

function verdict(result: AuditResult, exitCode: number): { cls: string; text: string } {
  if (exitCode === 1) {
    const failing = failingFindings(result);
    return { cls: 'fail', text: `FAILED: ${failing.length} finding(s) at or above ${result.failOn}` };
  }
  if (exitCode === 130) return { cls: 'warn', text: 'INTERRUPTED: partial report' };
  if (exitCode === 3) return { cls: 'warn', text: 'INCOMPLETE: part of the audit could not be judged' };
  if (result.findings.length > 0)
    return { cls: 'pass', text: `PASSED: only findings below ${result.failOn} or in the baseline` };
  return { cls: 'pass', text: 'PASSED: no finding' };
}

function sevBadge(s: Severity): string {
  return `<span class="badge sev-${token(s)}">${esc(s)}</span>`;
}

function header(result: AuditResult, exitCode: number): string {
  const v = verdict(result, exitCode);
  const pills = SEVERITIES.slice()
    .reverse()
    .map((s) => `<span class="sev-pill">${sevBadge(s)} ${result.summary.findings[s]}</span>`)
    .join('');
  const a = result.summary.attacks;
  return `<header><div class="inner">
<h1>idem-audit report · ${esc(result.scenario.name)}</h1>
<div class="meta">target ${esc(result.target.baseUrl)} · seed ${result.seed} · ${result.requests} requests in ${(result.durationMs / 1000).toFixed(1)} s · ${esc(result.startedAt)} · idem-audit ${esc(result.tool.version)} · run ${esc(result.status)}</div>
<div class="verdict ${v.cls}" id="verdict">${esc(v.text)}</div>
<div class="sev-summary" id="severity-summary">${pills}</div>
<div class="meta">attacks: ${a.passed} passed · ${a.failed} failed · ${a.skipped} skipped · ${a.inconclusive} inconclusive · ${a.error} error</div>
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

/** Compact grid: one row per endpoint, one column per attack; notes and promises follow it. */
function matrix(result: AuditResult): string {
  if (result.attacks.length === 0) return '<h2>Endpoints × attacks</h2><p class="empty">No attack ran.</p>';
  const attackIds = [...new Set(result.attacks.map((a) => a.attack))];
  const titles = new Map(result.attacks.map((a) => [a.attack, a.title]));
  const endpoints = [...new Set(result.attacks.map((a) => a.endpoint))];
  const head = attackIds.map((id) => `<th title="${esc(titles.get(id) ?? '')}">${esc(id)}</th>`).join('');
  const rows = endpoints.map((ep) => {
    const cells = attackIds.map((id) => {
      const r = result.attacks.find((a) => a.endpoint === ep && a.attack === id);
      if (!r) return '<td class="meta">—</td>';
      const label = r.status === 'failed' ? `failed · ${r.findings}` : r.status;
      const tip = `${r.requests} requests · ${r.durationMs} ms${r.reason ? ` · ${r.reason}` : ''}`;
      return `<td data-cell="${token(ep)}:${token(id)}" class="st-${token(r.status)}" title="${esc(tip)}">${esc(label)}</td>`;
    });
    return `<tr><th>${esc(ep)}</th>${cells.join('')}</tr>`;
  });
  const promises = attackIds.map((id) => `<dt>${esc(id)}</dt><dd>${esc(titles.get(id) ?? '')}</dd>`).join('');
  const noted = result.attacks.filter((a) => a.reason !== undefined || a.notes.length > 0);
  const notes = noted
    .map(
      (a) =>
        `<li><strong>${esc(a.endpoint)} › ${esc(a.attack)}</strong> (${esc(a.status)}): ${[a.reason, ...a.notes]
          .filter((x): x is string => x !== undefined && x !== '')
          .map(esc)
          .join(' · ')}</li>`,
    )
    .join('');
  return `<h2>Endpoints × attacks</h2><div class="scroll"><table id="matrix" class="matrix"><thead><tr><th>endpoint</th>${head}</tr></thead><tbody>
${rows.join('\n')}</tbody></table></div>
<details><summary>The promise each attack checks</summary><dl class="kv">${promises}</dl></details>
${noted.length > 0 ? `<details><summary>Notes, skips and reasons (${noted.length})</summary><ul class="notes">${notes}</ul></details>` : ''}`;
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

function findingBlock(result: AuditResult, f: Finding, n: number): string {
  const se = f.sideEffects;
  const sideEffects = se
    ? `<h3>Side effects</h3><dl class="kv"><dt>expected</dt><dd>${se.expected}</dd><dt>observed</dt><dd><strong>${se.observed}</strong></dd>${se.counts.map((c) => `<dt>${esc(c.observer)}</dt><dd>${c.count}: ${esc(c.detail)}</dd>`).join('')}</dl>`
    : '';
  const bursts = burstsOf(result, f);
  const repro = f.reproduce;
  const exports = exportNote(repro.env);
  return `<section class="finding sev-border-${token(f.severity)}" data-severity="${token(f.severity)}" data-attack="${token(f.attack)}" data-fingerprint="${esc(f.fingerprint)}">
<h3>${sevBadge(f.severity)} ${esc(f.title)}</h3>
<div class="meta">${esc(f.kind)} · ${esc(f.endpoint)} › ${esc(f.attack)} · <span class="fp">${esc(f.fingerprint)}</span>${f.baseline ? ` · <strong class="baseline">${esc(baselineMarker(f.baseline))}</strong>` : ''}</div>
${f.baseline ? `<p class="meta baseline-note">${esc(baselineNote(f.baseline))}</p>` : ''}
<p>${esc(f.message)}</p>
<dl class="kv"><dt>expected</dt><dd>${esc(f.expected)}</dd><dt>observed</dt><dd>${esc(f.observed)}</dd></dl>
${sideEffects}
${bursts.length > 0 ? `<h3>Timeline</h3>${TIMELINE_LEGEND}${bursts.map(burstFigure).join('\n')}` : ''}
<h3>Evidence (${f.exchanges.length} exchanges)</h3>
${f.exchanges.map(exchangeBlock).join('\n')}
<h3>Reproduce</h3>
${repro.timingDependent ? '<p class="meta">Timing-dependent: one replay may pass although the flaw is real; run it a few times.</p>' : ''}
${copyable(repro.command, `cmd-${n}`)}
${repro.curl.length > 0 ? `<details><summary>curl (${repro.curl.length} lines, secrets redacted)</summary>${exports === undefined ? '' : `<p class="meta">${esc(exports)}</p>`}${repro.curl.map((c, i) => copyable(c, `curl-${n}-${i}`)).join('\n')}</details>` : ''}
<h3>Fix</h3><p>${esc(f.remediation)}</p>
${f.references.length > 0 ? `<p class="meta">references: ${f.references.map(esc).join(', ')}</p>` : ''}
</section>`;
}

function allBursts(result: AuditResult): string {
  const withTimeline = result.attacks.filter((a) => a.bursts.some((b) => (b.timeline?.length ?? 0) > 0));
  if (withTimeline.length === 0) return '';
  const blocks = withTimeline.map(
    (a) =>
      `<details data-attack="${token(a.attack)}"><summary>${esc(a.endpoint)} › ${esc(a.attack)} (${a.bursts.length} bursts)</summary>${a.bursts.map(burstFigure).join('\n')}</details>`,
  );
  return `<h2>All burst timelines</h2>${TIMELINE_LEGEND}${blocks.join('\n')}`;
}

export function renderHtml(result: AuditResult, exitCode: number): string {
  const sorted = [...result.findings].sort(
    (a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || a.endpoint.localeCompare(b.endpoint),
  );
  const errors =
    result.errors.length > 0
      ? `<h2>Errors</h2><ul>${result.errors.map((e) => `<li><code>${esc(e.code)}</code> ${esc(e.message)}</li>`).join('')}</ul>`
      : '';
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
<h2>Findings</h2>
${result.findings.length > 0 ? filters(result) : '<p class="empty">No finding.</p>'}
<div id="findings">
${sorted.map((f, n) => findingBlock(result, f, n)).join('\n')}
</div>
${matrix(result)}
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
    description: 'A self-contained HTML page: verdict, findings with evidence, burst timelines.',
    destination: 'report.html',
    selectable: true,
    byDefault: true,
  },
  (result, ctx) => renderHtml(result, ctx.exitCode),
);
