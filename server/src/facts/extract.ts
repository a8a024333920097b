/**
 * One file's text → its facts. The text is scanned once, kernel macros are neutralised (offsets kept), BTF set
 * macros go through their dedicated reader, and tree-sitter reads the C that is left: function definitions and
 * prototypes, `struct btf_kfunc_id_set` initialisers and destructor arrays. No tree outlives this call.
 */
import type { Node, Tree } from 'web-tree-sitter';
import { readBtfSets } from '../parse/btfSets';
import { buildGuardMap, type GuardMap } from '../parse/guards';
import { INLINE_MACROS } from '../parse/kernelMacros';
import { buildMacroTable } from '../parse/macros';
import { type MaskedToken, type Neutralized, neutralize } from '../parse/neutralize';
import { depthAt, isCode, lastAtOrBefore, matchParen, nextCodeChar, scanSource, type SourceScan, splitArgs } from '../parse/scanner';
import { parseC } from '../parse/treeSitter';
import { LineIndex } from '../text/lineIndex';
import { baseTypeOf, readDeclarator, readParam, toTypeInfo } from './declarators';
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
  parse?: (neutralizedText: string) => Tree | null;
}

/**
 * A parse time limit that real files never reach (net/core/filter.c, 340 KB, parses in about 0.1 s) but that stops
 * tree-sitter's error recovery on pathological input (a 270 KB line of `KF_A |`) from running for seconds.
 */
export function defaultParseTimeout(length: number): number {
  return 500 + Math.ceil(length / 1024) * 2;
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
}

