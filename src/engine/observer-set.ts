/**
 * The observers of one endpoint, created from its `observe` list, and the one way side effects
 * are counted with them. The audit loop and replay share both, so a replayed finding is judged
 * by the same witnesses and the same records-versus-answers rule as the attack that found it.
 */
import type { SideEffects } from '../attacks/types.js';
import { ObserverError } from '../errors/errors.js';
import type { ExchangeContext, HttpEngine } from '../http/engine.js';
import type { Exchange } from '../http/exchange.js';
import type { Lane } from '../http/lane.js';
import type { EffectCount, Observer, ObserverInstance } from '../observers/types.js';
import { DEFAULT_PRINCIPAL, type ResolvedEndpoint, type ResolvedScenario } from '../scenario/types.js';
import { sideEffectsOf } from './side-effects.js';

export function createObservers(
  endpoint: ResolvedEndpoint,
  registry: Readonly<Record<string, Observer>>,
  scenario: ResolvedScenario,
  engine: HttpEngine,
  o: {
    /** Where the observers' own requests go (replay --target); default the scenario's base URL. */
    baseUrl?: string;
    /** The lane auditing the endpoint: its observers' requests are its own at the traffic gate. */
    lane?: Lane;
    /** The target's headers with the scenario setup's captures rendered (a token a login step captured). */
    targetHeaders?: Readonly<Record<string, string>>;
  } = {},
): ObserverInstance[] {
  const baseUrl = o.baseUrl ?? scenario.target.baseUrl;
  const targetHeaders = o.targetHeaders ?? scenario.target.headers;
  const exchangeContext = (id: string): ExchangeContext => ({
    attack: `observe:${id}`,
    endpoint: endpoint.name,
    ...(o.lane ? { lane: o.lane } : {}),
  });
  return endpoint.observe.map((spec) => {
    const observer = registry[spec.id];
    if (!observer) throw new ObserverError(spec.id, `unknown observer at ${spec.path}`);
    return createOrFailing(() =>
      observer.create(spec.options, {
        scenario,
        endpoint,
        url: (path) => `${baseUrl}${path}`,
        send: (req) =>
          engine.send(
            { ...req, headers: { ...targetHeaders, ...req.headers }, principal: DEFAULT_PRINCIPAL },
            exchangeContext(spec.id),
          ),
      }),
    );
  });
}

/**
 * An observer that cannot be set up (bad listen address, invalid query) must fail the attacks
 * that need its count, reported "not audited" with the reason, rather than end the whole run
 * without a report. Attacks that judge answers alone still run.
 */
function createOrFailing(create: () => ObserverInstance): ObserverInstance {
  try {
    return create();
  } catch (err) {
    if (!(err instanceof ObserverError)) throw err;
    return { count: () => Promise.reject(err) };
  }
}

/** What `ctx.sideEffects(key)` answers, with the observers' counts behind it. */
export interface CountedEffects extends SideEffects {
  counts: EffectCount[];
}

/** Asks every observer about `key` and judges the writes; `guard` bounds each wait (interruption). */
export async function countSideEffects(
  observers: readonly ObserverInstance[],
  key: string,
  exchanges: readonly Exchange[],
  /** The captures the observers' templates may render (the key's operation's, see engine/setup.ts). */
  variables: Readonly<Record<string, string>> = {},
  guard: <T>(work: Promise<T>) => Promise<T> = (w) => w,
): Promise<CountedEffects> {
  const counts: EffectCount[] = [];
  for (const o of observers) counts.push(await guard(o.count(key, { exchanges, variables })));
  return { counts, ...sideEffectsOf(key, counts) };
}
