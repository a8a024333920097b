/**
 * One file's text → its facts. The text is scanned once, kernel macros are neutralised (offsets kept), BTF set
 * macros go through their dedicated reader, and tree-sitter reads the C that is left: function definitions and
 * prototypes, `struct btf_kfunc_id_set` initialisers and destructor arrays. No tree outlives this call.
 */
import type { Node, Tree } from 'web-tree-sitter';
import { type EditWindow, TextState } from './incremental';
import { readBtfSets } from '../parse/btfSets';
import { buildGuardMap, type GuardMap } from '../parse/guards';
import { INLINE_MACROS } from '../parse/kernelMacros';
import { buildMacroTable } from '../parse/macros';
import { type MaskedToken, type Neutralized, neutralize } from '../parse/neutralize';
import { depthAt, isCode, lastAtOrBefore, matchParen, nextCodeChar, scanSource, type SourceScan, splitArgs } from '../parse/scanner';
import { parseC } from '../parse/treeSitter';
import { LineIndex } from '../text/lineIndex';
import { hasWord, isIdentChar, wordOffsets } from '../text/words';
import { baseTypeOf, paramNodes, readDeclarator, readParam, toTypeInfo } from './declarators';
import type {
  DtorArrayFact,
  DtorPair,
  DtorRegistrationFact,
  FileFacts,
  FunctionFact,
  IdSetFact,
  ParamFact,
  RegionFact,
  RegistrationFact,
  Span,
} from './types';

export interface ExtractOptions {
  /** Also record full facts for functions with these names (definitions registered from another file). */
  wantNames?: ReadonlySet<string>;
  /** Record every function definition and prototype (an open editor document), not just kfunc candidates. */
  allFunctions?: boolean;
  /** Abandon the tree-sitter parse after this long (the rest of the facts are still returned). */
  parseTimeoutMs?: number;
  /**
   * Parses the neutralised text instead of a fresh full parse, and owns the tree it returns (the language server
   * reparses incrementally and keeps trees of open documents). Without it the tree is freed here.
   */
  parse?: (neutralizedText: string, hint?: ParseHint) => Tree | null;
  /**
   * Top-level nodes read in an earlier extraction of the same document (with `parse`: an incremental parse keeps
   * most of them); updated in place. Only the functions' own heads are cached, never what depends on the rest of
   * the file (attributes before them, guards, regions, doc comments, uses).
   */
  functionCache?: FunctionCache;
}

/** The most any one file's parse may take, however large: with the rest of the analysis, a file stays under 2 s. */
export const MAX_PARSE_TIMEOUT_MS = 1500;

/**
 * A parse time limit that real files never reach (net/core/filter.c, 340 KB, parses in about 0.1 s) but that stops
 * tree-sitter's error recovery on pathological input (a 270 KB line of `KF_A |`) from running for seconds.
 */
export function defaultParseTimeout(length: number): number {
  return Math.min(MAX_PARSE_TIMEOUT_MS, 500 + Math.ceil(length / 1024) * 2);
}

export function emptyFacts(path: string, skipped: string | null): FileFacts {
  return {
    path,
    skipped,
    functions: [],
    sets: [],
    pendingMacros: [],
    idSets: [],
    registrations: [],
    dtorArrays: [],
    dtorRegistrations: [],
    regions: [],
    includes: [],
    parseErrors: 0,
    unterminatedConditionals: 0,
  };
}

/** Shared state of one extraction. */
interface Ctx {
  text: string;
  scan: SourceScan;
  masked: Neutralized;
  guards: GuardMap;
  spanOf: (start: number, end: number) => Span;
  regions: RegionFact[];
  /** Whole-word occurrences in the masked text and in the text. */
  maskedWords: WordIndex;
  textWords: WordIndex;
  /** What changed since the open document's previous extraction, and that extraction's word indexes. */
  window: EditWindow | null;
  previous: { maskedWords: WordIndex | null; textWords: WordIndex | null } | null;
}

/**
 * Whole-word occurrences of names in one text (the masked text, or the file's own). Names looked up together share
 * one pass; after an edit, the occurrences of the previous extraction's names are moved across the edited window
 * and only the window is searched again.
 */
class WordIndex {
  readonly looked = new Set<string>();
  readonly map = new Map<string, number[]>();

  constructor(readonly source: string) {}

  lookup(names: Iterable<string>, prev: WordIndex | null, window: EditWindow | null): Map<string, number[]> {
    const missing = new Set<string>();
    for (const n of names) if (!this.looked.has(n)) missing.add(n);
    if (missing.size === 0) return this.map;
    if (prev && window && [...missing].every((n) => prev.looked.has(n))) {
      // Every name the previous extraction looked up: their occurrences outside the window move, the window's are new.
      const moved = [...prev.looked].filter((n) => !this.looked.has(n));
      const delta = window.newEnd - window.oldEnd;
      const inWindow = identifierOffsets(this.source.slice(window.start, window.newEnd), new Set(moved));
      for (const n of moved) {
        const old = prev.map.get(n) ?? [];
        const out: number[] = [];
        for (const at of old) if (at < window.start) out.push(at);
        for (const at of inWindow.get(n) ?? []) out.push(at + window.start);
        for (const at of old) if (at >= window.oldEnd) out.push(at + delta);
        this.looked.add(n);
        if (out.length) this.map.set(n, out);
      }
      return this.map;
    }
    for (const [n, list] of identifierOffsets(this.source, missing)) this.map.set(n, list);
    for (const n of missing) this.looked.add(n);
    return this.map;
  }
}

