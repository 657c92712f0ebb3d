/**
 * The operations of a dereferenced OpenAPI 3 / Swagger 2 description, read through narrow guards
 * (a user's spec is untrusted input that may be incomplete anywhere), with the lookups drafting
 * needs: by operationId, by operationRef pointer, and the creating POST of a collection path.
 */
import { isRecord } from './example-body.js';

export const WRITE_METHODS = ['post', 'patch', 'put', 'delete'] as const;
const ALL_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface SpecOperation {
  /** Lower case, as in the spec. */
  method: string;
  /** The path as the spec writes it (`/v1/charges/{charge}/refunds`), without the server prefix. */
  path: string;
  op: Record<string, unknown>;
  /** Path-item and operation parameters, the operation's winning on the same name and location. */
  params: Record<string, unknown>[];
  operationId: string | undefined;
}

export interface SpecIndex {
  operations: SpecOperation[];
  byId: ReadonlyMap<string, SpecOperation>;
  /** `#/paths/~1charges/post` → operation, for links that use operationRef. */
  byPointer: ReadonlyMap<string, SpecOperation>;
  /** `/v1/charges` → its POST. */
  createAt: ReadonlyMap<string, SpecOperation>;
  /** `charges` → the POSTs to a parameterless path ending in that segment (`/v1/charges`). */
  createBySegment: ReadonlyMap<string, readonly SpecOperation[]>;
}

export function indexSpec(api: Record<string, unknown>): SpecIndex {
  const operations: SpecOperation[] = [];
  const byId = new Map<string, SpecOperation>();
  const byPointer = new Map<string, SpecOperation>();
  const createAt = new Map<string, SpecOperation>();
  const createBySegment = new Map<string, SpecOperation[]>();
  const paths = isRecord(api['paths']) ? api['paths'] : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isRecord(item)) continue;
    const shared = asArray(item['parameters']).filter(isRecord);
    for (const method of ALL_METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      const own = asArray(op['parameters']).filter(isRecord);
      const params = [...shared.filter((s) => !own.some((o) => sameParam(o, s))), ...own];
      const operationId = typeof op['operationId'] === 'string' ? op['operationId'] : undefined;
      const entry: SpecOperation = { method, path, op, params, operationId };
      operations.push(entry);
      if (operationId !== undefined && !byId.has(operationId)) byId.set(operationId, entry);
      byPointer.set(`#/paths/${pointerToken(path)}/${method}`, entry);
      if (method === 'post') {
        const collection = path.replace(/\/$/, '');
        createAt.set(collection, entry);
        const segment = collection.split('/').pop() ?? '';
        if (!collection.includes('{') && segment !== '')
          createBySegment.set(segment, [...(createBySegment.get(segment) ?? []), entry]);
      }
    }
  }
  return { operations, byId, byPointer, createAt, createBySegment };
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function sameParam(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return a['name'] === b['name'] && a['in'] === b['in'];
}

function pointerToken(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The operation an operationRef names, relative (`#/paths/…`) or with a document before the `#`. */
export function byOperationRef(index: SpecIndex, ref: string): SpecOperation | undefined {
  const hash = ref.indexOf('#');
  if (hash < 0) return undefined;
  const pointer = ref.slice(hash);
  return index.byPointer.get(pointer) ?? index.byPointer.get(safeDecode(pointer));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function describeOp(o: SpecOperation): string {
  return `${o.method.toUpperCase()} ${o.path}`;
}

/** Path parameter names in the order the path uses them. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
}

export function param(o: SpecOperation, where: string, name: string): Record<string, unknown> | undefined {
  return o.params.find((p) => p['in'] === where && p['name'] === name);
}
