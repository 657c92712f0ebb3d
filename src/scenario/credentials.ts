/**
 * Names that carry credentials, wherever a value travels under a name: HTTP headers, query
 * parameters, form fields and JSON fields. The redactor (http/redact.ts) hides their values in
 * everything it records, and the loader (config/resolve.ts) adds the literal values the scenario
 * gives them to the secret values, so a target that echoes one under another name is caught too.
 *
 * Patterns are case-insensitive; `*` matches any run of characters.
 */

/** Header names; `settings.secretHeaders` adds to these. The idempotency key header is always exempt. */
export const DEFAULT_SECRET_HEADERS: readonly string[] = [
  'Authorization',
  'Proxy-Authorization',
  'Cookie',
  'Set-Cookie',
  '*-Key',
  '*Apikey*',
  '*Api-Key*',
  'X-Auth*',
  '*-Auth',
  '*Secret*',
  '*Token*',
  '*Password*',
  '*Passwd*',
  '*Session*',
  '*Signature*',
];

/**
 * Query parameter and body field names, compared with `-` and `_` removed (`api_key`, `api-key`,
 * `apiKey` are one name). Not `key`: that is how idempotency keys travel in query strings.
 */
export const SECRET_FIELDS: readonly string[] = [
  '*token*',
  '*secret*',
  '*password*',
  '*passwd*',
  'passphrase',
  'pwd',
  '*apikey',
  'accesskey',
  'privatekey',
  'auth',
  'authorization',
  '*credential*',
  '*signature',
  'sig',
  'session',
  'sessionid',
  '*session',
];

/** One case-insensitive regular expression matching any of the patterns, whole. */
export function namePattern(patterns: readonly string[]): RegExp {
  const alternatives = patterns.map((p) =>
    p
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*'),
  );
  return new RegExp(`^(?:${alternatives.join('|') || '(?!)'})$`, 'i');
}

const FIELDS = namePattern(SECRET_FIELDS);

/** Whether a query parameter or body field of this name holds a credential. */
export function isSecretField(name: string): boolean {
  return name.length <= 100 && FIELDS.test(name.replace(/[-_]/g, ''));
}