/** Occurrences of `names` in the masked text. */
function occurrencesOf(ctx: Ctx, names: Iterable<string>): Map<string, number[]> {
  return ctx.maskedWords.lookup(names, ctx.previous?.maskedWords ?? null, ctx.window);
}

export function extractFacts(path: string, text: string, options: ExtractOptions = {}): FileFacts {
  const facts = emptyFacts(path, null);
  const cache = options.functionCache;
  // An open document: scan and neutralised text spliced after an edit (facts/incremental.ts).
  const previousText = cache?.text.text;
  const previousMasked = cache?.text.masked?.text;
  const prepared = cache ? cache.text.prepare(text) : null;
  const scan = prepared ? prepared.scan : scanSource(text);
  const lines = new LineIndex(text);
  const spanOf = (start: number, end: number): Span => {
    const s = lines.positionAt(start);
    const e = lines.positionAt(end);
    return { start, end, line: s.line, character: s.character, endLine: e.line, endCharacter: e.character };
  };
  const guards = buildGuardMap(scan.directives);
  const macros = buildMacroTable(scan.directives, text);
  const masked = prepared ? prepared.masked : neutralize(scan);
  const ctx: Ctx = {
    text,
    scan,
    masked,
    guards,
    spanOf,
    regions: readRegions(masked, spanOf),
    maskedWords: new WordIndex(masked.text),
    textWords: new WordIndex(text),
    window: prepared?.window ?? null,
    // The previous indexes are usable only if they were built on the texts the window is relative to.
    previous: cache
      ? {
          maskedWords: cache.maskedWords && cache.maskedWords.source === previousMasked ? cache.maskedWords : null,
          textWords: cache.textWords && cache.textWords.source === previousText ? cache.textWords : null,
        }
      : null,
  };
  if (cache) {
    // For the next edit (filled in as this extraction looks names up).
    cache.maskedWords = ctx.maskedWords;
    cache.textWords = ctx.textWords;
  }

  const btf = readBtfSets(masked.calls, text, spanOf, guards, macros);
  facts.sets = btf.sets;
  recordLocalFlagDefines(facts, macros);
  facts.pendingMacros = btf.pending;
  facts.regions = ctx.regions;
  facts.unterminatedConditionals = guards.unterminated;
  facts.includes = scan.directives
    .filter((d) => d.keyword === 'include')
    .map((d) => /^([<"])([^>"]+)[>"]/.exec(d.body))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ path: m[2], system: m[1] === '<' }));
  facts.registrations = readRegistrations(ctx);
  facts.dtorRegistrations = readDtorRegistrations(ctx);

  const listed = new Set<string>();
  for (const set of facts.sets) for (const e of set.entries) listed.add(e.name);
  // `foo_impl` matters when `foo` is listed: a real one replaces the _impl the build would generate.
  const wanted = (name: string, tagged: boolean) =>
    options.allFunctions ||
    tagged ||
    listed.has(name) ||
    (name.endsWith('_impl') && listed.has(name.slice(0, -5))) ||
    (options.wantNames?.has(name) ?? false);

  const tree = options.parse
    ? options.parse(
        masked.text,
        prepared?.window && previousMasked !== undefined
          ? { previous: previousMasked, ...prepared.window, positionAt: (o: number) => lines.positionAt(o) }
          : undefined,
      )
    : parseC(masked.text, { timeoutMs: options.parseTimeoutMs ?? defaultParseTimeout(text.length) });
  if (!tree) {
    facts.skipped = 'parse time limit reached; BTF sets and registrations only';
    return facts;
  }
  try {
    facts.idSets = readIdSets(ctx, tree);
    facts.dtorArrays = readDtorArrays(ctx, tree);
    // Set and id-set names are looked for in the same pass over the text as the functions' names (recordSetUses).
    const setNames = [...facts.sets.filter((x) => x.macro !== 'BTF_ID_LIST').map((x) => x.name), ...facts.idSets.map((x) => x.name)];
    facts.functions = readFunctions(ctx, tree, wanted, options.functionCache, setNames);
    recordSetUses(ctx, facts);
    facts.parseErrors = countErrors(tree.rootNode);
  } finally {
    if (!options.parse) tree.delete();
  }
  return facts;
}

function readRegions(masked: Neutralized, spanOf: Ctx['spanOf']): RegionFact[] {
  const regions: RegionFact[] = [];
  const open = new Map<RegionFact['kind'], RegionFact[]>();
  const push = (kind: RegionFact['kind'], s: MaskedToken) => {
    const r: RegionFact = { kind, start: spanOf(s.start, s.end), end: null };
    regions.push(r);
    const stack = open.get(kind) ?? [];
    stack.push(r);
    open.set(kind, stack);
  };
  const pop = (kind: RegionFact['kind'], s: MaskedToken) => {
    const r = open.get(kind)?.pop();
    if (r) r.end = spanOf(s.start, s.end);
  };
  for (const s of masked.statements) {
    switch (s.name) {
      case '__bpf_kfunc_start_defs':
        push('kfunc-defs', s);
        break;
      case '__bpf_kfunc_end_defs':
        pop('kfunc-defs', s);
        break;
      case '__bpf_hook_start':
        push('hook', s);
        break;
      case '__bpf_hook_end':
        pop('hook', s);
        break;
      case '__diag_ignore_all':
      case '__diag_ignore':
        // The pre-6.7 spelling: silences -Wmissing-prototypes until the next __diag_pop.
        if (/missing-(prototypes|declarations)/.test(s.argText)) push('diag', s);
        break;
      case '__diag_pop':
        pop('diag', s);
        break;
    }
  }
  return regions;
}

function inRegion(regions: RegionFact[], offset: number): boolean {
  return regions.some((r) => r.start.end <= offset && (r.end === null || offset < r.end.start));
}

/** Cleans a kernel-doc comment: drops the markers and leading '*'s. */
function cleanDoc(raw: string): string {
  let body = raw.replace(/^\/\*\*+/, '');
  // Not `/\*+\/$/`: that regex is quadratic on a long run of '*' (the fuzzer's 40 000-star comment took seconds).
  if (body.endsWith('*/')) {
    let end = body.length - 2;
    while (end > 0 && body.charCodeAt(end - 1) === 42) end--;
    body = body.slice(0, end);
  }
  return body
    .split('\n')
    .map((l) => l.replace(/^\s*\*( ?)/, '').trimEnd())
    .join('\n')
    .trim();
}

function docBefore(ctx: Ctx, start: number, previousEnd: number, starts: number[]): string | null {
  const docs = ctx.scan.docComments;
  const k = lastAtOrBefore(starts, start - 1);
  if (k === -1) return null;
  const s = docs[2 * k];
  const e = docs[2 * k + 1];
  if (s < previousEnd || e > start) return null;
  // Only blanks (and neutralised macros, now blanks) between the comment and the function.
  if (ctx.masked.text.slice(e, start).trim() !== '') return null;
  return cleanDoc(ctx.text.slice(s, e));
}

/**
 * What a top-level node's own subtree says (offsets relative to the node's start): the single function it declares
 * and, once read, its parameters, return type and storage. Depends on nothing outside the node, so an open
 * document keeps these between edits in a FunctionCache, keyed by node type and text.
 */
interface NodeHead {
  /** The declared function, or null when the node is not a single function declarator (`int x = 1;`). */
  name: string | null;
  nameStart: number;
  nameEnd: number;
  detail?: NodeDetail;
  /** The node had ERROR/MISSING nodes (a full parse may read the same text differently). */
  hasError?: boolean;
}

interface NodeDetail {
  params: Array<{ name: string | null; type: ParamFact['type']; start: number; end: number }>;
  variadic: boolean;
  storage: FunctionFact['storage'];
  /** The `static` keyword, relative. */
  staticAt: [number, number] | null;
  /** `inline`/`__inline`/`__inline__` among the storage-class specifiers. */
  inlineSpecifier: boolean;
  ret: FunctionFact['ret'];
  /** Where the body starts (or the node ends), relative. */
  headEnd: number;
}

/**
 * Per-document memory of top-level nodes between extractions (the language server's incremental path): a node
 * whose type and text are unchanged is not read from the tree again. Entries not seen in an extraction are dropped.
 */
export class FunctionCache {
  entries = new Map<string, NodeHead>();
  hits = 0;
  misses = 0;
  /** The document's scan and neutralised text, spliced after each edit. */
  readonly text = new TextState();
  /** Names looked up in the last extraction, in its masked text and its text (moved across each edit). */
  maskedWords: WordIndex | null = null;
  textWords: WordIndex | null = null;
  /** Set by the parser's owner (TreeCache): which tree is current, and what changed from the one before it. */
  treeGeneration = 0;
  treeChanges: TreeChanges | null = null;
  /** How the top-level items were found: walking the whole root, or only what changed. */
  readonly itemWalks = { full: 0, partial: 0 };
  /** The top-level items of tree `generation` (see changedItems). */
  items: { generation: number; list: TopItem[]; nested?: boolean } | null = null;
  /** The ERROR/MISSING nodes of tree `generation`, by offset (see errorOffsets). */
  errors: { generation: number; offsets: number[] } | null = null;
}

/**
 * What the `parse` callback may be told about the text it gets: it equals `previous` (the masked text of the
 * document's previous extraction) outside the window, and `positionAt` gives line/character of its offsets.
 */
export interface ParseHint extends EditWindow {
  previous: string;
  positionAt: (offset: number) => { line: number; character: number };
}

/** From tree `from` (an incremental parse's old tree) to tree `to`: the text edit and tree-sitter's changed ranges. */
export interface TreeChanges {
  from: number;
  to: number;
  edit: { startIndex: number; oldEndIndex: number; newEndIndex: number } | null;
  ranges: Array<{ startIndex: number; endIndex: number }>;
}

interface HeadRead {
  head: NodeHead;
  /** The declarator and its derivations, for readDetail. */
  declNode: Node | null;
  derivations: ReturnType<typeof readDeclarator>['derivations'];
}

function readHead(node: Node): HeadRead {
  const none: HeadRead = { head: { name: null, nameStart: 0, nameEnd: 0 }, declNode: null, derivations: [] };
  const declNode = node.childForFieldName('declarator');
  // `int f(void), g;` or `int x = 1;`: only single function declarators are prototypes.
  if (!declNode || (node.type !== 'function_definition' && declNode.type === 'init_declarator')) return none;
  const declared = readDeclarator(declNode);
  if (!declared.name || !declared.nameNode || declared.derivations[0]?.kind !== 'fn') return none;
  const start = node.startIndex;
  return {
    head: { name: declared.name, nameStart: declared.nameNode.startIndex - start, nameEnd: declared.nameNode.endIndex - start },
    declNode,
    derivations: declared.derivations,
  };
}

function readDetail(node: Node, read: HeadRead): NodeDetail {
  const { declNode, derivations } = read;
  const start = node.startIndex;
  let fnDecl: Node | null = declNode;
  while (fnDecl && fnDecl.type !== 'function_declarator') fnDecl = fnDecl.childForFieldName('declarator') ?? fnDecl.namedChildren[0] ?? null;
  const paramList = fnDecl?.childForFieldName('parameters') ?? null;
  const params: NodeDetail['params'] = [];
  let variadic = false;
  const nodes = paramList ? paramNodes(paramList) : [];
  for (const p of nodes) {
    if (!p) continue;
    if (p.type === 'variadic_parameter') variadic = true;
    else if (p.type === 'parameter_declaration') {
      const param = readParam(p);
      // `f(void)`: no parameters.
      if (param.type.text === 'void' && param.name === null && nodes.length === 1) continue;
      params.push({ name: param.name, type: param.type, start: p.startIndex - start, end: p.endIndex - start });
    }
  }
  let storage: FunctionFact['storage'] = 'extern';
  let staticAt: NodeDetail['staticAt'] = null;
  let inlineSpecifier = false;
  for (const child of node.children) {
    if (child?.type !== 'storage_class_specifier') continue;
    const word = child.text;
    if (word === 'static') {
      storage = 'static';
      staticAt = [child.startIndex - start, child.endIndex - start];
    } else if (word === 'inline' || word === '__inline' || word === '__inline__') inlineSpecifier = true;
  }
  const ret = toTypeInfo(baseTypeOf(node), derivations.slice(1));
  const body = node.childForFieldName('body');
  const headEnd = (body ? body.startIndex : node.endIndex) - start;
  return { params, variadic, storage, staticAt, inlineSpecifier, ret, headEnd };
}

interface TopItem {
  type: string;
  start: number;
  end: number;
  head: NodeHead;
  /** The node and its declarator, when read in this extraction (not needed again when the cache had them). */
  node: Node | null;
  read: HeadRead | null;
  /** Found inside an ERROR node (or a linkage specification) rather than directly under the root. */
  nested: boolean;
}

/** A cached head, or one read from the node at the cursor (an open document wants every function's detail). */
function cachedHead(ctx: Ctx, cache: FunctionCache, next: Map<string, NodeHead>, at: () => Node, type: string, start: number, end: number): NodeHead {
  const key = `${type === 'declaration' ? 'd' : 'f'}${ctx.masked.text.slice(start, end)}`;
  let head = cache.entries.get(key);
  if (head) cache.hits++;
  else {
    cache.misses++;
    const node = at();
    const read = readHead(node);
    head = read.head;
    if (head.name !== null) head.detail = readDetail(node, read);
    head.hasError = node.hasError;
  }
  next.set(key, head);
  return head;
}

/**
 * Top-level declarations and function definitions, looking inside ERROR nodes so one bad construct does not hide
 * the functions after it; with their heads read from the tree or taken from the cache.
 */
function topItems(ctx: Ctx, root: Node, cache: FunctionCache | undefined): TopItem[] {
  if (cache) {
    const items = changedItems(ctx, root, cache);
    if (items) return items;
  }
  const items: TopItem[] = [];
  const next = cache ? new Map<string, NodeHead>() : undefined;
  const cursor = root.walk();
  let depth = 0;
  try {
    if (!cursor.gotoFirstChild()) return items;
    for (;;) {
      const type = cursor.nodeType;
      if (type === 'function_definition' || type === 'declaration') {
        const start = cursor.startIndex;
        const end = cursor.endIndex;
        if (cache && next) {
          const head = cachedHead(ctx, cache, next, () => cursor.currentNode, type, start, end);
          items.push({ type, start, end, head, node: null, read: null, nested: depth > 0 });
        } else {
          const node = cursor.currentNode;
          const read = readHead(node);
          items.push({ type, start, end, head: read.head, node, read, nested: depth > 0 });
        }
      } else if ((type === 'ERROR' || type === 'linkage_specification' || type === 'declaration_list') && cursor.gotoFirstChild()) {
        depth++;
        continue;
      }
      // Next sibling, or climb out of the ERROR nodes we descended into.
      let done = false;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent() || cursor.currentNode.equals(root)) {
          done = true;
          break;
        }
        depth--;
      }
      if (done) break;
    }
  } finally {
    cursor.delete();
  }
  if (cache && next) {
    cache.entries = next;
    cache.items = { generation: cache.treeGeneration, list: items, nested: items.some((i) => i.nested) };
    cache.itemWalks.full++;
  }
  return items;
}

