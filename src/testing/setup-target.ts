/**
 * Stateful endpoints in the fake context: a setup step that creates a resource for each operation,
 * and a target that answers such setup requests (and hands every audited request to the target
 * under test), so an attack's unit test sends what a run against `POST /charges/{{charge_id}}/refunds`
 * would.
 */
import type { SetupStep, TeardownStep } from '../scenario/types.js';
import type { FakeTarget } from './fake-target.js';

/** `POST <path>` once per operation (or per run), capturing `$.id` as `capture`. */
export function createStep(
  name: string,
  path: string,
  capture: string,
  per: SetupStep['per'] = 'operation',
): SetupStep {
  return {
    name,
    per,
    request: { method: 'POST', path, headers: {}, body: undefined },
    capture: [{ name: capture, source: { from: 'json', path: '$.id' } }],
    expect: undefined,
  };
}

/** `POST <path>` after the audit, once per operation when it renders a per-operation capture. */
export function cleanupStep(name: string, path: string, per: TeardownStep['per'] = 'operation'): TeardownStep {
  return { name, per, request: { method: 'POST', path, headers: {}, body: undefined }, expect: undefined };
}

export interface SetupTarget {
  target: FakeTarget;
  /** Ids created, in order (`ch_1`, `ch_2`, …), with the principal that created each. */
  readonly created: { id: string; principal: string }[];
  /** Paths of the teardown requests, in order. */
  readonly cleaned: string[];
}

/**
 * Answers setup requests to `creates` paths with a fresh `{ id: '<prefix>_<n>' }` (201), every
 * teardown request with 200, and passes the rest to `target`.
 */
export function withSetup(
  target: FakeTarget,
  creates: Readonly<Record<string, string>> = { '/charges': 'ch' },
): SetupTarget {
  const created: { id: string; principal: string }[] = [];
  const cleaned: string[] = [];
  let n = 0;
  return {
    created,
    cleaned,
    target: (req, env) => {
      if (req.phase === 'teardown') {
        cleaned.push(req.path);
        return { status: 200, body: {} };
      }
      if (req.phase === 'setup') {
        const prefix = creates[req.path.split('?', 1)[0] ?? ''];
        if (prefix === undefined) return { status: 404, body: { error: `no setup route ${req.path}` } };
        const id = `${prefix}_${++n}`;
        created.push({ id, principal: req.principal });
        return { status: 201, body: { id } };
      }
      return target(req, env);
    },
  };
}
