/**
 * Request bodies of every kind (JSON, form, text) in one representation: how the scenario's form
 * mapping becomes bracket-named fields, how templates are rendered into each kind, how a key is
 * placed into a JSON or form body, and the bytes and media type a body is sent with. The loader,
 * the request builder, the attacks' mutations and the reproductions all use these, so a body is
 * encoded one way wherever it appears.
 */
import type { FormBody, FormField, JsonValue, KeyPlacement, RequestBody } from './types.js';

export const JSON_MEDIA_TYPE = 'application/json';
export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** The media type a body is sent with: its override, else its kind's. */
export function contentTypeOf(body: RequestBody): string {
  if (body.contentType !== undefined) return body.contentType;
  return body.kind === 'json' ? JSON_MEDIA_TYPE : FORM_MEDIA_TYPE;
}

/**
 * A form mapping as Stripe's bracket notation: `metadata: { order: o-1 }` → `metadata[order]=o-1`,
 * `expand: [a, b]` → `expand[0]=a&expand[1]=b`. Scalars are stringified (`true`/`false`), null is
 * the empty string, and an empty object or list sends nothing.
 */
export function flattenForm(value: Readonly<Record<string, JsonValue>>): FormField[] {
  const out: FormField[] = [];
  const walk = (name: string, v: JsonValue, depth: number): void => {
    if (depth > 32) return;
    if (Array.isArray(v)) v.forEach((item, i) => walk(`${name}[${i}]`, item, depth + 1));
    else if (v !== null && typeof v === 'object')
      for (const [k, item] of Object.entries(v)) walk(`${name}[${k}]`, item, depth + 1);
    else out.push([name, v === null ? '' : String(v)]);
  };
  for (const [k, v] of Object.entries(value)) walk(k, v, 0);
  return out;
}

/**
 * One form component, encoded as browsers and URLSearchParams encode application/x-www-form-urlencoded
 * (WHATWG): space as `+`, everything but letters, digits and `*-._` percent-encoded in upper-case hex.
 */
export function encodeFormComponent(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

export function encodeForm(fields: readonly FormField[]): string {
  return fields.map(([k, v]) => `${encodeFormComponent(k)}=${encodeFormComponent(v)}`).join('&');
}

/** The body's bytes as sent. */
export function bodyText(body: RequestBody): string {
  switch (body.kind) {
    case 'json':
      return JSON.stringify(body.value);
    case 'form':
      return encodeForm(body.fields);
    case 'text':
      return body.text;
  }
}

/**
 * Renders the templates in a body: every string of a JSON value (inside the string, so a rendered
 * value stays a JSON string and JSON.stringify escapes it), every form value (URL-encoded later,
 * by the form encoder) and the text (raw). Object keys and field names are not templates.
 */
export function renderBody(body: RequestBody, render: (template: string) => string): RequestBody {
  switch (body.kind) {
    case 'json':
      return { ...body, value: renderJson(body.value, render) };
    case 'form':
      return { ...body, fields: body.fields.map(([k, v]): FormField => [k, render(v)]) };
    case 'text':
      return { ...body, text: render(body.text) };
  }
}

function renderJson(v: JsonValue, render: (template: string) => string): JsonValue {
  if (typeof v === 'string') return render(v);
  if (Array.isArray(v)) return v.map((item) => renderJson(item, render));
  if (v !== null && typeof v === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, item] of Object.entries(v)) out[k] = renderJson(item, render);
    return out;
  }
  return v;
}

/** Every string a body's templates may use, for the loader's checks and for scanning (form values, JSON strings, the text). */
export function bodyStrings(body: RequestBody): string[] {
  switch (body.kind) {
    case 'json': {
      const out: string[] = [];
      const walk = (v: JsonValue): void => {
        if (typeof v === 'string') out.push(v);
        else if (Array.isArray(v)) v.forEach(walk);
        else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
      };
      walk(body.value);
      return out;
    }
    case 'form':
      return body.fields.map(([, v]) => v);
    case 'text':
      return [body.text];
  }
}

/** `value` with `field` (a dotted path) set to `to`, or removed when `to` is undefined; missing parents are created. */
export function setJsonField(value: JsonValue, path: readonly string[], to: string | undefined): JsonValue {
  const [head, ...rest] = path;
  if (head === undefined) return to ?? value;
  const obj: { [key: string]: JsonValue } =
    value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value } : {};
  if (rest.length === 0) {
    if (to === undefined) delete obj[head];
    else obj[head] = to;
    return obj;
  }
  const child = obj[head];
  if (child === undefined && to === undefined) return obj;
  obj[head] = setJsonField(child ?? {}, rest, to);
  return obj;
}

/** The form with field `name` set to `to` (in place when present, else appended), or removed when `to` is undefined. */
export function setFormField(body: FormBody, name: string, to: string | undefined): FormBody {
  const without = body.fields.filter(([k]) => k !== name);
  if (to === undefined) return { ...body, fields: without };
  const at = body.fields.findIndex(([k]) => k === name);
  if (at < 0) return { ...body, fields: [...body.fields, [name, to]] };
  const fields = [...without];
  fields.splice(at, 0, [name, to]);
  return { ...body, fields };
}

/** The path with query parameter `name` set to `value` (encoded), replacing earlier values, or removed when undefined. */
export function setQueryParam(path: string, name: string, value: string | undefined): string {
  const q = path.indexOf('?');
  const base = q < 0 ? path : path.slice(0, q);
  const query = q < 0 ? '' : path.slice(q + 1);
  const kept = query.split('&').filter((part) => part !== '' && safeDecode(part.split('=', 1)[0] ?? '') !== name);
  if (value !== undefined) kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return kept.length === 0 ? base : `${base}?${kept.join('&')}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** `the Idempotency-Key header`, `the body field idempotency_key`: where a key travels, for messages. */
export function describePlacement(p: KeyPlacement): string {
  switch (p.in) {
    case 'header':
      return `the ${p.name} header`;
    case 'body':
      return `the body field ${p.path.join('.')}`;
    case 'form':
      return `the form field ${p.name}`;
    case 'query':
      return `the query parameter ${p.name}`;
  }
}
