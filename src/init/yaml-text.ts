/**
 * Small helpers for writing scenario YAML by hand: generated files carry comments, which a
 * YAML serialiser would drop, so values are rendered individually and placed in a template.
 */
import { stringify } from 'yaml';
import type { JsonValue } from '../scenario/types.js';

/** One scalar or flow collection on a single line, quoted only where YAML needs it. */
export function inline(value: JsonValue): string {
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd();
}

/** A mapping key, quoted when it is not a plain YAML word. */
export function yamlKey(key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) ? key : inline(key);
}

/** `value` as a block under `indent` spaces, for multi-line bodies. */
export function block(value: JsonValue, indent: number): string {
  const pad = ' '.repeat(indent);
  return stringify(value, { lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((l) => `${pad}${l}`)
    .join('\n');
}
