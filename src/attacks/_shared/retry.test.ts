import { describe, expect, it } from 'vitest';
import { waitBudget } from './retry.js';

describe('waitBudget', () => {
  it("is the attack's option unless the run's --max-wait is shorter", () => {
    expect(waitBudget({}, 5000)).toBe(5000);
    expect(waitBudget({ maxWaitMs: 60_000 }, 5000)).toBe(5000);
    expect(waitBudget({ maxWaitMs: 300 }, 5000)).toBe(300);
  });
});
