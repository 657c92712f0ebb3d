/**
 * cross-principal (IK-31..33): the same key from another caller (`target.principals`). Keys are
 * scoped to the caller, so the other principal's identical request executes for them. Receiving
 * the first caller's stored response leaks it; being blocked lets one caller squat another's keys.
 * Findings name the principals, never their credentials (those are redacted at record time).
 */
import { z } from 'zod';
import { principalName } from '../scenario/references.js';
import { DEFAULT_PRINCIPAL } from '../scenario/types.js';
import { isSuccess } from '../http/exchange.js';
import { outcomeHistogram } from './_shared/describe.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  /** The other caller; default the first of `target.principals`. */
  principal: principalName().optional(),
});

/** Answers that say the other caller could not be judged: its credentials, or the target, failed. */
const NOT_JUDGEABLE = [401, 403, 407, 429];

export const crossPrincipal = defineAttack({
  meta: {
    id: 'cross-principal',
    title: 'The same key from another principal',
    description:
      'Sends a request as the default principal, then the same request with the same key as another principal. A correct target scopes keys per caller and executes the second request for its own caller.',
    sends: 'the same key and request from another principal of `target.principals`',
    finds: '`cross-principal-leak` (critical), `scope-collision` (medium)',
    options,
    timingDependent: false,
    findings: {
      'cross-principal-leak': {
        severity: 'critical',
        title: "Another caller received the first caller's stored response",
        remediation:
          'Scope idempotency records by the authenticated principal (e.g. a unique index on principal + key), as the IETF draft requires.',
        references: ['IK-31', 'IK-32', 'IK-33'],
      },
      'scope-collision': {
        severity: 'medium',
        title: "Another caller was blocked by the first caller's key",
        remediation: "Scope keys by the authenticated principal, so one caller's keys never block another's requests.",
        references: ['IK-31'],
      },
    },
  },
  async run(ctx) {
    const principals = ctx.scenario.target.principals;
    const name = ctx.options.principal ?? principals[0]?.name;
    if (name === undefined) {
      ctx.skip('target.principals declares no other caller');
      return;
    }
    if (!principals.some((p) => p.name === name)) {
      ctx.skip(`principal '${name}' is not declared under target.principals`);
      return;
    }
    const key = ctx.newKey();
    const first = await ctx.send(ctx.request({ label: `as ${DEFAULT_PRINCIPAL}`, key }));
    if (!isSuccess(first)) {
      ctx.inconclusive(`the first request was not accepted (${outcomeHistogram([first])})`);
      return;
    }
    // The other caller's request is an operation of its own: with per-operation setup it acts on
    // resources created with its own credentials. What it writes is judged against a count taken
    // just before it (its setup runs first), so it is seen whichever resources the observers read.
    const otherRequest = ctx.request({ label: `as ${name}`, key, principal: name });
    const before = await ctx.sideEffects(key, otherRequest.operation);
    const other = await ctx.send(otherRequest);
    const res = other.response;
    if (!res || res.status >= 500 || NOT_JUDGEABLE.includes(res.status)) {
      ctx.inconclusive(`the request as ${name} could not be judged (${outcomeHistogram([other])})`);
      return;
    }
    const effects = await ctx.sideEffects(key, otherRequest.operation);
    const exchanges = [first, other];
    if (isSuccess(other)) {
      // A correct target executed the other caller's request: one more write than before. A
      // witnessed execution is not a leak, even when the target answers both callers with identical bodies.
      if (effects.observed > before.observed) return;
      ctx.report({
        kind: 'cross-principal-leak',
        message: `Principal '${name}' reused key ${key} of principal '${DEFAULT_PRINCIPAL}' and received its stored response (${res.status}) instead of an execution of its own (no side effect of its request was observed: ${before.observed} before it, ${effects.observed} after).`,
        expected: `the request executes for '${name}'`,
        observed: `'${DEFAULT_PRINCIPAL}'s stored ${first.response?.status} returned to '${name}'`,
        exchanges,
        sideEffects: effects.verdict(before.observed + 1),
      });
      return;
    }
    ctx.report({
      kind: 'scope-collision',
      message: `Principal '${name}' reused key ${key} of principal '${DEFAULT_PRINCIPAL}' and was answered ${res.status} instead of an execution of its own.`,
      expected: `the request executes for '${name}'`,
      observed: `${res.status}`,
      exchanges,
    });
  },
});
