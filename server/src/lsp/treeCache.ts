/**
 * Incremental tree-sitter parsing for open documents. extractFacts hands us the neutralised text; we keep the
 * previous neutralised text and tree per document, find the changed range as the common prefix/suffix of old and
 * new text (the neutraliser keeps offsets but may change text outside the typed range, e.g. when a line becomes a
 * directive, so the editor's change ranges are not enough), `tree.edit()` and reparse with the old tree. Trees are
 * kept in a bounded LRU; evicted trees are freed (`delete()`), and the next parse of that document is a full one.
 */
import type { Edit, Point, Tree } from 'web-tree-sitter';
import { parseC } from '../parse/treeSitter';

interface Entry {
  text: string;
  tree: Tree;
}

export interface ParseStats {
  full: number;
  incremental: number;
  timeouts: number;
}

/** Row/column (UTF-16 units, as web-tree-sitter counts for JavaScript strings) of `offset`. */
function pointAt(text: string, offset: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/** The edit that turns `a` into `b`: common prefix and suffix, the rest replaced. Null when equal. */
export function diffEdit(a: string, b: string): Edit | null {
  if (a === b) return null;
  const max = Math.min(a.length, b.length);
  let p = 0;
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  const oldEnd = a.length - s;
  const newEnd = b.length - s;
  return {
    startIndex: p,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: pointAt(a, p),
    oldEndPosition: pointAt(a, oldEnd),
    newEndPosition: pointAt(b, newEnd),
  };
}

export class TreeCache {
  private readonly entries = new Map<string, Entry>();
  readonly stats: ParseStats = { full: 0, incremental: 0, timeouts: 0 };
  /** Keys whose current tree came from an incremental parse (a full parse may recover from errors differently). */
  private readonly incrementalKeys = new Set<string>();

  constructor(
    private readonly capacity: number,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** A `parse` callback for extractFacts that reuses (and replaces) the document's previous tree. */
  parser(key: string): (text: string) => Tree | null {
    return (text) => this.parse(key, text);
  }

  parse(key: string, text: string): Tree | null {
    const old = this.entries.get(key);
    this.entries.delete(key);
    let tree: Tree | null;
    if (old) {
      const edit = diffEdit(old.text, text);
      if (edit) old.tree.edit(edit);
      tree = parseC(text, { oldTree: old.tree, timeoutMs: this.timeoutMs });
      old.tree.delete();
      this.stats.incremental++;
      this.incrementalKeys.add(key);
    } else {
      tree = parseC(text, { timeoutMs: this.timeoutMs });
      this.stats.full++;
      this.incrementalKeys.delete(key);
    }
    if (!tree) {
      this.incrementalKeys.delete(key);
      this.stats.timeouts++;
      return null;
    }
    this.entries.set(key, { text, tree });
    while (this.entries.size > this.capacity) {
      const [oldest, e] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      this.incrementalKeys.delete(oldest);
      e.tree.delete();
    }
    return tree;
  }

  /** The current tree of a document (read-only use, valid until its next parse). */
  peek(key: string): Tree | undefined {
    return this.entries.get(key)?.tree;
  }

  /** The document's tree came from an incremental parse and has syntax errors. */
  incrementalWithErrors(key: string): boolean {
    return this.incrementalKeys.has(key) && (this.entries.get(key)?.tree.rootNode.hasError ?? false);
  }

  drop(key: string): void {
    this.incrementalKeys.delete(key);
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      e.tree.delete();
    }
  }

  clear(): void {
    for (const e of this.entries.values()) e.tree.delete();
    this.entries.clear();
    this.incrementalKeys.clear();
  }
}
