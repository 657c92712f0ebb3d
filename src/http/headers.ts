/** Header maps merged and edited case-insensitively, keeping the caller's spelling. */
export function mergeHeaders(
  ...maps: ReadonlyArray<Readonly<Record<string, string>> | undefined>
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of maps) {
    if (!m) continue;
    for (const [name, value] of Object.entries(m)) {
      deleteHeader(out, name);
      out[name] = value;
    }
  }
  return out;
}

export function deleteHeader(headers: Record<string, string>, name: string): void {
  const lower = name.toLowerCase();
  for (const k of Object.keys(headers)) if (k.toLowerCase() === lower) delete headers[k];
}

export function getHeader(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower) return v;
  return undefined;
}
