/**
 * HTML escaping for everything that did not come from idem-audit itself: target responses,
 * headers, scenario names, URLs. Escaping all five characters makes a value safe both as
 * element text and inside a double- or single-quoted attribute. Raw control characters from a
 * body (NUL, ESC, a C1 CSI…) are parse errors in HTML and invisible on the page: they are shown
 * as their Unicode control pictures (␀, ␛), C1 controls as U+FFFD, so the reader sees that they
 * were there; tab and line breaks stay.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function picture(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return '\ufffd';
}

export function esc(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return (
    String(value)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, picture)
      .replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch)
  );
}

/** Attribute tokens used by the filter script: only [a-z0-9-], so nothing needs escaping. */
export function token(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}
