import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../../test/helpers/redis-server.js';
import { UsageError } from '../../errors/errors.js';
import { demoStore } from './demo-store.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

describe('serve-demo store flags', () => {
  it('memory is the default; --key-cost-ms becomes DemoOptions.keyCostMs', async () => {
    const s = await demoStore({ store: 'memory', redisMode: 'correct', keyCostMs: '15' });
    expect(s.options).toEqual({ keyCostMs: 15 });
    expect(s.description).toBe('memory store');
  });

  it('--store redis connects and hands one shared store to every variant', async () => {
    const s = await demoStore({ store: 'redis', redisUrl: redis.url, redisMode: 'racy' });
    try {
      expect(s.description).toBe('redis store (racy)');
      expect(s.options.store?.('correct')).toBe(s.options.store?.('race'));
    } finally {
      await s.close();
    }
  });

  it('refuses bad values with usage errors', async () => {
    await expect(demoStore({ store: 'redis', redisMode: 'correct' })).rejects.toBeInstanceOf(UsageError);
    await expect(demoStore({ store: 'memory', redisMode: 'correct', keyCostMs: '-1' })).rejects.toThrow(
      /--key-cost-ms/,
    );
    await expect(
      demoStore({ store: 'redis', redisUrl: 'redis://127.0.0.1:1', redisMode: 'correct' }),
    ).rejects.toBeInstanceOf(UsageError);
  });
});
