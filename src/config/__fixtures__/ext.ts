/** A tiny stand-in for the attack and observer registries. */
import { z } from 'zod';
import type { ExtensionSchemas } from '../schema.js';

export const fakeExt: ExtensionSchemas = {
  attacks: {
    'concurrent-burst': z.strictObject({
      copies: z.number().int().min(2).max(200).default(10),
      sync: z.enum(['last-byte', 'none']).default('last-byte'),
    }),
    'missing-key': z.strictObject({}),
    'payload-mismatch': z.strictObject({ runs: z.number().int().positive().default(50) }),
  },
  observers: {
    responseId: z.string(),
    http: z.strictObject({
      method: z.string().default('GET'),
      path: z.string(),
      count: z.string(),
    }),
    sql: z.strictObject({ url: z.string(), query: z.string(), params: z.array(z.string()).default([]) }),
  },
  defaultSuite: ['missing-key', 'concurrent-burst'],
};