/**
 * After an incremental parse: the items outside what changed (the edit, and the ranges where tree-sitter's tree
 * differs from the previous one) are the previous items, moved; only the root's children in between are walked.
 * Null when this does not apply (no previous walk of the previous tree, ERROR nodes at the top).
 */
function changedItems(ctx: Ctx, root: Node, cache: FunctionCache): TopItem[] | null {
  const ch = cache.treeChanges;
  const prev = cache.items;
  if (!ch || !prev || prev.generation !== ch.from || ch.to !== cache.treeGeneration || prev.nested) return null;
  // Stale cache entries accumulate on this path; a full walk now and then keeps only the live ones.
  if (cache.entries.size > 2 * prev.list.length + 64) return null;
  let lo = Infinity;
  let hi = -Infinity;
  const delta = ch.edit ? ch.edit.newEndIndex - ch.edit.oldEndIndex : 0;
  if (ch.edit) {
    lo = ch.edit.startIndex;
    hi = ch.edit.newEndIndex;
  }
  for (const r of ch.ranges) {
    lo = Math.min(lo, r.startIndex);
    hi = Math.max(hi, r.endIndex);
  }
  const list: TopItem[] = [];
  if (lo === Infinity) {
    list.push(...prev.list);
  } else {
    // Nodes touching the change may have grown into it or shrunk out of it: everything from the start of an item
    // that reached the change (or ended right at it) up to and including nodes that start where it ends is walked.
    let cut = lo;
    for (const item of prev.list) if (item.start < lo && item.end >= lo) cut = Math.min(cut, item.start);
    for (const item of prev.list) if (item.end < cut) list.push(item);
    const beforeCount = list.length;
    // (Node.firstChildForIndex, not TreeCursor.gotoFirstChildForIndex: web-tree-sitter 0.25 loses the cursor's goal.)
    for (let node = root.firstChildForIndex(Math.max(0, cut - 1)); node && node.startIndex <= hi; node = node.nextSibling) {
      if (node.endIndex < cut) continue;
      const type = node.type;
      if (type === 'function_definition' || type === 'declaration') {
        const start = node.startIndex;
        const end = node.endIndex;
        const at = node;
        const head = cachedHead(ctx, cache, cache.entries, () => at, type, start, end);
        list.push({ type, start, end, head, node: null, read: null, nested: false });
      } else if (type === 'ERROR' || type === 'linkage_specification' || type === 'declaration_list') return null;
    }
    const oldHi = hi - delta;
    const walkedEnd = list.length;
    for (const item of prev.list) {
      if (item.start > oldHi) list.push(delta === 0 ? item : { ...item, start: item.start + delta, end: item.end + delta });
    }
    // tree-sitter's changed ranges can miss a change (a function that now runs on over the next ones), so the items
    // on both sides of the walk are checked: still children of the root, where they were. Parsing is deterministic
    // from there on, so if the first item after the walk is unchanged, so is everything after it.
    const same = (item: TopItem | undefined) => {
      if (!item) return true;
      const node = root.firstChildForIndex(Math.max(0, item.start - 1));
      return !!node && node.startIndex === item.start && node.endIndex === item.end && node.type === item.type;
    };
    if (!same(list[walkedEnd]) || (beforeCount > 0 && !same(list[beforeCount - 1]))) return null;
  }
  cache.items = { generation: cache.treeGeneration, list, nested: false };
  cache.itemWalks.partial++;
  return list;
}

