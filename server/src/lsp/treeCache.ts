/**
 * Incremental tree-sitter parsing for open documents. extractFacts hands us the neutralised text; we keep the
 * previous neutralised text and tree per document, find the changed range as the common prefix/suffix of old and
 * new text (the neutraliser keeps offsets but may change text outside the typed range, e.g. when a line becomes a
 * directive, so the editor's change ranges are not enough), `tree.edit()` and reparse with the old tree. Trees are
 * kept in a bounded LRU; evicted trees are freed (`delete()`), and the next parse of that document is a full one.
 */
import { type Edit, Parser, type Point, type Tree } from 'web-tree-sitter';
import { FunctionCache, type ParseHint, type TreeChanges } from '../facts/extract';
import { commonPrefix, commonSuffix } from '../facts/incremental';
import { cLanguage, parseC } from '../parse/treeSitter';

interface Entry {
  text: string;
  tree: Tree;
  /** Numbers the trees this cache made (see FunctionCache.treeGeneration). */
  generation: number;
}

export interface ParseStats {
  full: number;
  incremental: number;
  timeouts: number;
}

/**
 * Row/column (UTF-16 units, as web-tree-sitter counts for JavaScript strings) of `offset`, counting lines from
 * `from` (a point known to be at or before it in the same text).
 */
