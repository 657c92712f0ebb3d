/**
 * responseId: needs no access to the target's internals. Two successful answers for one key
 * that name different resource ids are two writes; replays must carry the original id.
 */
import { ObserverError } from '../errors/errors.js';
import { isSuccess, responseJson } from '../http/exchange.js';
import { jsonPathField } from '../scenario/json-path.js';
import { extractValue } from './json-path.js';
import { defineObserver } from './types.js';

const options = jsonPathField('$.id').min(2, 'a JSON path to the id, e.g. $.id');

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
        const successes = ctx.exchanges.filter(isSuccess);
        for (const ex of successes) {
          const id = extractValue(responseJson(ex), path);
          if (id !== undefined && id !== null) ids.add(JSON.stringify(id));
        }
        // Successful answers none of which names an id: the path is wrong (or bodies were cut at
        // bodyCap), so this observer saw nothing. Counting 0 would let a duplicate write pass.
        if (successes.length > 0 && ids.size === 0) {
          const truncated = successes.some((ex) => ex.response?.truncated === true);
          return Promise.reject(
            new ObserverError(
              'responseId',
              `${path} found no id in any of ${successes.length} successful answer(s)${truncated ? ' (bodies truncated at settings.bodyCap)' : ''}`,
              truncated
                ? 'Raise settings.bodyCap so whole answers are kept.'
                : 'Point the JSON path at the id of the created resource, e.g. $.id or $.data.id.',
            ),
          );
        }
        return Promise.resolve({
          observer: 'responseId',
          count: ids.size,
          fromAnswers: true,
          detail: `${ids.size} distinct ${path} among ${successes.length} successful answers${ids.size > 0 ? ` (${[...ids].slice(0, 5).join(', ')})` : ''}`,
          evidence: [],
        });
      },
    };
  },
});
