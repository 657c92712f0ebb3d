/**
 * Redaction of secrets before anything is recorded. Redacting at record time (rather than at
 * render time) means no reporter, present or future, can leak a credential by forgetting to.
 *
 * Three rules, all applied to every text the engine records (URL, request and response bodies,
 * header values, transport errors) and to free text (notes, reasons, findings):
 * - values of headers whose names match the secret header patterns are replaced whole;
 * - values of query parameters, form fields and JSON fields named like credentials
 *   (scenario/credentials.ts) are replaced, in requests and in what the target sends back;
 * - every known secret value is replaced wherever it appears, also JSON-escaped (once or twice:
 *   JSON inside a JSON string), percent-encoded (upper or lower hex, `+` or `%20` for a space)
 *   and cut off at the end of a truncated body.
 * Values shorter than MIN_SECRET_LENGTH are left to the name rules: replacing `usd` or `42`
 * everywhere would shred the evidence without protecting anything a name rule does not.
 * Everything is compiled once per run: recording an exchange runs one regular expression for the
 * known values and one scan for credential-name stems over each of its texts.
 */
import { isSecretField, namePattern } from '../scenario/credentials.js';

export const REDACTED = '[REDACTED]';

/** Shortest secret value replaced by value; see above. */
export const MIN_SECRET_LENGTH = 4;

export interface Redactor {
  /** Redacted copy of a header map. */
  headers(headers: Readonly<Record<string, string>>): Record<string, string>;
  /**
   * Replaces every secret inside free text (bodies, URLs, messages, curl lines). `cut`: the text
   * was truncated at its end, which may have cut a secret (or a credential field's value) in two.
   */
  text(s: string, cut?: boolean): string;
  /**
   * `text` for a request or response body: a JSON document stays a JSON document (attacks and
   * observers parse recorded answers), even where a secret was a bare JSON number or literal.
   */
  body(s: string, cut?: boolean): string;
  isSecretHeader(name: string): boolean;
  /**
   * Values learnt during the run (a token a setup step captured): redacted from now on, in
   * everything recorded after this call.
   */
  addSecretValues(values: readonly string[]): void;
}

const MAX_CACHED_NAMES = 1_024;

/**
 * Credential names are found by their stems, then checked whole: a large body with thousands of
 * fields costs one scan for the stems, not a regular expression tried at every quote.
 */
const STEMS = /tok|secret|pass|pwd|key|auth|cred|sig|sess/gi;
const MAX_NAME = 100;

