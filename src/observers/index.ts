/** The observer registry: one entry per observer, sorted by id. The YAML key is the id. */
import { httpCountObserver } from './http-count.js';
import { redisObserver } from './redis.js';
import { responseIdObserver } from './response-id.js';
import { sinkObserver } from './sink.js';
import { sqlObserver } from './sql.js';
import type { Observer } from './types.js';

export const observers: Readonly<Record<string, Observer>> = {
  http: httpCountObserver,
  redis: redisObserver,
  responseId: responseIdObserver,
  sink: sinkObserver,
  sql: sqlObserver,
};
