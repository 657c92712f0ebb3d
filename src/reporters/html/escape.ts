/**
 * HTML escaping for everything that did not come from idem-audit itself: target responses,
 * headers, scenario names, URLs. Escaping all five characters makes a value safe both as
 * element text and inside a double- or single-quoted attribute.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return String(value).replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

/** Attribute tokens used by the filter script: only [a-z0-9-], so nothing needs escaping. */
export function token(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}