function readFunctions(
  ctx: Ctx,
  tree: Tree,
  wanted: (name: string, tagged: boolean) => boolean,
  cache?: FunctionCache,
  alsoLookFor: string[] = [],
): FunctionFact[] {
  const items = topItems(ctx, tree.rootNode, cache);
  const attrs = ctx.masked.attributes;
  const attrStarts = attrs.map((a) => a.start);
  const between = (from: number, to: number): MaskedToken[] => {
    const out: MaskedToken[] = [];
    for (let i = lastAtOrBefore(attrStarts, from - 1) + 1; i < attrs.length && attrs[i].start < to; i++) out.push(attrs[i]);
    return out;
  };
  // Names tagged `__bpf_kfunc` anywhere in the file: their untagged prototypes earlier in the file are wanted too
  // (an earlier prototype silences -Wmissing-prototypes and its `static` applies to the definition).
  const tagged = new Set<string>();
  if (attrs.some((a) => a.name === '__bpf_kfunc')) {
    let previousEnd = 0;
    for (const item of items) {
      const from = previousEnd;
      previousEnd = item.end;
      if (item.head.name === null) continue;
      if (between(from, item.start + item.head.nameStart).some((a) => a.name === '__bpf_kfunc')) tagged.add(item.head.name);
    }
  }
  const want = tagged.size ? (name: string, t: boolean) => wanted(name, t) || tagged.has(name) : wanted;

  const picked: Array<{ item: TopItem; previousEnd: number; attrs: MaskedToken[]; tag: MaskedToken | undefined }> = [];
  let previousEnd = 0;
  for (const item of items) {
    const from = previousEnd;
    previousEnd = item.end;
    const name = item.head.name;
    if (name === null) continue;
    const before = between(from, item.start + item.head.nameStart);
    const tag = before.find((a) => a.name === '__bpf_kfunc');
    if (want(name, tag !== undefined)) picked.push({ item, previousEnd: from, attrs: before, tag });
  }
  const uses = usesInFile(
    ctx,
    picked.map(({ item }) => ({ name: item.head.name!, start: item.start, end: item.end })),
    alsoLookFor,
  );
  const docStarts: number[] = [];
  for (let i = 0; i < ctx.scan.docComments.length; i += 2) docStarts.push(ctx.scan.docComments[i]);
  return picked.map(({ item, previousEnd: prev, attrs: before, tag }, i) => {
    const { head, start, end } = item;
    const detail = head.detail ?? (head.detail = readDetail(item.node!, item.read!));
    const name = head.name!;
    const nameStart = start + head.nameStart;
    const firstAttr = before.length && before[0].start < start ? before[0].start : start;
    const headEnd = start + detail.headEnd;
    return {
      name,
      kind: item.type === 'function_definition' ? 'definition' : 'declaration',
      nameSpan: ctx.spanOf(nameStart, start + head.nameEnd),
      span: ctx.spanOf(firstAttr, end),
      headSpan: ctx.spanOf(firstAttr, trimEnd(ctx.text, firstAttr, headEnd)),
      storage: detail.storage,
      inline: before.some((a) => INLINE_MACROS.has(a.name)) || detail.inlineSpecifier,
      attributes: before.map((a) => a.name),
      bpfKfuncSpan: tag ? ctx.spanOf(tag.start, tag.end) : null,
      staticSpan: detail.staticAt ? ctx.spanOf(start + detail.staticAt[0], start + detail.staticAt[1]) : null,
      ret: detail.ret,
      params: detail.params.map((p) => ({ name: p.name, type: p.type, span: ctx.spanOf(start + p.start, start + p.end) })),
      variadic: detail.variadic,
      guard: ctx.guards.at(nameStart),
      inDefsRegion: inRegion(ctx.regions, nameStart),
      doc: docBefore(ctx, firstAttr, prev, docStarts),
      addressTaken: uses[i].addressTaken,
      calledInFile: uses[i].calledInFile,
    };
  });
}

