/**
 * One spelling per JSON value: keys sorted at every depth, no whitespace. Two documents that
 * differ only in member order or formatting get the same text, so a comparison (a stored body, a
 * fingerprint) is about meaning, not about which serializer wrote it.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
