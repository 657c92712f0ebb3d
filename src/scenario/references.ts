/**
 * Option fields that name another part of the scenario (an endpoint, a principal). Options are
 * parsed one attack at a time, so the loader checks these names against the whole scenario after
 * parsing (config/references.ts) and reports a typo at its place instead of the attack quietly
 * skipping it. As with template fields, use the returned schema as is (wrapping is fine).
 */
import { z } from 'zod';

export type ReferenceKind = 'endpoint' | 'principal';

export const referenceFields = z.registry<{ kind: ReferenceKind }>();

/** The name of one of the scenario's endpoints. */
export function endpointName(): z.ZodString {
  return z.string().min(1).register(referenceFields, { kind: 'endpoint' });
}

/** The name of one of `target.principals`. */
export function principalName(): z.ZodString {
  return z.string().min(1).register(referenceFields, { kind: 'principal' });
}
