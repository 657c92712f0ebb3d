/**
 * Durations in scenario files: a bare number is milliseconds (what YAML gives us for `500`),
 * a string is one or more `<n><unit>` parts such as `1h30m`. Kept deliberately small: no
 * fractional units, no spaces, no months, because a typo should be an error rather than a
 * silently different TTL.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

// `ms` must come before `m` and `s` in the alternation, or `500ms` would lex as `500m` + junk.
const PART = /(\d+)(ms|s|m|h|d)/y;

/** JSON Schema pattern for editors; the parser below is the authority. */
export const DURATION_PATTERN = '^(\\d+(ms|s|m|h|d))+$';

export const DURATION_EXAMPLES = 'use e.g. 500ms, 5s, 24h';

/** Milliseconds, or undefined when the input is not a duration. Never throws. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const s = input.trim();
  if (s === '') return undefined;
  // A quoted "5000" is as clearly milliseconds as an unquoted one.
  if (/^\d+$/.test(s)) return Number(s);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const start = PART.lastIndex;
    const m = PART.exec(s);
    if (!m || m.index !== start) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2] as Unit];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}