/**
 * How each function's name is used in this file's code outside its own head and body: as a value (not a direct
 * call, a prototype or a blanked BTF macro), and as a direct call inside another function's body. One pass over
 * the identifiers of the file for all names (an open document asks for every function).
 */
function usesInFile(
  ctx: Ctx,
  fns: Array<{ name: string; start: number; end: number }>,
  alsoLookFor: string[],
): Array<{ addressTaken: boolean; calledInFile: boolean }> {
  const occurrences = occurrencesOf(ctx, [...fns.map((f) => f.name), ...alsoLookFor]);
  // How each occurrence is used: null (not code), 'call' (`name(` inside a body), 'head' (`name(` at file scope:
  // a prototype or definition), 'value'.
  const kinds = new Map<string, Array<{ at: number; kind: 'call' | 'head' | 'value' }>>();
  const kindsOf = (name: string) => {
    let list = kinds.get(name);
    if (list) return list;
    list = [];
    for (const at of occurrences.get(name) ?? []) {
      if (!isCode(ctx.scan, at)) continue;
      const next = nextCodeChar(ctx.scan, at + name.length);
      // A call `name(`, a prototype `name(`, or the end of a declaration list are not uses as a value.
      if (ctx.text[next] === '(') list.push({ at, kind: depthAt(ctx.scan, at) > 0 ? 'call' : 'head' });
      else list.push({ at, kind: 'value' });
    }
    kinds.set(name, list);
    return list;
  };
  return fns.map((f) => {
    let addressTaken = false;
    let calledInFile = false;
    for (const o of kindsOf(f.name)) {
      if (o.at >= f.start && o.at < f.end) continue;
      if (o.kind === 'value') addressTaken = true;
      else if (o.kind === 'call') calledInFile = true;
      if (addressTaken && calledInFile) break;
    }
    return { addressTaken, calledInFile };
  });
}


