/**
 * http: asks the target itself (a ledger, a search endpoint, an admin API) how many side
 * effects exist for a key. The count is read from the JSON answer with a JSON path.
 */
import { z } from 'zod';
import { ObserverError } from '../errors/errors.js';
import { outcomeOf, responseJson } from '../http/exchange.js';
import { jsonPathField } from '../scenario/json-path.js';
import { OBSERVER_VARIABLES, renderTemplate, templateField } from '../scenario/template.js';
import { extractCount } from './json-path.js';
import { defineObserver } from './types.js';

const options = z.strictObject({
  method: z.enum(['GET', 'POST']).default('GET'),
  path: templateField(
    { variables: OBSERVER_VARIABLES, what: 'the observer path' },
    z
      .string()
      .startsWith('/')
      .refine((p) => p.includes('{{key}}'), 'the path must contain {{key}}'),
  ),
  count: jsonPathField('$.count or $.rows.length'),
  headers: z.record(z.string(), z.string()).default({}),
});

export const httpCountObserver = defineObserver({
  meta: {
    id: 'http',
    description: 'Counts side effects for a key by querying the target (a JSON path into the answer gives the count).',
    options,
  },
  create(o: z.output<typeof options>, env) {
    return {
      async count(key, ctx) {
        const path = renderTemplate(o.path, { ...ctx.variables, key }, encodeURIComponent);
        const ex = await env.send({
          method: o.method,
          url: env.url(path),
          headers: o.headers,
          body: undefined,
          label: 'observe:http',
          key: undefined,
        });
        const status = ex.response?.status;
        if (status === undefined || status < 200 || status >= 300) {
          throw new ObserverError(
            'http',
            `${o.method} ${path} answered ${outcomeOf(ex)}${ex.error ? ` (${ex.error.message})` : ''}`,
            'The observer must answer 2xx with JSON; check its path and the credentials in target.headers.',
          );
        }
        const json = responseJson(ex);
        if (json === undefined) {
          throw new ObserverError(
            'http',
            // The content type says what came instead: an SSO login page, a proxy error, a CSV export.
            `${o.method} ${path} did not answer with JSON (content-type ${ex.response?.headers['content-type'] ?? 'none'}${ex.response?.truncated ? ', body truncated' : ''})`,
          );
        }
        const got = extractCount(json, o.count);
        if (!got.ok) throw new ObserverError('http', `${o.method} ${path}: ${got.reason}`);
        return {
          observer: 'http',
          count: got.count,
          detail: `${o.method} ${path} → ${o.count} = ${got.count}`,
          evidence: [ex],
        };
      },
    };
  },
});