export function extractFacts(path: string, text: string, options: ExtractOptions = {}): FileFacts {
  const facts = emptyFacts(path, null);
  const scan = scanSource(text);
  const lines = new LineIndex(text);
  const spanOf = (start: number, end: number): Span => {
    const s = lines.positionAt(start);
    const e = lines.positionAt(end);
    return { start, end, line: s.line, character: s.character, endLine: e.line, endCharacter: e.character };
  };
  const guards = buildGuardMap(scan.directives);
  const macros = buildMacroTable(scan.directives, text);
  const masked = neutralize(scan);
  const ctx: Ctx = { text, scan, masked, guards, spanOf, regions: readRegions(masked, spanOf) };

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
    ? options.parse(masked.text)
    : parseC(masked.text, { timeoutMs: options.parseTimeoutMs ?? defaultParseTimeout(text.length) });
  if (!tree) {
    facts.skipped = 'parse time limit reached; BTF sets and registrations only';
    return facts;
  }
  try {
    facts.functions = readFunctions(ctx, tree, wanted);
    facts.idSets = readIdSets(ctx, tree);
    facts.dtorArrays = readDtorArrays(ctx, tree);
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

/** Top-level nodes, looking inside ERROR nodes so one bad construct does not hide the functions after it. */
function* topLevel(root: Node): Generator<Node> {
  const cursor = root.walk();
  try {
    if (!cursor.gotoFirstChild()) return;
    for (;;) {
      const type = cursor.nodeType;
      if (type === 'function_definition' || type === 'declaration') yield cursor.currentNode;
      else if ((type === 'ERROR' || type === 'linkage_specification' || type === 'declaration_list') && cursor.gotoFirstChild()) continue;
      // Next sibling, or climb out of the ERROR nodes we descended into.
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent() || cursor.currentNode.equals(root)) return;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** The masked attribute macros between `from` and `to`. */
function attributesBetween(tokens: MaskedToken[], from: number, to: number): MaskedToken[] {
  const starts = tokens.map((t) => t.start);
  let i = lastAtOrBefore(starts, from - 1) + 1;
  const out: MaskedToken[] = [];
  for (; i < tokens.length && tokens[i].start < to; i++) out.push(tokens[i]);
  return out;
}

/** Cleans a kernel-doc comment: drops the markers and leading '*'s. */
function cleanDoc(raw: string): string {
  return raw
    .replace(/^\/\*\*+/, '')
    .replace(/\*+\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\*( ?)/, '').replace(/\s+$/, ''))
    .join('\n')
    .trim();
}

function docBefore(ctx: Ctx, start: number, previousEnd: number): string | null {
  const docs = ctx.scan.docComments;
  const starts: number[] = [];
  for (let i = 0; i < docs.length; i += 2) starts.push(docs[i]);
  const k = lastAtOrBefore(starts, start - 1);
  if (k === -1) return null;
  const s = docs[2 * k];
  const e = docs[2 * k + 1];
  if (s < previousEnd || e > start) return null;
  // Only blanks (and neutralised macros, now blanks) between the comment and the function.
  if (ctx.masked.text.slice(e, start).trim() !== '') return null;
  return cleanDoc(ctx.text.slice(s, e));
}

function readFunctions(ctx: Ctx, tree: Tree, wanted: (name: string, tagged: boolean) => boolean): FunctionFact[] {
  const out: FunctionFact[] = [];
  // Names tagged `__bpf_kfunc` anywhere in the file: their untagged prototypes earlier in the file are wanted too
  // (an earlier prototype silences -Wmissing-prototypes and its `static` applies to the definition).
  const tagged = taggedNames(ctx, tree);
  const want = tagged.size ? (name: string, t: boolean) => wanted(name, t) || tagged.has(name) : wanted;
  let previousEnd = 0;
  for (const node of topLevel(tree.rootNode)) {
    const fact = readFunction(ctx, node, previousEnd, want);
    if (fact) out.push(fact);
    previousEnd = node.endIndex;
  }
  return out;
}

/** Names of the top-level function declarators that carry `__bpf_kfunc` (a cheap pass: no types read). */
function taggedNames(ctx: Ctx, tree: Tree): Set<string> {
  const out = new Set<string>();
  if (!ctx.masked.attributes.some((a) => a.name === '__bpf_kfunc')) return out;
  let previousEnd = 0;
  for (const node of topLevel(tree.rootNode)) {
    const declNode = node.childForFieldName('declarator');
    const from = previousEnd;
    previousEnd = node.endIndex;
    if (!declNode || (node.type !== 'function_definition' && declNode.type === 'init_declarator')) continue;
    const declared = readDeclarator(declNode);
    if (!declared.name || !declared.nameNode || declared.derivations[0]?.kind !== 'fn') continue;
    if (attributesBetween(ctx.masked.attributes, from, declared.nameNode.startIndex).some((a) => a.name === '__bpf_kfunc')) {
      out.add(declared.name);
    }
  }
  return out;
}

function readFunction(
  ctx: Ctx,
  node: Node,
  previousEnd: number,
  wanted: (name: string, tagged: boolean) => boolean,
): FunctionFact | undefined {
  const isDefinition = node.type === 'function_definition';
  let declNode = node.childForFieldName('declarator');
  // `int f(void), g;` or `int x = 1;`: only single function declarators are prototypes.
  if (!isDefinition && declNode?.type === 'init_declarator') return undefined;
  if (!declNode) return undefined;
  const declared = readDeclarator(declNode);
  if (!declared.name || !declared.nameNode || declared.derivations[0]?.kind !== 'fn') return undefined;
  const nameStart = declared.nameNode.startIndex;
  const attrs = attributesBetween(ctx.masked.attributes, previousEnd, nameStart);
  const tag = attrs.find((a) => a.name === '__bpf_kfunc');
  if (!wanted(declared.name, tag !== undefined)) return undefined;

  let fnDecl: Node | null = declNode;
  while (fnDecl && fnDecl.type !== 'function_declarator') fnDecl = fnDecl.childForFieldName('declarator') ?? fnDecl.namedChildren[0] ?? null;
  const paramList = fnDecl?.childForFieldName('parameters') ?? null;
  const params: ParamFact[] = [];
  let variadic = false;
  for (const p of paramList?.namedChildren ?? []) {
    if (!p) continue;
    if (p.type === 'variadic_parameter') variadic = true;
    else if (p.type === 'parameter_declaration') {
      const read = readParam(p);
      // `f(void)`: no parameters.
      if (read.type.text === 'void' && read.name === null && (paramList?.namedChildren.length ?? 0) === 1) continue;
      params.push({ name: read.name, type: read.type, span: ctx.spanOf(p.startIndex, p.endIndex) });
    }
  }

  let storage: FunctionFact['storage'] = 'extern';
  let inline = attrs.some((a) => INLINE_MACROS.has(a.name));
  let staticSpan: Span | null = null;
  for (const child of node.children) {
    if (child?.type !== 'storage_class_specifier') continue;
    const word = child.text;
    if (word === 'static') {
      storage = 'static';
      staticSpan = ctx.spanOf(child.startIndex, child.endIndex);
    } else if (word === 'inline' || word === '__inline' || word === '__inline__') inline = true;
  }

  const base = baseTypeOf(node);
  const ret = toTypeInfo(base, declared.derivations.slice(1));
  const firstAttr = attrs.length && attrs[0].start < node.startIndex ? attrs[0].start : node.startIndex;
  const body = node.childForFieldName('body');
  const headEnd = body ? body.startIndex : node.endIndex;
  return {
    name: declared.name,
    kind: isDefinition ? 'definition' : 'declaration',
    nameSpan: ctx.spanOf(nameStart, declared.nameNode.endIndex),
    span: ctx.spanOf(firstAttr, node.endIndex),
    headSpan: ctx.spanOf(firstAttr, trimEnd(ctx.text, firstAttr, headEnd)),
    storage,
    inline,
    attributes: attrs.map((a) => a.name),
    bpfKfuncSpan: tag ? ctx.spanOf(tag.start, tag.end) : null,
    staticSpan,
    ret,
    params,
    variadic,
    guard: ctx.guards.at(nameStart),
    inDefsRegion: inRegion(ctx.regions, nameStart),
    doc: docBefore(ctx, firstAttr, previousEnd),
    ...usesInFile(ctx, declared.name, node),
  };
}

/**
 * How `name` is used in this file's code outside its own head and body: as a value (not a direct call, a
 * prototype or a blanked BTF macro), and as a direct call inside another function's body.
 */
function usesInFile(ctx: Ctx, name: string, own: Node): { addressTaken: boolean; calledInFile: boolean } {
  const re = new RegExp(`\\b${name}\\b`, 'g');
  const masked = ctx.masked.text;
  let addressTaken = false;
  let calledInFile = false;
  for (let m = re.exec(masked); m; m = re.exec(masked)) {
    const at = m.index;
    if (at >= own.startIndex && at < own.endIndex) continue;
    if (!isCode(ctx.scan, at)) continue;
    const next = nextCodeChar(ctx.scan, at + name.length);
    const c = ctx.text[next];
    // A call `name(`, a prototype `name(`, or the end of a declaration list are not uses as a value.
    if (c === '(') {
      if (depthAt(ctx.scan, at) > 0) calledInFile = true;
    } else addressTaken = true;
    if (addressTaken && calledInFile) break;
  }
  return { addressTaken, calledInFile };
}

function trimEnd(text: string, from: number, to: number): number {
  let e = to;
  while (e > from && /\s/.test(text[e - 1])) e--;
  return e;
}

/** Offsets of `word` in code (not comments, literals or directives). */
function codeOccurrences(ctx: Ctx, word: string): number[] {
  const out: number[] = [];
  const re = new RegExp(`\\b${word}\\b`, 'g');
  for (let m = re.exec(ctx.text); m; m = re.exec(ctx.text)) if (isCode(ctx.scan, m.index)) out.push(m.index);
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
  let node: Node | null = tree.rootNode.descendantForIndex(offset, offset + 1);
  while (node && node.type !== 'declaration') node = node.parent;
  return node ?? undefined;
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

/** Code uses of `name` (masked text: BTF macro calls and directives are blanks) plus #define bodies naming it. */
function usesOf(ctx: Ctx, name: string, skip: Array<{ start: number; end: number }>): Span[] {
  if (!/^[A-Za-z_]\w*$/.test(name)) return [];
  const out: Span[] = [];
  const re = new RegExp(`\\b${name}\\b`, 'g');
  const masked = ctx.masked.text;
  for (let m = re.exec(masked); m; m = re.exec(masked)) {
    const at = m.index;
    if (!isCode(ctx.scan, at) || skip.some((r) => at >= r.start && at < r.end)) continue;
    out.push(ctx.spanOf(at, at + name.length));
  }
  for (const d of ctx.scan.directives) {
    if (d.keyword === 'define' && re.test(d.body.replace(/^\w+/, ''))) out.push(ctx.spanOf(d.start, d.end));
    re.lastIndex = 0;
  }
  return out;
}

/** Uses of sets (outside START/END and id-set initialisers) and of id sets (outside their declarations). */
function recordSetUses(ctx: Ctx, facts: FileFacts): void {
  const idSetDecls = facts.idSets.map((s) => ({ start: s.span.start, end: s.span.end }));
  for (const set of facts.sets) {
    if (set.macro === 'BTF_ID_LIST') continue;
    set.uses = usesOf(ctx, set.name, idSetDecls);
  }
  for (const idSet of facts.idSets) idSet.uses = usesOf(ctx, idSet.name, [{ start: idSet.span.start, end: idSet.span.end }]);
}

/** ERROR and MISSING nodes, visiting only subtrees that contain one (iteratively: trees can be very deep). */
export function countErrors(root: Node): number {
  let count = 0;
  const cursor = root.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.type === 'ERROR' || node.isMissing) count++;
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return count;
      }
    }
  } finally {
    cursor.delete();
  }
}
