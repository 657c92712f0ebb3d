/**
 * Replay comparison. A replay must be the original answer on the wire (IK-10, IK-43): same
 * status, same body, same representation headers. Fields the user names volatile are removed
 * before comparing, because some targets legitimately stamp replies (e.g. a request id).
 */
import { JSONPath } from 'jsonpath-plus';
import { isDeepStrictEqual } from 'node:util';
import type { Exchange } from '../../http/exchange.js';
import { responseJson } from '../../http/exchange.js';

/** Headers that describe the stored representation, so a replay must carry them unchanged. */
const FIDELITY_HEADERS = ['content-type', 'location', 'etag', 'link'];

export interface ReplayDifference {
  aspect: 'status' | 'body' | 'header';
  detail: string;
}

function stripPaths(json: unknown, paths: readonly string[]): unknown {
  if (paths.length === 0 || typeof json !== 'object' || json === null) return json;
  const copy = structuredClone<object>(json);
  for (const path of paths) {
    try {
      const hits = JSONPath<{ parent: Record<string, unknown> | unknown[] | null; parentProperty: string | number }[]>({
        path,
        json: copy,
        resultType: 'all',
        eval: false,
      });
      for (const h of hits) {
        if (h.parent && typeof h.parent === 'object')
          delete (h.parent as Record<string, unknown>)[String(h.parentProperty)];
      }
    } catch {
      // An invalid path was already rejected by the options schema; nothing to strip.
    }
  }
  return copy;
}

export function compareReplay(original: Exchange, replay: Exchange, ignore: readonly string[]): ReplayDifference[] {
  const a = original.response;
  const b = replay.response;
  if (!a || !b) return [];
  const diffs: ReplayDifference[] = [];
  if (a.status !== b.status)
    diffs.push({ aspect: 'status', detail: `status ${a.status} first, ${b.status} on replay` });
  const ja = responseJson(original);
  const jb = responseJson(replay);
  const sameBody =
    ja !== undefined && jb !== undefined
      ? isDeepStrictEqual(stripPaths(ja, ignore), stripPaths(jb, ignore))
      : a.truncated || b.truncated || a.body === b.body;
  if (!sameBody) diffs.push({ aspect: 'body', detail: 'the replayed body differs from the original' });
  for (const h of FIDELITY_HEADERS) {
    const va = a.headers[h];
    const vb = b.headers[h];
    if (va !== undefined && va !== vb) {
      diffs.push({ aspect: 'header', detail: `${h} was '${va}', replay has ${vb === undefined ? 'none' : `'${vb}'`}` });
    }
  }
  return diffs;
}
