/**
 * `{{name}}` substitution in paths, header values, the key template and some observer options.
 * Deliberately tiny: a scenario is data, and a template language with logic would make
 * reproductions ambiguous.
 *
 * Which variables exist depends on where a template is rendered, so each templated option field
 * says so with `templateField` and the loader checks every template against its place's
 * variables (plus whatever the scenario itself defines) before anything is sent: a typo such as
 * `{{uuuid}}` would otherwise be sent literally on every request.
 */
import { z } from 'zod';

/** Rendered into request paths and header values (endpoint, target, principal and attack-supplied headers). */
export const REQUEST_VARIABLES = ['uuid', 'key', 'principal'] as const;
/** Rendered into the key template: the key is drawn before its request is built, so no `key` or `principal`. */
export const KEY_VARIABLES = ['uuid'] as const;
/** Variables that take a new value for every operation; a key template needs one, or every operation shares its key. */
export const PER_OPERATION_VARIABLES = ['uuid'] as const;
/** Rendered into observer options that address one key's records (`/ledger?key={{key}}`, SQL params, Redis keys). */
export const OBSERVER_VARIABLES = ['key'] as const;
/**
 * Rendered into setup and teardown requests, which run outside the audited operation: no `key`
 * (steps `per: operation` render it: they run for one key) and no `principal` (they run with the
 * target's credentials, or the operation's caller's).
 */
export const SETUP_VARIABLES = ['uuid'] as const;

/** Every variable idem-audit itself renders somewhere; a capture may not take one of these names. */
export const BUILT_IN_VARIABLES: readonly string[] = ['uuid', 'key', 'principal'];

/** A capture's name, as `{{name}}` spells it. */
export const CAPTURE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type TemplateVariable = (typeof REQUEST_VARIABLES)[number];

/** Values for a template: a string, or a function drawn once per placeholder (`uuid`). */
export type TemplateValues = Readonly<Record<string, string | (() => string) | undefined>>;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

/** Variable names a template uses, in order, with repeats. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** Names used in `template` that are not in `known`. */
export function unknownVariables(template: string, known: Iterable<string>): string[] {
  const set = new Set(known);
  return templateVariables(template).filter((name) => !set.has(name));
}

/** The text from a `{{` that does not open a well-formed placeholder (`{{uuid}`, `{{ }}`), which would be sent literally. */
export function strayBraces(template: string): string | undefined {
  const rest = template.replace(PLACEHOLDER, '');
  const at = rest.indexOf('{{');
  return at < 0 ? undefined : rest.slice(at, at + 20);
}

/** Placeholders with no value in `vars` are left as written (the loader refuses unknown names beforehand). */
export function renderTemplate(
  template: string,
  vars: TemplateValues,
  encode: (s: string) => string = (s) => s,
): string {
  if (!template.includes('{{')) return template;
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (v === undefined) return whole;
    return encode(typeof v === 'function' ? v() : v);
  });
}

export interface TemplateFieldMeta {
  /** Variables rendered where this field is used. */
  variables: readonly string[];
  /** At least one of these must appear (the key template: a fresh value per operation). */
  requireOneOf?: readonly string[];
  /** What the field is, for messages: `key template`, `path`. */
  what?: string;
  /** Every string inside the value is a template (a JSON body's strings, a form's values), not only a string value itself. */
  deep?: boolean;
}

/**
 * Marks option fields whose strings are templates. The loader finds them by walking an options
 * schema with its parsed value (config/references.ts), so the schema instance registered here must
 * be used as is: `templateField(...).optional()` keeps the mark, `templateField(...).min(1)` would not
 * (checks clone the schema), so pass such checks in as `base`.
 */
export const templateFields = z.registry<TemplateFieldMeta>();

export function templateField<S extends z.ZodType<string>>(meta: TemplateFieldMeta, base: S): S;
export function templateField(meta: TemplateFieldMeta): z.ZodString;
export function templateField(meta: TemplateFieldMeta, base: z.ZodType<string> = z.string()): z.ZodType<string> {
  return base.register(templateFields, meta);
}

/** Marks a structured field (a JSON body, a form) whose every string is a template; see `templateField` for the caveat. */
export function templateTree<S extends z.ZodType>(meta: Omit<TemplateFieldMeta, 'deep'>, base: S): S {
  (base as z.ZodType).register(templateFields, { ...meta, deep: true });
  return base;
}
