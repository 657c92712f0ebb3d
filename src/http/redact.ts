/**
 * Redaction of secrets before anything is recorded. Redacting at record time (rather than at
 * render time) means no reporter, present or future, can leak a credential by forgetting to.
 */
export const REDACTED = '[REDACTED]';

export interface Redactor {
  /** Redacted copy of a header map. */
  headers(headers: Readonly<Record<string, string>>): Record<string, string>;
  /** Replaces every known secret value inside free text (bodies, URLs, curl lines). */
  text(s: string): string;
  isSecretHeader(name: string): boolean;
}

const MAX_CACHED_NAMES = 1_024;

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`, 'i');
}

export function createRedactor(opts: {
  secretHeaders: readonly string[];
  /** Header that must stay visible even if a pattern such as `*-Key` matches it. */
  keyHeader: string;
  secretValues: readonly string[];
}): Redactor {
  const patterns = opts.secretHeaders.map(patternToRegExp);
  const keyHeader = opts.keyHeader.toLowerCase();
  // Longest first so a secret that contains another is replaced whole; tiny values would
  // shred unrelated text, so values under 4 characters are left to header rules.
  const values = [...new Set(opts.secretValues)].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);

  // Every exchange asks about the same few header names: the answer is cached (bounded, since a
  // target chooses its response header names).
  const verdicts = new Map<string, boolean>();
  const isSecretHeader = (name: string): boolean => {
    let secret = verdicts.get(name);
    if (secret === undefined) {
      secret = name.toLowerCase() !== keyHeader && patterns.some((re) => re.test(name));
      if (verdicts.size < MAX_CACHED_NAMES) verdicts.set(name, secret);
    }
    return secret;
  };

  const text = (s: string): string => {
    let out = s;
    for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  };

  return {
    isSecretHeader,
    text,
    headers(headers) {
      const out: Record<string, string> = {};
      for (const name in headers) {
        if (!Object.hasOwn(headers, name)) continue;
        const value = headers[name] as string;
        out[name] = isSecretHeader(name) ? REDACTED : values.length === 0 ? value : text(value);
      }
      return out;
    },
  };
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
