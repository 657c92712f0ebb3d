/**
 * The report's overview: the endpoint × attack matrix, one mark per cell. Column headers are the
 * attacks' ids written upwards (full title on hover), so 16 or more columns stay narrow; a cell
 * with a finding links to the most severe of them, which the script opens and scrolls to.
 */
import type { AuditResult } from '../../result/result.js';
import type { Finding } from '../../findings/finding.js';
import { MARK_LABEL, MARK_SYMBOL, bySeverity, markOf, matrixOf, plural, type CellMark } from '../overview.js';
import { esc, token } from './escape.js';

const LEGEND: readonly CellMark[] = ['fails', 'below', 'passed', 'skipped', 'not-audited'];

/** The page's ids of the findings and of the endpoint groups they are listed in. */
export interface Anchors {
  finding(f: Finding): string;
  endpoint(endpoint: string): string;
}

export function matrixSection(result: AuditResult, ids: Anchors): string {
  const m = matrixOf(result);
  if (m.attacks.length === 0)
    return '<section id="overview"><h2>Endpoints × attacks</h2><p class="empty">No attack ran.</p></section>';
  const head = m.attacks
    .map((a) => `<th scope="col" class="rot" title="${esc(`${a.id}: ${a.title}`)}"><span>${esc(a.id)}</span></th>`)
    .join('');
  const findingsOf = new Map<string, Finding[]>();
  for (const f of result.findings) {
    const key = JSON.stringify([f.endpoint, f.attack]);
    findingsOf.set(key, [...(findingsOf.get(key) ?? []), f]);
  }
  const rows = m.endpoints.map((ep) => {
    const cells = m.attacks.map((a) => {
      const r = m.cell(ep, a.id);
      const mark = markOf(r, result);
      if (!r) return `<td class="m-none" title="${esc(`${ep} › ${a.id}: not run`)}"></td>`;
      const where = `${ep} › ${a.id}: ${MARK_LABEL[mark]}`;
      const found = bySeverity(findingsOf.get(JSON.stringify([ep, a.id])) ?? []);
      const first = found[0];
      const tip =
        first !== undefined
          ? `${where}. ${plural(found.length, 'finding')}, the first: ${first.severity} ${first.title}`
          : `${where}. ${r.requests} requests, ${r.durationMs} ms${r.reason ? `. ${r.reason}` : ''}`;
      const symbol = esc(MARK_SYMBOL[mark]);
      const body = first !== undefined ? `<a href="#${ids.finding(first)}">${symbol}</a>` : symbol;
      return `<td data-cell="${token(ep)}:${token(a.id)}" class="m-${mark}" title="${esc(tip)}">${body}</td>`;
    });
    const withFindings = result.findings.some((f) => f.endpoint === ep);
    const name = withFindings ? `<a href="#${ids.endpoint(ep)}">${esc(ep)}</a>` : esc(ep);
    return `<tr><th scope="row" class="ep" title="${esc(ep)}">${name}</th>${cells.join('')}</tr>`;
  });
  const legend = LEGEND.map(
    (k) => `<span class="m-${k}"><b>${esc(MARK_SYMBOL[k])}</b> ${esc(MARK_LABEL[k])}</span>`,
  ).join(' ');
  return `<section id="overview"><h2>Endpoints × attacks <span class="meta">${plural(result.attacks.length, 'cell')}</span></h2>
<p class="legend">${legend} · a marked cell opens its finding; hover for details</p>
<div class="scroll matrix-box"><table id="matrix" class="matrix"><thead><tr><th class="corner">endpoint \\ attack</th>${head}</tr></thead><tbody>
${rows.join('\n')}</tbody></table></div></section>`;
}

/** Why cells were skipped or not audited, and the promise each attack checks: collapsed, under the findings. */
export function matrixDetails(result: AuditResult): string {
  const m = matrixOf(result);
  const promises = m.attacks.map((a) => `<dt>${esc(a.id)}</dt><dd>${esc(a.title)}</dd>`).join('');
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
  return `${noted.length > 0 ? `<details id="notes"><summary>Notes, skips and reasons (${noted.length})</summary><ul class="notes">${notes}</ul></details>` : ''}
<details><summary>The promise each attack checks (${m.attacks.length})</summary><dl class="kv">${promises}</dl></details>`;
}