export function createRedactor(opts: {
  secretHeaders: readonly string[];
  /** Header that must stay visible even if a pattern such as `*-Key` matches it. */
  keyHeader: string;
  /**
   * Other names that carry idempotency keys (an endpoint's own key header, form field, body field
   * or query parameter): never redacted by name, whatever they are called (`X-Idempotency-Token`).
   */
  keyNames?: readonly string[];
  secretValues: readonly string[];
}): Redactor {
  const headerPattern = namePattern(opts.secretHeaders);
  const keyNames = new Set([opts.keyHeader, ...(opts.keyNames ?? [])].map((n) => n.toLowerCase()));
  let known: string[] = [];
  let variants: string[] = [];
  let values: RegExp | undefined;
  let exact = new Set<string>();
  const learn = (more: readonly string[]): void => {
    known = [...new Set([...known, ...more.filter((v) => v.length >= MIN_SECRET_LENGTH)])];
    // Longest first: a secret that contains another is replaced whole.
    variants = [...new Set(known.flatMap(encodings))].sort((a, b) => b.length - a.length);
    values = variants.length === 0 ? undefined : new RegExp(variants.map(escapeRegExp).join('|'), 'g');
    exact = new Set(known);
  };
  learn(opts.secretValues);

  // Every exchange asks about the same few names: the answer is cached (bounded, since a target
  // chooses its response header and field names).
  const cached = (test: (name: string) => boolean): ((name: string) => boolean) => {
    const verdicts = new Map<string, boolean>();
    return (name) => {
      let verdict = verdicts.get(name);
      if (verdict === undefined) {
        verdict = test(name);
        if (verdicts.size < MAX_CACHED_NAMES) verdicts.set(name, verdict);
      }
      return verdict;
    };
  };
  const isSecretHeader = cached((name) => !keyNames.has(name.toLowerCase()) && headerPattern.test(name));
  const secretField = cached((name) => !keyNames.has(name.toLowerCase()) && isSecretField(name));

  const text = (s: string, cut = false): string => {
    let out = values ? s.replace(values, REDACTED) : s;
    if (cut && values) out = cutSecret(out, variants);
    return redactFields(out, secretField);
  };

  /** Strings through `text`; a number, boolean or key that is itself a secret value becomes the marker. */
  const redactJson = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (typeof v === 'number' || typeof v === 'boolean') return exact.has(String(v)) ? REDACTED : v;
    if (Array.isArray(v)) return v.map(redactJson);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v))
      out[text(k)] = secretField(k) && inner !== null && typeof inner !== 'object' ? REDACTED : redactJson(inner);
    return out;
  };

  const body = (s: string, cut = false): string => {
    const out = text(s, cut);
    if (out === s || cut || !/^\s*[[{]/.test(s)) return out;
    if (isJson(out) || !isJson(s)) return out;
    // A secret was a bare value (`"amount": 5000`): redact the parsed document instead.
    return JSON.stringify(redactJson(JSON.parse(s)));
  };

  return {
    isSecretHeader,
    addSecretValues: learn,
    text,
    body,
    headers(headers) {
      const out: Record<string, string> = {};
      for (const name in headers) {
        if (!Object.hasOwn(headers, name)) continue;
        const value = headers[name] as string;
        out[name] = isSecretHeader(name) ? REDACTED : text(value);
      }
      return out;
    },
  };
}

/**
 * Values of credential-named fields: `"name": "value"` in JSON, the same inside a JSON string
 * (`\"name\": \"value\"`, a body echoed as a string field), and `name=value` in query strings,
 * form bodies and free text. A value cut off by the end of the text is redacted to its end.
 */
function redactFields(s: string, isSecret: (name: string) => boolean): string {
  const spans: Span[] = [];
  STEMS.lastIndex = 0;
  for (let m = STEMS.exec(s); m !== null; m = STEMS.exec(s)) {
    let l = m.index;
    while (l > 0 && m.index - l < MAX_NAME && isNameChar(s.charCodeAt(l - 1))) l--;
    let r = m.index + m[0].length;
    while (r < s.length && r - l < MAX_NAME && isNameChar(s.charCodeAt(r))) r++;
    STEMS.lastIndex = r;
    const span = valueSpan(s, l, r);
    if (span && span[1] > span[0] && !isMarker(s.slice(span[0], span[1])) && isSecret(decodeName(s.slice(l, r)))) {
      spans.push(span);
      STEMS.lastIndex = Math.max(r, span[1]);
    }
  }
  if (spans.length === 0) return s;
  let out = '';
  let at = 0;
  for (const [from, to, marker] of spans) {
    out += `${s.slice(at, from)}${marker}`;
    at = to;
  }
  return out + s.slice(at);
}

/** What replaces [from, to): the marker, quoted where it stands for a bare JSON number. */
type Span = [from: number, to: number, marker: string];

/** Where the value of the name at [l, r) lies, if the name is a JSON key or a form field. */
function valueSpan(s: string, l: number, r: number): Span | undefined {
  const before = s[l - 1];
  if (before === '"' && s[r] === '"' && s[l - 2] !== '\\') {
    const colon = afterColon(s, r + 1);
    if (colon === undefined) return undefined;
    if (s[colon] === '"') return [colon + 1, jsonStringEnd(s, colon + 1), REDACTED];
    const number = /^-?\d[\d.eE+-]*/.exec(s.slice(colon, colon + 40))?.[0];
    return number === undefined ? undefined : [colon, colon + number.length, `"${REDACTED}"`];
  }
  if (before === '"' && s[l - 2] === '\\' && s.startsWith('\\"', r)) {
    const colon = afterColon(s, r + 2);
    if (colon === undefined || !s.startsWith('\\"', colon)) return undefined;
    return [colon + 2, nestedStringEnd(s, colon + 2), REDACTED];
  }
  if (s[r] === '=' && (l === 0 || FORM_BEFORE.includes(s[l - 1] ?? ''))) {
    let end = r + 1;
    while (end < s.length && !FORM_END.includes(s[end] ?? '')) end++;
    return [r + 1, end, REDACTED];
  }
  return undefined;
}

const FORM_BEFORE = '?&; \t\r\n"\'';
const FORM_END = '&#; \t\r\n"\'<>\\';

/** Where the value after a key's `:` starts (whitespace allowed around the colon). */
function afterColon(s: string, i: number): number | undefined {
  let p = i;
  while (s[p] === ' ' || s[p] === '\t' || s[p] === '\n' || s[p] === '\r') p++;
  if (s[p] !== ':') return undefined;
  p++;
  while (s[p] === ' ' || s[p] === '\t' || s[p] === '\n' || s[p] === '\r') p++;
  return p;
}

/** The closing quote of a JSON string starting at `i` (or the end of a cut text). */
function jsonStringEnd(s: string, i: number): number {
  let p = i;
  while (p < s.length && s[p] !== '"') p += s[p] === '\\' ? 2 : 1;
  return Math.min(p, s.length);
}

/**
 * The same for a JSON string inside a JSON string: it ends at `\"`; its own escapes are doubled
 * (`\\\\` a backslash, `\\\"` a quote, `\\n` a newline escape), `\n` is a plain newline.
 */
function nestedStringEnd(s: string, i: number): number {
  let p = i;
  while (p < s.length) {
    if (s[p] !== '\\') p++;
    else if (s[p + 1] === '"') return p;
    else if (s[p + 1] === '\\') p += s[p + 2] === '\\' ? 4 : 3;
    else p += 2;
  }
  return s.length;
}

function isMarker(value: string): boolean {
  return value === REDACTED || value === `"${REDACTED}"`;
}

function isNameChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x5f || // _
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x25 || // % (an encoded name)
    c === 0x2b || // +
    c > 0x7f
  );
}

