/**
 * Maps a field path (as zod reports it) back to the YAML node it came from, so every issue
 * points at a line and column the user can jump to.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { ScenarioIssue } from '../errors/errors.js';

export type PathSegment = string | number;

/** Which node an issue is about: the value itself, the key naming it, or (missing field) the enclosing mapping. */
export type Anchor = 'value' | 'key' | 'parent';

/** `endpoints.create-payment.observe[0].http` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** String form of a map key as it appears in the plain-JS view of the document. */
export function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

interface Found {
  /** Deepest node reached along the path. */
  node: Node;
  /** Key node of the pair that held `node`, if it came from a mapping. */
  key: Node | undefined;
  complete: boolean;
}

export class Locator {
  constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lineCounter: LineCounter,
  ) {}

  issue(path: readonly PathSegment[], message: string, hint?: string, anchor: Anchor = 'value'): ScenarioIssue {
    const node = this.nodeFor(path, anchor);
    return this.issueAtNode(node, path, message, hint);
  }

  issueAtNode(node: Node | undefined, path: readonly PathSegment[], message: string, hint?: string): ScenarioIssue {
    const { line, col } = this.position(node);
    return { file: this.file, line, col, path: formatPath(path), message, ...(hint === undefined ? {} : { hint }) };
  }

  position(node: Node | undefined): { line: number; col: number } {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, col: 1 };
    return this.lineCounter.linePos(offset);
  }

  nodeFor(path: readonly PathSegment[], anchor: Anchor): Node | undefined {
    const found = this.find(path);
    if (!found) return undefined;
    if (anchor === 'parent') return found.complete ? (found.key ?? found.node) : found.node;
    if (!found.complete) return found.node;
    if (anchor === 'key') return found.key ?? found.node;
    // `missing-key:` has an empty null scalar with a zero-width range at the end of the line;
    // the key is a better place to point.
    if (isScalar(found.node) && found.node.value === null && found.node.source === '' && found.key) return found.key;
    return found.node;
  }

  private find(path: readonly PathSegment[]): Found | undefined {
    let node: Node | undefined = this.deref(this.doc.contents);
    if (!node) return undefined;
    let key: Node | undefined;
    for (const seg of path) {
      let next: Node | undefined;
      let nextKey: Node | undefined;
      if (isMap(node)) {
        const pair: Pair | undefined = node.items.find((p) => keyText(p.key) === String(seg));
        if (pair) {
          nextKey = isScalar(pair.key) ? pair.key : undefined;
          next = this.deref(pair.value) ?? nextKey;
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = this.deref(node.items[seg]);
      }
      if (!next) return { node, key, complete: false };
      node = next;
      key = nextKey;
    }
    return { node, key, complete: true };
  }

  private deref(value: unknown): Node | undefined {
    // One level of aliasing is enough for positions: an alias always points at an anchored
    // node, which is never itself an alias.
    if (isAlias(value)) {
      const target = value.resolve(this.doc);
      return target ?? value;
    }
    if (isMap(value) || isSeq(value) || isScalar(value)) return value;
    return undefined;
  }
}
