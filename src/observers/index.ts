/** The observer registry: one entry per observer, sorted by id. The YAML key is the id. */
import { httpCountObserver } from './http-count.js';
import { responseIdObserver } from './response-id.js';
import type { Observer } from './types.js';

export const observers: Readonly<Record<string, Observer>> = {
  http: httpCountObserver,
  responseId: responseIdObserver,
};
