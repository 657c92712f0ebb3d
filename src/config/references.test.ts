import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { endpointName, principalName } from '../scenario/references.js';
import { KEY_VARIABLES, OBSERVER_VARIABLES, PER_OPERATION_VARIABLES, templateField } from '../scenario/template.js';
import { checkReferences, type ReferenceScope } from './references.js';

const observerPath = templateField({ variables: OBSERVER_VARIABLES, what: 'the observer path' });
const schema = z.strictObject({
  endpoints: z.preprocess(
    (v) => v,
    z.record(
      z.string(),
      z.strictObject({
        key: templateField({
          variables: KEY_VARIABLES,
          requireOneOf: PER_OPERATION_VARIABLES,
          what: 'the key template',
        }).default('{{uuid}}'),
        observe: z.array(z.union([z.number(), z.strictObject({ path: observerPath })])).optional(),
        attacks: z
          .strictObject({
            a: z.preprocess((v) => v ?? {}, z.strictObject({ others: z.array(endpointName()).optional() })),
            b: z.strictObject({ as: principalName().nullish() }).optional(),
          })
          .nullish(),
      }),
    ),
  ),
});

const scope = (variables: Record<string, readonly string[]> = {}): ReferenceScope => ({
  endpoints: ['pay', 'refund'],
  principals: ['bob'],
  variables: (path) => (path[0] === 'endpoints' && typeof path[1] === 'string' ? variables[path[1]] : undefined) ?? [],
});

function problems(data: unknown, s = scope()): string[] {
  const parsed = schema.parse(data);
  return checkReferences(schema, parsed, s).map((p) => `${p.path.join('.')}: ${p.message} | ${p.hint ?? ''}`);
}

describe('checkReferences', () => {
  it('finds marked fields through defaults, preprocessing, records, arrays, unions and nullish wrappers', () => {
    expect(
      problems({
        endpoints: {
          pay: {
            key: 'k-{{uid}}',
            observe: [1, { path: '/l?key={{key}}&x={{uuid}}' }],
            attacks: { a: { others: ['refund', 'refnd'] }, b: { as: 'bobby' } },
          },
        },
      }),
    ).toEqual([
      'endpoints.pay.key: unknown template variable {{uid}} in the key template; it would be sent literally | did you mean {{uuid}}?',
      'endpoints.pay.observe.1.path: {{uuid}} is not rendered in the observer path | available here: {{key}}',
      "endpoints.pay.attacks.a.others.1: unknown endpoint 'refnd' | did you mean 'refund'?",
      "endpoints.pay.attacks.b.as: unknown principal 'bobby' | known: bob",
    ]);
  });

  it('checks defaults too and accepts a clean scenario', () => {
    expect(problems({ endpoints: { pay: { attacks: { a: null } }, refund: { key: 'r-{{ uuid }}' } } })).toEqual([]);
  });

  it('takes the variables a scenario defines as a parameter, by the template’s place', () => {
    const data = { endpoints: { pay: { key: '{{charge_id}}-{{uuid}}' }, refund: { key: '{{charge_id}}-{{uuid}}' } } };
    expect(problems(data, scope({ pay: ['charge_id'] }))).toEqual([
      'endpoints.refund.key: unknown template variable {{charge_id}} in the key template; it would be sent literally | available here: {{uuid}}',
    ]);
  });

  it('requires a per-operation variable in the key template', () => {
    expect(problems({ endpoints: { pay: { key: 'fixed-1' } } })).toEqual([
      "endpoints.pay.key: the key template 'fixed-1' has no {{uuid}}, so every operation would reuse the same key | add a fresh value per operation, e.g. '{{uuid}}' or 'order-{{uuid}}'",
    ]);
  });
});
