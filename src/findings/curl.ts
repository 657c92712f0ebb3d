/**
 * Exchanges as curl lines. Built from the recorded (already redacted) request, so a secret
 * can never reach a reproduction; redacted values stay visibly `[REDACTED]` for the reader to fill.
 */
import type { Exchange } from '../http/exchange.js';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The request as sent: its own Content-Type header (JSON, form or text) and its body bytes as
 * recorded. A setup or teardown request says so in a trailing comment: later lines use values
 * its answer gave (a charge id), which a rerun must take from its own answer.
 */
export function toCurl(ex: Exchange): string {
  const parts = ['curl', '-sS', '-i', '-X', ex.request.method, shellQuote(ex.request.url)];
  for (const [name, value] of Object.entries(ex.request.headers)) parts.push('-H', shellQuote(`${name}: ${value}`));
  if (ex.request.body !== undefined) parts.push('--data-raw', shellQuote(ex.request.body));
  const line = parts.join(' ');
  return ex.phase === undefined ? line : `${line}  # ${ex.label.replace(/[\r\n]/g, ' ')}`;
}

/** One line per request; requests of one burst share a line, run in parallel by the shell. */
export function toCurlLines(exchanges: readonly Exchange[]): string[] {
  const lines: string[] = [];
  let i = 0;
  while (i < exchanges.length) {
    const ex = exchanges[i] as Exchange;
    if (ex.burst === undefined) {
      lines.push(toCurl(ex));
      i++;
      continue;
    }
    const group: Exchange[] = [];
    while (i < exchanges.length && exchanges[i]?.burst === ex.burst) group.push(exchanges[i++] as Exchange);
    lines.push(`${group.map(toCurl).join(' & ')} & wait`);
  }
  return lines;
}
