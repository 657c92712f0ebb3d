/**
 * cross-endpoint (IK-18): the same key on another endpoint of the scenario. Keys are scoped by
 * route, so the other endpoint's request executes (or is rejected as a mismatch); being answered
 * with this endpoint's stored response silently drops the other operation.
 *
 * Which endpoints: `endpoints` names them; by default, every other endpoint of the scenario with
 * the same method (a key store shared across routes need not share a path prefix: `/v1/charges`
 * and `/v1/refunds`, or `/payments` and `/orders/{id}/capture`). The other endpoint's request is
 * its own: its template, its key placement (the key goes where that endpoint carries it) and its
 * setup (a fresh charge for a refund).
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { isSuccess, responseJson, type Exchange } from '../http/exchange.js';
import { endpointName } from '../scenario/references.js';
import type { ResolvedEndpoint } from '../scenario/types.js';
import { outcomeHistogram } from './_shared/describe.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  /** Names of the endpoints to reuse the key on; default: every other endpoint with the same method. */
  endpoints: z.array(endpointName()).min(1).optional(),
});

/** The scenario's other endpoints with the same method, except those that are the same route. */
export function siblingEndpoints(all: readonly ResolvedEndpoint[], self: ResolvedEndpoint): ResolvedEndpoint[] {
  return all.filter(
    (e) => e.name !== self.name && e.request.method === self.request.method && e.request.path !== self.request.path,
  );
}

export const crossEndpoint = defineAttack({
  meta: {
    id: 'cross-endpoint',
    title: 'The same key on another endpoint',
    description:
      "Sends this endpoint's request with a key, then another endpoint's request with the same key. A correct target scopes keys by route: the second request executes or is rejected, never answered with the first one's response.",
    sends: 'the same key on another endpoint (`endpoints`, default: every other endpoint with the same method)',
    finds: '`cross-endpoint-replay` (high)',
    options,
    timingDependent: false,
    findings: {
      'cross-endpoint-replay': {
        severity: 'high',
        title: "Another endpoint answered with this endpoint's stored response",
        remediation:
          'Scope idempotency records by method and route (or include them in the fingerprint and compare it for every hit), so a key reused on another endpoint never replays.',
        references: ['IK-18'],
      },
    },
  },
  async run(ctx) {
    const all = ctx.scenario.endpoints;
    const named = ctx.options.endpoints;
    const others = named
      ? all.filter((e) => named.includes(e.name) && e.name !== ctx.endpoint.name)
      : siblingEndpoints(all, ctx.endpoint);
    if (named) {
      const unknown = named.filter((n) => !all.some((e) => e.name === n));
      if (unknown.length > 0) ctx.note(`unknown endpoints ignored: ${unknown.join(', ')}`);
    }
    if (others.length === 0) {
      ctx.skip(
        `no other endpoint of the scenario is a ${ctx.endpoint.request.method} to another path (name them with the \`endpoints\` option)`,
      );
      return;
    }
    let judged = 0;
    const alike: string[] = [];
    for (const other of others) {
      const key = ctx.newKey();
      const first = await ctx.send(ctx.request({ label: 'first', key }));
      if (!isSuccess(first)) continue;
      const onOther = (label: string, k: string): ReturnType<typeof ctx.request> =>
        ctx.request({ label, key: k, endpoint: other.name });
      const second = await ctx.send(onOther(`on ${other.name}`, key));
      if (!second.response) continue;
      if (!isSuccess(second)) {
        judged++;
        continue;
      }
      if (!sameAnswer(first, second)) {
        judged++;
        continue;
      }
      // Endpoints may answer alike by design ({"ok":true}, an empty body): the answer shows a
      // replay only if the other endpoint answers its own fresh key differently.
      const control = await ctx.send(onOther(`control on ${other.name} (fresh key)`, ctx.newKey()));
      if (!control.response) continue;
      if (isSuccess(control) && sameAnswer(first, control)) {
        alike.push(other.name);
        ctx.note(
          `${other.name} answers a fresh key exactly as ${ctx.endpoint.name} answered: its responses cannot show a replay, so this pair was not judged`,
        );
        continue;
      }
      judged++;
      ctx.report({
        kind: 'cross-endpoint-replay',
        discriminator: other.name,
        message: `Key ${key} was used on ${ctx.endpoint.name} (${ctx.endpoint.request.method} ${ctx.endpoint.request.path}), then on ${other.name} (${other.request.method} ${other.request.path}), which answered ${second.response.status} with ${ctx.endpoint.name}'s stored response instead of running its own operation (answers: ${outcomeHistogram([first, second])}).`,
        expected: `${other.name} executes its own request or rejects the reused key`,
        observed: `${ctx.endpoint.name}'s response returned`,
        exchanges: [first, second, control],
      });
    }
    if (judged === 0 && alike.length > 0)
      ctx.skip(
        `${alike.join(', ')} answer${alike.length === 1 ? 's' : ''} fresh keys exactly as this endpoint does, so no answer can show a replay`,
      );
    else if (judged === 0) ctx.inconclusive('no request pair could be judged (the first request was never accepted)');
  },
});

/** The same answer: equal JSON when both parse, else the same body text. */
function sameAnswer(a: Exchange, b: Exchange): boolean {
  const x = responseJson(a);
  const y = responseJson(b);
  return x !== undefined && y !== undefined ? isDeepStrictEqual(x, y) : a.response?.body === b.response?.body;
}