/**
 * Offsets of whole-word occurrences of `names` in `text` (what `\bname\b` finds). Few names: one search each;
 * many: one pass over every identifier of the text.
 */
export function identifierOffsets(text: string, names: ReadonlySet<string>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (names.size <= 8) {
    for (const name of names) {
      const found = wordOffsets(text, name);
      if (found.length) out.set(name, found);
    }
    return out;
  }
  // A hash of each identifier, computed while stepping over it, picks the few worth slicing out and looking up.
  const hashes = new Set<number>();
  for (const name of names) {
    let h = 0;
    for (let k = 0; k < name.length; k++) h = (Math.imul(h, 31) + name.charCodeAt(k)) | 0;
    hashes.add(h);
  }
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isIdentChar(c)) {
      i++;
      continue;
    }
    const s = i;
    let h = 0;
    while (i < n) {
      const d = text.charCodeAt(i);
      if (!isIdentChar(d)) break;
      h = (Math.imul(h, 31) + d) | 0;
      i++;
    }
    if ((c >= 48 && c <= 57) || !hashes.has(h)) continue;
    const word = text.slice(s, i);
    if (!names.has(word)) continue;
    const list = out.get(word);
    if (list) list.push(s);
    else out.set(word, [s]);
  }
  return out;
}

function trimEnd(text: string, from: number, to: number): number {
  let e = to;
  while (e > from && /\s/.test(text[e - 1])) e--;
  return e;
}

