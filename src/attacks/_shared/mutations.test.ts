import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyMutations,
  describeMutation,
  invalidBodies,
  isUnchanged,
  leaves,
  mutationCaseArb,
  type MutableRequest,
} from './mutations.js';

const value = { amount: 1000, meta: { tags: ['a'] }, customer: 'cus_42' };
const req: MutableRequest = { method: 'POST', path: '/payments', body: { kind: 'json', value } };

describe('mutations', () => {
  it('applies set, add, remove, query, method and content-type without touching the original', () => {
    const m = applyMutations(req, [
      { kind: 'set', path: ['customer'], value: '' },
      { kind: 'add', path: ['meta', 'x'], value: 1 },
      { kind: 'remove', path: ['meta', 'tags', 0] },
      { kind: 'query', name: 'dry', value: '1' },
      { kind: 'method', method: 'PUT' },
      { kind: 'content-type', value: 'text/plain' },
    ]);
    expect(m).toEqual({
      method: 'PUT',
      path: '/payments?dry=1',
      body: { kind: 'json', value: { amount: 1000, meta: { tags: [], x: 1 }, customer: '' } },
      contentType: 'text/plain',
    });
    expect(value.customer).toBe('cus_42');
    expect(isUnchanged(req, applyMutations(req, [{ kind: 'set', path: ['amount'], value: 1000 }]))).toBe(true);
  });

  it('describes a mutation the way a finding shows it', () => {
    expect(describeMutation(req, { kind: 'set', path: ['customer'], value: '' })).toBe('body.customer: "cus_42" → ""');
    expect(describeMutation(req, { kind: 'remove', path: ['meta', 'tags', 0] })).toBe(
      'body.meta.tags[0] removed (was "a")',
    );
  });

  it('derives mutations only for the vary fields when hints are given', () => {
    const sets = fc
      .sample(mutationCaseArb(req, { amount: 'integer' }), { seed: 1, numRuns: 200 })
      .flat()
      .filter((m) => m.kind === 'set' && typeof m.value === 'number' && m.path.join('.') !== 'amount');
    // Other paths only ever get type changes (to 0 among others), never generated integers.
    expect(sets.every((m) => m.kind === 'set' && m.value === 0)).toBe(true);
    expect(leaves(value).map((l) => l.path.join('.'))).toEqual(['amount', 'meta.tags.0', 'customer']);
  });

  it('builds invalid bodies: a wrong type and truncated JSON', () => {
    const bodies = invalidBodies(req.body);
    expect(bodies.map((b) => b.label)).toEqual(['wrong-type', 'malformed-json']);
    expect(bodies[0]?.body).toMatchObject({ kind: 'json', value: { amount: 'not-a-number' } });
    expect(() => JSON.parse(bodies[1]?.bodyText?.({ kind: 'json', value }) ?? '') as unknown).toThrow();
  });
});
