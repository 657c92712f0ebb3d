/**
 * `{{name}}` substitution in paths, header values and the key template. Deliberately tiny:
 * a scenario is data, and a template language with logic would make reproductions ambiguous.
 */
export const TEMPLATE_VARIABLES = ['uuid', 'key', 'principal'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

/** Names used in `template` that are not known variables. */
export function unknownVariables(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? '';
    if (!(TEMPLATE_VARIABLES as readonly string[]).includes(name)) out.push(name);
  }
  return out;
}

export function renderTemplate(
  template: string,
  vars: Partial<Record<TemplateVariable, string | (() => string)>>,
  encode: (s: string) => string = (s) => s,
): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = vars[name as TemplateVariable];
    if (v === undefined) return whole;
    return encode(typeof v === 'function' ? v() : v);
  });
}