/** The spellings a value takes when a target echoes it: as is, JSON-escaped, percent-encoded. */
function encodings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const uri = encodeURIComponent(value);
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  return [
    value,
    json,
    // Encoders that escape `/` (PHP) or everything beyond ASCII (Python's default).
    json.replace(/\//g, '\\/'),
    json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    // JSON text inside a JSON string: a request body echoed as a string field.
    JSON.stringify(json).slice(1, -1),
    uri,
    lowerHex(uri),
    uri.replace(/%20/g, '+'),
    form,
    lowerHex(form),
    encodeURI(value),
  ];
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

function lowerHex(s: string): string {
  return s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A secret whose beginning ends the text (the rest was cut off) is replaced too. */
function cutSecret(s: string, variants: readonly string[]): string {
  let longest = 0;
  for (const v of variants) {
    for (let n = Math.min(v.length - 1, s.length); n >= MIN_SECRET_LENGTH && n > longest; n--) {
      if (s.endsWith(v.slice(0, n))) {
        longest = n;
        break;
      }
    }
  }
  return longest === 0 ? s : `${s.slice(0, s.length - longest)}${REDACTED}`;
}

function decodeName(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name;
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

/**
 * Values of secret headers idem-audit itself sends: a target may echo them in a body (a ledger
 * listing the caller's Authorization, a debug page), and the header rule alone cannot see that.
 * The credential after an auth scheme (`Bearer <token>`) is added on its own too.
 */
export function secretHeaderValues(
  headerMaps: ReadonlyArray<Readonly<Record<string, string>>>,
  isSecretHeader: (name: string) => boolean,
): string[] {
  const out: string[] = [];
  for (const map of headerMaps) {
    for (const [name, value] of Object.entries(map)) {
      if (!isSecretHeader(name) || value.trim() === '') continue;
      out.push(value);
      const credential = /^[A-Za-z][\w-]*\s+(\S{8,})$/.exec(value.trim())?.[1];
      if (credential !== undefined) out.push(credential);
    }
  }
  return out;
}
