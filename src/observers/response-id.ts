/**
 * responseId: needs no access to the target's internals. Two successful answers for one key
 * that name different resource ids are two writes; replays must carry the original id.
 */
import { z } from 'zod';
import { isSuccess, responseJson } from '../http/exchange.js';
import { extractValue } from './json-path.js';
import { defineObserver } from './types.js';

const options = z.string().min(2).regex(/^\$/, 'a JSON path starting with $, e.g. $.id');

export const responseIdObserver = defineObserver({
  meta: {
    id: 'responseId',
    description: 'Counts distinct resource ids (a JSON path into the response) among successful answers for a key.',
    options,
  },
  create(path: string) {
    return {
      count(_key, ctx) {
        const ids = new Set<string>();
        for (const ex of ctx.exchanges) {
          if (!isSuccess(ex)) continue;
          const id = extractValue(responseJson(ex), path);
          if (id !== undefined && id !== null) ids.add(JSON.stringify(id));
        }
        return Promise.resolve({
          observer: 'responseId',
          count: ids.size,
          detail: `${ids.size} distinct ${path} among ${ctx.exchanges.filter(isSuccess).length} successful answers${ids.size > 0 ? ` (${[...ids].slice(0, 5).join(', ')})` : ''}`,
          evidence: [],
        });
      },
    };
  },
});