/** Offsets of `word` in code (not comments, literals or directives). */
function codeOccurrences(ctx: Ctx, word: string): number[] {
  const out: number[] = [];
  const found = ctx.textWords.lookup([word], ctx.previous?.textWords ?? null, ctx.window).get(word) ?? [];
  for (const at of found) if (isCode(ctx.scan, at)) out.push(at);
  return out;
}

/** The `&name` argument → name; null for anything else. */
function addressOf(arg: string | undefined): string | null {
  const m = arg ? /^&\s*([A-Za-z_]\w*)$/.exec(arg) : null;
  return m ? m[1] : null;
}

function readCallArgs(ctx: Ctx, at: number, word: string): { args: string[]; end: number } | undefined {
  const open = nextCodeChar(ctx.scan, at + word.length);
  if (ctx.text.charCodeAt(open) !== 40) return undefined;
  const close = matchParen(ctx.scan, open);
  if (close === -1) return undefined;
  return { args: splitArgs(ctx.scan, open, close).map((a) => a.text), end: close + 1 };
}

/** `register_btf_kfunc_id_set(BPF_PROG_TYPE_X, &kset)` and `register_btf_fmodret_id_set(&kset)` calls. */
function readRegistrations(ctx: Ctx): RegistrationFact[] {
  const out: RegistrationFact[] = [];
  for (const fn of ['register_btf_kfunc_id_set', 'register_btf_fmodret_id_set'] as const) {
    for (const at of codeOccurrences(ctx, fn)) {
      if (depthAt(ctx.scan, at) === 0) continue; // a prototype, not a call
      const call = readCallArgs(ctx, at, fn);
      if (!call) continue;
      const isKfunc = fn === 'register_btf_kfunc_id_set';
      out.push({
        fn,
        progType: isKfunc ? (call.args[0] ?? null) : null,
        idSet: addressOf(isKfunc ? call.args[1] : call.args[0]),
        span: ctx.spanOf(at, call.end),
        guard: ctx.guards.at(at),
      });
    }
  }
  return out.sort((a, b) => a.span.start - b.span.start);
}

function readDtorRegistrations(ctx: Ctx): DtorRegistrationFact[] {
  const out: DtorRegistrationFact[] = [];
  for (const at of codeOccurrences(ctx, 'register_btf_id_dtor_kfuncs')) {
    if (depthAt(ctx.scan, at) === 0) continue;
    const call = readCallArgs(ctx, at, 'register_btf_id_dtor_kfuncs');
    if (call && /^[A-Za-z_]\w*$/.test(call.args[0] ?? '')) out.push({ array: call.args[0], span: ctx.spanOf(at, call.end) });
  }
  return out;
}

/** The declaration node around a type name at `offset`. */
function declarationAt(tree: Tree, offset: number): Node | undefined {
  // Top-down, not `descendantForIndex(...).parent` upwards: each `parent` step searches down from the root, so
  // climbing a 40 000-deep tree (a pasted line of '(') took a minute. (TreeCursor.gotoFirstChildForIndex would do,
  // but web-tree-sitter 0.25 reports its result wrongly: it returns false after moving.)
  let node: Node | null = tree.rootNode;
  let found: Node | undefined;
  while (node) {
    if (node.type === 'declaration') found = node;
    const child: Node | null = node.firstChildForIndex(offset);
    if (!child || child.startIndex > offset) break;
    node = child;
  }
  return found;
}

function initializerPairs(list: Node): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const pair of list.namedChildren) {
    if (pair?.type !== 'initializer_pair') continue;
    const designator = pair.childForFieldName('designator') ?? pair.namedChildren[0];
    const value = pair.childForFieldName('value');
    const field = designator?.namedChildren[0]?.text ?? designator?.text.replace(/^\./, '');
    if (field && value) out.set(field, value);
  }
  return out;
}

function stripAddress(node: Node | undefined): string | null {
  if (!node) return null;
  if (node.type === 'pointer_expression') return node.childForFieldName('argument')?.text ?? null;
  return /^[A-Za-z_]\w*$/.test(node.text) ? node.text : null;
}

/** Variables of struct `typeName` declared with an initializer list: `struct T name = { ... };` (any scope). */
function* initializedVariables(ctx: Ctx, tree: Tree, typeName: string): Generator<{ decl: Node; name: string; value: Node }> {
  const seen = new Set<number>();
  for (const at of codeOccurrences(ctx, typeName)) {
    const decl = declarationAt(tree, at);
    if (!decl || seen.has(decl.startIndex)) continue;
    seen.add(decl.startIndex);
    for (const d of decl.childrenForFieldName('declarator')) {
      if (d?.type !== 'init_declarator') continue;
      const name = readDeclarator(d.childForFieldName('declarator')).name;
      const value = d.childForFieldName('value');
      if (name && value?.type === 'initializer_list') yield { decl, name, value };
    }
  }
}

