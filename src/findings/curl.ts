/**
 * Exchanges as curl lines a reader can run. Built from the recorded (already redacted) request,
 * so a secret can never reach a reproduction: a redacted header reads a shell variable instead
 * (shell-variables.ts), and the lines come with the list of variables to export.
 *
 * curl cannot release requests together: a burst is written one request per line, after a
 * comment that says so and names the command that does re-release it (`idem-audit replay`).
 */
import type { Exchange } from '../http/exchange.js';
import { REDACTED } from '../http/redact.js';
import type { ShellVariable } from './finding.js';
import type { HeaderVariables } from './shell-variables.js';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Literal text inside double quotes: only `\`, `"`, `$` and backquote are special there. */
function doubleQuoted(s: string): string {
  return s.replace(/[\\"$`]/g, (c) => `\\${c}`);
}

export interface CurlOptions {
  /** The variable each redacted header reads; without it, redacted values stay `[REDACTED]`. */
  variables?: HeaderVariables;
  /** The command that re-sends a finding's bursts together, for the comment above each burst. */
  replayCommand?: string;
}

export interface CurlReproduction {
  lines: string[];
  /** Variables the lines read, in order of first use. */
  env: ShellVariable[];
}

/**
 * The request as sent: its own Content-Type header (JSON, form or text) and its body bytes as
 * recorded. A setup or teardown request says so in a trailing comment: later lines use values
 * its answer gave (a charge id), which a rerun must take from its own answer.
 */
export function toCurl(ex: Exchange, o: CurlOptions = {}, env: ShellVariable[] = []): string {
  const parts = ['curl', '-sS', '-i', '-X', ex.request.method, shellQuote(ex.request.url)];
  for (const [name, value] of Object.entries(ex.request.headers)) {
    if (!o.variables || !value.includes(REDACTED)) {
      parts.push('-H', shellQuote(`${name}: ${value}`));
      continue;
    }
    const { prefix, variable } = o.variables(ex, name);
    if (!env.some((v) => v.name === variable.name)) env.push(variable);
    parts.push('-H', `"${doubleQuoted(`${name}: ${prefix}`)}\${${variable.name}}"`);
  }
  if (ex.request.body !== undefined) parts.push('--data-raw', shellQuote(ex.request.body));
  const line = parts.join(' ');
  return ex.phase === undefined ? line : `${line}  # ${ex.label.replace(/[\r\n]/g, ' ')}`;
}

/** One line per request, in order; each burst after a comment saying curl cannot release it together. */
export function toCurlLines(exchanges: readonly Exchange[], o: CurlOptions = {}): CurlReproduction {
  const lines: string[] = [];
  const env: ShellVariable[] = [];
  let i = 0;
  while (i < exchanges.length) {
    const ex = exchanges[i] as Exchange;
    if (ex.burst === undefined) {
      lines.push(toCurl(ex, o, env));
      i++;
      continue;
    }
    const group: Exchange[] = [];
    while (i < exchanges.length && exchanges[i]?.burst === ex.burst) group.push(exchanges[i++] as Exchange);
    const replay = o.replayCommand === undefined ? '' : `; to release them together: ${o.replayCommand}`;
    lines.push(
      `# not simultaneous: a burst of ${group.length} requests, which curl sends one after another${replay}`,
      ...group.map((g) => toCurl(g, o, env)),
    );
  }
  // What the shell cannot fill in: a secret the scenario sent inside a URL or a body.
  if (exchanges.some((e) => e.request.url.includes(REDACTED) || (e.request.body?.includes(REDACTED) ?? false)))
    lines.unshift(`# ${REDACTED} in a URL or body stands for a secret of the scenario: put it in before running`);
  return { lines, env };
}