function pointAt(text: string, offset: number, from: { offset: number; point: Point } = { offset: 0, point: { row: 0, column: 0 } }): Point {
  let row = from.point.row;
  let lineStart = from.offset - from.point.column;
  for (let i = text.indexOf('\n', from.offset); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/** The edit that turns `a` into `b`: common prefix and suffix, the rest replaced. Null when equal. */
export function diffEdit(a: string, b: string): Edit | null {
  if (a === b) return null;
  // Compared a block at a time (the texts are 100s of KB, the differences a few characters).
  const p = commonPrefix(a, b);
  const s = commonSuffix(a, b, p);
  const oldEnd = a.length - s;
  const newEnd = b.length - s;
  // a and b agree up to p: count the lines once, then on from p in each.
  const startPosition = pointAt(a, p);
  const known = { offset: p, point: startPosition };
  return {
    startIndex: p,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition,
    oldEndPosition: pointAt(a, oldEnd, known),
    newEndPosition: pointAt(b, newEnd, known),
  };
}

/** diffEdit for texts known to be equal outside the hint's window (and `b`'s positions from the hint). */
export function windowEdit(a: string, b: string, hint: ParseHint): Edit | null {
  const wa = a.slice(hint.start, hint.oldEnd);
  const wb = b.slice(hint.start, hint.newEnd);
  if (wa === wb && a.length === b.length) return null;
  const p = commonPrefix(wa, wb);
  const s = commonSuffix(wa, wb, p);
  const startIndex = hint.start + p;
  const oldEndIndex = hint.oldEnd - s;
  const newEndIndex = hint.newEnd - s;
  const start = hint.positionAt(startIndex);
  const end = hint.positionAt(newEndIndex);
  // The old end: from the start, over the replaced text.
  const replaced = a.slice(startIndex, oldEndIndex);
  const nl = replaced.lastIndexOf('\n');
  let rows = 0;
  for (let i = replaced.indexOf('\n'); i !== -1; i = replaced.indexOf('\n', i + 1)) rows++;
  return {
    startIndex,
    oldEndIndex,
    newEndIndex,
    startPosition: { row: start.line, column: start.character },
    oldEndPosition: { row: start.line + rows, column: nl === -1 ? start.character + replaced.length : replaced.length - nl - 1 },
    newEndPosition: { row: end.line, column: end.character },
  };
}

export class TreeCache {
  private readonly entries = new Map<string, Entry>();
  readonly stats: ParseStats = { full: 0, incremental: 0, timeouts: 0 };
  /** Keys whose current tree came from an incremental parse (a full parse may recover from errors differently). */
  private readonly incrementalKeys = new Set<string>();
  /** Per document: the top-level nodes facts were read from, kept as long as its tree (see FunctionCache). */
  private readonly functionCaches = new Map<string, FunctionCache>();
  private generation = 0;
  private backgroundParser: Parser | undefined;

  constructor(
    private readonly capacity: number,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The function cache that goes with the document's tree (a new one when the tree is new). */
  functionCache(key: string): FunctionCache {
    let cache = this.functionCaches.get(key);
    if (!cache) {
      cache = new FunctionCache();
      this.functionCaches.set(key, cache);
    }
    return cache;
  }

  /** A `parse` callback for extractFacts that reuses (and replaces) the document's previous tree. */
  parser(key: string): (text: string, hint?: ParseHint) => Tree | null {
    return (text, hint) => this.parse(key, text, hint);
  }

  parse(key: string, text: string, hint?: ParseHint): Tree | null {
    const old = this.entries.get(key);
    if (old && old.text === text) {
      // The same text (facts re-read after a full reparse was installed, or the masked text did not change): the
      // tree is already the one an incremental parse would give.
      this.entries.delete(key);
      this.entries.set(key, old);
      this.stats.incremental++;
      const cache = this.functionCaches.get(key);
      if (cache) cache.treeChanges = { from: old.generation, to: old.generation, edit: null, ranges: [] };
      return old.tree;
    }
    this.entries.delete(key);
    let tree: Tree | null;
    const cache = this.functionCaches.get(key);
    const generation = ++this.generation;
    let changes: TreeChanges | null = null;
    if (old) {
      // The caller may know where the texts differ (the edited window): then only that is compared.
      const edit = hint && hint.previous === old.text ? windowEdit(old.text, text, hint) : diffEdit(old.text, text);
      if (edit) old.tree.edit(edit);
      tree = parseC(text, { oldTree: old.tree, timeoutMs: this.timeoutMs });
      // What differs from the previous tree, for readers that keep results per top-level node (FunctionCache).
      if (tree && cache) changes = { from: old.generation, to: generation, edit, ranges: tree.getChangedRanges(old.tree) };
      old.tree.delete();
      this.stats.incremental++;
      this.incrementalKeys.add(key);
    } else {
      tree = parseC(text, { timeoutMs: this.timeoutMs });
      this.stats.full++;
      this.incrementalKeys.delete(key);
    }
    if (cache) {
      cache.treeGeneration = generation;
      cache.treeChanges = changes;
    }
    if (!tree) {
      this.incrementalKeys.delete(key);
      this.functionCaches.delete(key);
      this.stats.timeouts++;
      return null;
    }
    this.entries.set(key, { text, tree, generation });
    this.evictOverCapacity();
    return tree;
  }

  /** The text the document's current tree was parsed from. */
  textOf(key: string): string | undefined {
    return this.entries.get(key)?.text;
  }

  /**
   * A full parse of `text` that does not block: tree-sitter is stopped every `sliceMs` and resumed after the event
   * loop has run (requests and edits are answered in between). Null when `stillWanted` turns false (the document
   * changed) or the time limit is reached. Uses its own parser, so foreground parses can run in between.
   */
  async parseInBackground(text: string, stillWanted: () => boolean, sliceMs = 8): Promise<Tree | null> {
    if (!this.backgroundParser) {
      this.backgroundParser = new Parser();
      this.backgroundParser.setLanguage(cLanguage());
    }
    const parser = this.backgroundParser;
    parser.reset();
    let spent = 0;
    for (;;) {
      const start = performance.now();
      const end = start + sliceMs;
      const tree = parser.parse(text, null, { progressCallback: () => performance.now() > end });
      spent += performance.now() - start;
      if (tree) return tree;
      if (!stillWanted() || spent > this.timeoutMs) {
        parser.reset();
        if (spent > this.timeoutMs) this.stats.timeouts++;
        return null;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!stillWanted()) {
        parser.reset();
        return null;
      }
    }
  }

  /**
   * Makes `tree` (a full parse of `text`) the document's tree. The function cache keeps the heads read from nodes
   * without errors (a full parse gives them the same subtrees) and forgets what belonged to the previous tree.
   */
  install(key: string, text: string, tree: Tree): void {
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      old.tree.delete();
    }
    const generation = ++this.generation;
    this.entries.set(key, { text, tree, generation });
    this.incrementalKeys.delete(key);
    this.stats.full++;
    const cache = this.functionCaches.get(key);
    if (cache) {
      cache.treeGeneration = generation;
      cache.treeChanges = null;
      cache.items = null;
      for (const [k, head] of cache.entries) if (head.hasError) cache.entries.delete(k);
    }
    this.evictOverCapacity();
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
    this.functionCaches.delete(key);
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      e.tree.delete();
    }
  }

  clear(): void {
    this.backgroundParser?.reset();
    for (const e of this.entries.values()) e.tree.delete();
    this.entries.clear();
    this.incrementalKeys.clear();
    this.functionCaches.clear();
  }

  /** Frees the least recently used trees beyond the capacity (wasm memory is not garbage collected). */
  private evictOverCapacity(): void {
    while (this.entries.size > this.capacity) {
      const [oldest, e] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldest);
      this.incrementalKeys.delete(oldest);
      this.functionCaches.delete(oldest);
      e.tree.delete();
    }
  }
}