/** `static const struct btf_kfunc_id_set x = { .owner = THIS_MODULE, .set = &s, .filter = f };` */
function readIdSets(ctx: Ctx, tree: Tree): IdSetFact[] {
  const out: IdSetFact[] = [];
  for (const { decl, name, value } of initializedVariables(ctx, tree, 'btf_kfunc_id_set')) {
    const fields = initializerPairs(value);
    out.push({
      name,
      span: ctx.spanOf(decl.startIndex, decl.endIndex),
      set: stripAddress(fields.get('set')),
      filter: fields.get('filter')?.text ?? null,
      guard: ctx.guards.at(decl.startIndex),
    });
  }
  return out;
}

/** `struct btf_id_dtor_kfunc dtors[] = { { .btf_id = L[0], .kfunc_btf_id = L[1] }, ... };` */
function readDtorArrays(ctx: Ctx, tree: Tree): DtorArrayFact[] {
  const out: DtorArrayFact[] = [];
  const indexOf = (node: Node | undefined): { list: string; index: number } | undefined => {
    if (node?.type !== 'subscript_expression') return undefined;
    const list = node.childForFieldName('argument')?.text;
    const index = Number(node.childForFieldName('index')?.text);
    return list && Number.isInteger(index) ? { list, index } : undefined;
  };
  for (const { decl, name, value } of initializedVariables(ctx, tree, 'btf_id_dtor_kfunc')) {
    const pairs: DtorPair[] = [];
    for (const item of value.namedChildren) {
      if (item?.type !== 'initializer_list') continue;
      const fields = initializerPairs(item);
      const type = indexOf(fields.get('btf_id'));
      const func = indexOf(fields.get('kfunc_btf_id'));
      if (type && func && type.list === func.list) {
        pairs.push({
          list: type.list,
          typeIndex: type.index,
          funcIndex: func.index,
          span: ctx.spanOf(item.startIndex, item.endIndex),
          guard: ctx.guards.at(item.startIndex),
        });
      }
    }
    out.push({ name, pairs, span: ctx.spanOf(decl.startIndex, decl.endIndex) });
  }
  return out;
}

/** Flag names of entries' flag words that the file itself #defines before the entry (a local flag macro). */
function recordLocalFlagDefines(facts: FileFacts, macros: ReturnType<typeof buildMacroTable>): void {
  for (const set of facts.sets) {
    for (const e of set.entries) {
      const local = e.flags.filter((f) => /^[A-Za-z_]\w*$/.test(f) && macros.at(f, e.span.start) !== undefined);
      if (local.length) e.localFlagDefines = local;
    }
  }
}

/**
 * At most this many uses are recorded per set: only "used or not" matters (set-unregistered), and a file with
 * thousands of same-named sets (a paste in the editor) would otherwise hold millions of spans (2 GB for 2000).
 */
const MAX_USES = 16;

/** Code uses of `name` (masked text: BTF macro calls and directives are blanks) plus #define bodies naming it. */
function usesOf(
  ctx: Ctx,
  name: string,
  skip: Array<{ start: number; end: number }>,
  occurrences: Map<string, number[]>,
  defines: Array<{ d: { start: number; end: number }; body: string }>,
): Span[] {
  if (!/^[A-Za-z_]\w*$/.test(name)) return [];
  const out: Span[] = [];
  for (const at of occurrences.get(name) ?? []) {
    if (out.length >= MAX_USES) return out;
    if (!isCode(ctx.scan, at) || skip.some((r) => at >= r.start && at < r.end)) continue;
    out.push(ctx.spanOf(at, at + name.length));
  }
  for (const { d, body } of defines) {
    if (out.length >= MAX_USES) return out;
    if (hasWord(body, name)) out.push(ctx.spanOf(d.start, d.end));
  }
  return out;
}

/** Uses of sets (outside START/END and id-set initialisers) and of id sets (outside their declarations). */
function recordSetUses(ctx: Ctx, facts: FileFacts): void {
  const names = new Set<string>();
  for (const set of facts.sets) if (set.macro !== 'BTF_ID_LIST') names.add(set.name);
  for (const idSet of facts.idSets) names.add(idSet.name);
  if (names.size === 0) return;
  const occurrences = occurrencesOf(ctx, names);
  const defines = ctx.scan.directives.filter((d) => d.keyword === 'define').map((d) => ({ d, body: d.body.replace(/^\w+/, '') }));
  const idSetDecls = facts.idSets.map((s) => ({ start: s.span.start, end: s.span.end }));
  // Same name, same uses: computed once per name (thousands of same-named sets made this cubic).
  const byName = new Map<string, Span[]>();
  for (const set of facts.sets) {
    if (set.macro === 'BTF_ID_LIST') continue;
    let uses = byName.get(set.name);
    if (!uses) byName.set(set.name, (uses = usesOf(ctx, set.name, idSetDecls, occurrences, defines)));
    set.uses = uses;
  }
  for (const idSet of facts.idSets) {
    idSet.uses = usesOf(ctx, idSet.name, [{ start: idSet.span.start, end: idSet.span.end }], occurrences, defines);
  }
}

/**
 * ERROR and MISSING nodes, visiting only subtrees that contain one (with a stack, not recursion: trees can be very
 * deep). Children are fetched a list at a time, and only those with an error are looked into (a MISSING node has
 * an error too).
 */
export function countErrors(root: Node): number {
  let count = 0;
  const stack: Node[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.type === 'ERROR' || node.isMissing) count++;
    if (!node.hasError) continue;
    for (const child of node.children) if (child?.hasError) stack.push(child);
  }
  return count;
}
