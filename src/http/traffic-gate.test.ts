import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../errors/errors.js';
import { TrafficGate } from './traffic-gate.js';

const A = { lane: 'a' };
const B = { lane: 'b' };
const C = { lane: 'c' };

/** Lets every pending promise callback run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Tracks whether a promise has resolved yet. */
function watch<T>(p: Promise<T>): { done: () => boolean; value: Promise<T> } {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  return { done: () => done, value: p };
}

describe('TrafficGate', () => {
  it('lets shared requests of every holder run together', () => {
    const gate = new TrafficGate();
    const a = gate.tryShared(A);
    const b = gate.tryShared(B);
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(gate.sharedInFlight).toBe(2);
    a?.();
    a?.(); // a second release changes nothing
    expect(gate.sharedInFlight).toBe(1);
  });

  it('starts an exclusive section only once shared requests in flight have drained, and holds others back until it ends', async () => {
    const gate = new TrafficGate();
    const a = gate.tryShared(A);
    const ex = watch(gate.exclusive(B));
    await settle();
    expect(ex.done()).toBe(false);
    // Queued behind the section: a new shared request of another holder waits too.
    expect(gate.tryShared(C)).toBeUndefined();
    const c = watch(gate.shared(C));
    a?.();
    await settle();
    expect(ex.done()).toBe(true);
    expect(gate.exclusiveHolder).toBe(B);
    expect(c.done()).toBe(false);
    (await ex.value)();
    await settle();
    expect(c.done()).toBe(true);
    expect(gate.exclusiveHolder).toBeUndefined();
  });

  it('lets the holder of the exclusive section send and nest sections without waiting for itself', async () => {
    const gate = new TrafficGate();
    const outer = await gate.exclusive(A);
    const own = gate.tryShared(A);
    expect(own).toBeDefined();
    const inner = await gate.exclusive(A);
    inner();
    expect(gate.exclusiveHolder).toBe(A);
    own?.();
    outer();
    expect(gate.exclusiveHolder).toBeUndefined();
  });

  it('grants the holder its own requests that queued before its section began', async () => {
    const gate = new TrafficGate();
    const c = gate.tryShared(C);
    const ex = watch(gate.exclusive(A));
    const own = watch(gate.shared(A));
    const other = watch(gate.shared(B));
    c?.();
    await settle();
    expect(ex.done()).toBe(true);
    expect(own.done()).toBe(true);
    expect(other.done()).toBe(false);
  });

  it('serves waiters first come, first served: a stream of shared requests cannot starve a section, nor sections the shared ones', async () => {
    const gate = new TrafficGate();
    const order: string[] = [];
    const first = gate.tryShared(A);
    const ex1 = gate.exclusive(B).then((r) => (order.push('ex B'), r));
    const sh = gate.shared(C).then((r) => (order.push('shared C'), r));
    const ex2 = gate.exclusive(A).then((r) => (order.push('ex A'), r));
    first?.();
    (await ex1)();
    (await sh)();
    (await ex2)();
    expect(order).toEqual(['ex B', 'shared C', 'ex A']);
  });

  it('rejects a waiter whose stop signal aborts, and lets those behind it through', async () => {
    const gate = new TrafficGate();
    const held = gate.tryShared(A);
    const stop = new AbortController();
    const ex = gate.exclusive(B, stop.signal);
    const behind = watch(gate.shared(C));
    await settle();
    expect(behind.done()).toBe(false);
    stop.abort();
    await expect(ex).rejects.toBeInstanceOf(InterruptedError);
    await settle();
    expect(behind.done()).toBe(true);
    held?.();
    await expect(gate.exclusive(B, stop.signal)).rejects.toBeInstanceOf(InterruptedError);
  });
});
