/**
 * Prepares kernel C for tree-sitter: blanks what the preprocessor would have rewritten (directives, attribute
 * macros, file-scope BTF_* and other statement macros) with spaces of the same length, keeping newlines, so every
 * offset, line and column in the parse is the one in the real file. What was blanked is returned, for the readers
 * that need it (attributes per function, BTF set macros, region markers).
 */
import {
  ANNOTATION_CALL_MACROS,
  ATTRIBUTE_MACROS,
  FUNCTION_HEAD_MACROS,
  ID_LIST_START_MACROS,
  LIST_END_MACROS,
  LIST_START_MACROS,
  PER_CPU_VARIABLE_MACROS,
  SET_START_MACROS,
  STATEMENT_MACROS,
  TYPE_TAKING_CALLEES,
} from './kernelMacros';
import { wordOffsets } from '../text/words';
import { type Arg, depthAt, directiveAt, inNonCode, isCode, matchParen, nextCodeChar, nonCodeAt, prevCodeChar, type SourceScan, splitArgs } from './scanner';

export interface MaskedToken {
  name: string;
  start: number;
  end: number;
}

/** A file-scope macro invocation read out of the code: a BTF_* macro, or a macro used inside a BTF list. */
export interface MacroCall {
  name: string;
  start: number;
  nameEnd: number;
  /** End of the invocation, including a trailing ';'. */
  end: number;
  /** Arguments, or null when the macro was written without parentheses or they never close. */
  args: Arg[] | null;
  /** Offset of the closing ')', or -1. */
  close: number;
  /** `btf`: a BTF_* macro; `invocation`: another macro inside a set or after BTF_ID_LIST (an X-macro). */
  kind: 'btf' | 'invocation';
}

export interface Neutralized {
  /** The text tree-sitter parses. */
  text: string;
  /** Attribute macros blanked, in order. */
  attributes: MaskedToken[];
  /** BTF macro calls and list invocations, in order. */
  calls: MacroCall[];
  /** Statement macros blanked (`__bpf_kfunc_start_defs`, `__diag_push`, ...), with their argument text. */
  statements: Array<MaskedToken & { argText: string }>;
  /** BTF lists, from their START call to the end of their last member (for incremental re-neutralisation). */
  lists: Array<{ start: number; end: number }>;
  /**
   * A list is still open at the end of the text, or whether a set is closed depends on calls after it: the result
   * for a piece of a file may differ from the whole file's there (see facts/incremental.ts).
   */
  openAtEnd: boolean;
}

let interestingPattern: RegExp | undefined;
function interesting(): RegExp {
  if (!interestingPattern) {
    const names = [...ATTRIBUTE_MACROS, ...ANNOTATION_CALL_MACROS, ...STATEMENT_MACROS].sort((a, b) => b.length - a.length);
    interestingPattern = new RegExp(
      `\\b(?:BTF_[A-Z0-9_]+|(?:NOTRACE_)?BPF_CALL_[0-5]|(?:COMPAT_)?SYSCALL_DEFINE[0-6]|${names.join('|')})\\b`,
      'g',
    );
  }
  return interestingPattern;
}

const BLANKS = ' '.repeat(256);
function blanks(n: number): string {
  return n <= BLANKS.length ? BLANKS.slice(0, n) : ' '.repeat(n);
}

class Mask {
  private readonly ranges: Array<[number, number]> = [];
  add(start: number, end: number): void {
    if (end > start) this.ranges.push([start, end]);
  }
  /** Applies the ranges plus all directives: non-newline characters become spaces. */
  apply(scan: SourceScan): string {
    const all = this.ranges.concat(scan.directives.map((d) => [d.start, d.end] as [number, number]));
    if (all.length === 0) return scan.text;
    all.sort((a, b) => a[0] - b[0]);
    const text = scan.text;
    const parts: string[] = [];
    const noCR = text.indexOf('\r') === -1;
    let pos = 0;
    for (const [s0, e] of all) {
      const s = Math.max(s0, pos);
      if (e <= s) continue;
      parts.push(text.slice(pos, s));
      const nl = text.indexOf('\n', s);
      parts.push((nl === -1 || nl >= e) && noCR ? blanks(e - s) : text.slice(s, e).replace(/[^\n\r]/g, ' '));
      pos = e;
    }
    parts.push(text.slice(pos));
    return parts.join('');
  }
}

/** Reads `NAME(args)` at `start` (NAME ends at `nameEnd`) plus a trailing ';' when `eatSemicolon`. */
function readCall(scan: SourceScan, name: string, start: number, nameEnd: number, kind: MacroCall['kind'], eatSemicolon: boolean): MacroCall {
  let end = nameEnd;
  let args: Arg[] | null = null;
  let close = -1;
  const next = nextCodeChar(scan, nameEnd);
  if (scan.text.charCodeAt(next) === 40) {
    close = matchParen(scan, next);
    if (close !== -1) {
      args = splitArgs(scan, next, close);
      end = close + 1;
    }
  }
  if (eatSemicolon) {
    const semi = nextCodeChar(scan, end);
    if (scan.text.charCodeAt(semi) === 59) end = semi + 1;
  }
  return { name, start, nameEnd, end, args, close, kind };
}

const IDENT_AT = /[A-Za-z_]\w*/y;

/**
 * Macro invocations that sit between the entries of a BTF list (the X-macro idiom: `XDP_METADATA_KFUNC_xxx`
 * between `BTF_KFUNCS_START` and `..._END`). Inside a set everything that is code is such an invocation; after a
 * `BTF_ID_LIST` (which has no END) only whole-line invocations are, and the list ends at anything else.
 */
function readListInvocations(scan: SourceScan, from: number, to: number, wholeLinesOnly: boolean): MacroCall[] {
  const out: MacroCall[] = [];
  const text = scan.text;
  let i = nextCodeChar(scan, from, to);
  while (i < to) {
    IDENT_AT.lastIndex = i;
    const m = IDENT_AT.exec(text);
    if (!m) {
      if (wholeLinesOnly) break;
      i = nextCodeChar(scan, i + 1, to);
      continue;
    }
    if (wholeLinesOnly) {
      const lineStart = text.lastIndexOf('\n', i - 1) + 1;
      if (text.slice(lineStart, i).trim() !== '') break;
    }
    const call = readCall(scan, m[0], i, i + m[0].length, 'invocation', true);
    if (wholeLinesOnly) {
      const lineEnd = text.indexOf('\n', call.end);
      const rest = text.slice(call.end, lineEnd === -1 ? text.length : lineEnd);
      if (rest.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim() !== '' || /^BTF_/.test(call.name)) break;
    }
    out.push(call);
    i = nextCodeChar(scan, call.end, to);
  }
  return out;
}

export function neutralize(scan: SourceScan): Neutralized {
  const text = scan.text;
  const mask = new Mask();
  const attributes: MaskedToken[] = [];
  const calls: MacroCall[] = [];
  const statements: Neutralized['statements'] = [];
  const re = interesting();
  re.lastIndex = 0;
  let skipUntil = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const name = m[0];
    const start = m.index;
    const nameEnd = start + name.length;
    if (start < skipUntil || inNonCode(scan, start) || directiveAt(scan, start)) continue;
    if (name.startsWith('BTF_')) {
      if (depthAt(scan, start) !== 0) continue;
      const call = readCall(scan, name, start, nameEnd, 'btf', true);
      calls.push(call);
      mask.add(start, call.end);
      skipUntil = call.end;
    } else if (FUNCTION_HEAD_MACROS.test(name)) {
      if (depthAt(scan, start) !== 0) continue;
      const call = readCall(scan, name, start, nameEnd, 'invocation', false);
      mask.add(start, call.end);
      skipUntil = call.end;
    } else if (STATEMENT_MACROS.has(name) && depthAt(scan, start) === 0) {
      const call = readCall(scan, name, start, nameEnd, 'invocation', true);
      const argText = call.args ? call.args.map((a) => a.text).join(', ') : '';
      statements.push({ name, start, end: call.end, argText });
      mask.add(start, call.end);
      skipUntil = call.end;
    } else if (ANNOTATION_CALL_MACROS.has(name)) {
      const call = readCall(scan, name, start, nameEnd, 'invocation', false);
      mask.add(start, call.end);
      skipUntil = call.end;
    } else if (ATTRIBUTE_MACROS.has(name)) {
      attributes.push({ name, start, end: nameEnd });
      mask.add(start, nameEnd);
    }
  }

  // Macro invocations between the entries of BTF lists (X-macros).
  const withInvocations: MacroCall[] = [];
  const lists: Neutralized['lists'] = [];
  let openAtEnd = false;
  let list: { start: number; end: number } | null = null;
  let state: 'none' | 'set' | 'idlist' = 'none';
  for (let k = 0; k < calls.length; k++) {
    const call = calls[k];
    withInvocations.push(call);
    const before = state;
    if (SET_START_MACROS.has(call.name)) state = 'set';
    else if (LIST_END_MACROS.has(call.name)) state = 'none';
    else if (ID_LIST_START_MACROS.has(call.name)) state = 'idlist';
    else if (state === 'idlist' && call.name !== 'BTF_ID' && call.name !== 'BTF_ID_UNUSED') state = 'none';
    if (before !== 'none' && list) {
      // This call belongs to the open list (an END, a member) or ends it (anything else starts after it).
      if (state !== 'none' || LIST_END_MACROS.has(call.name)) list.end = Math.max(list.end, call.end);
      if (state === 'none' || SET_START_MACROS.has(call.name) || ID_LIST_START_MACROS.has(call.name)) list = null;
    }
    if (state === 'none') continue;
    if (!list) {
      list = { start: call.start, end: call.end };
      lists.push(list);
    }
    const to = k + 1 < calls.length ? calls[k + 1].start : text.length;
    // Inside a set that an END closes, all code is entries; otherwise only whole-line invocations are, so an
    // unterminated set or an ID list (which has no END) does not swallow the declarations after it.
    const closed = state === 'set' && endFollows(calls, k);
    if (state === 'set' && !closed && !startFollows(calls, k)) openAtEnd = true;
    const invocations = readListInvocations(scan, call.end, to, !closed);
    for (const inv of invocations) {
      withInvocations.push(inv);
      mask.add(inv.start, inv.end);
    }
    const after = invocations.length ? invocations[invocations.length - 1].end : call.end;
    list.end = Math.max(list.end, after);
    if (!closed && nextCodeChar(scan, after, to) < to) {
      state = 'none';
      list = null;
    } else if (k + 1 === calls.length) openAtEnd = true;
  }
  blankTypeArguments(scan, mask, withInvocations);
  return { text: mask.apply(scan), attributes, calls: withInvocations, statements, lists, openAtEnd };
}

const IDENT_BEFORE = /[A-Za-z_]\w*$/;

/** A type right after '(' or ',' (blanks between): what typeArgument looks at. */
const TYPE_AFTER_PAREN =
  /[(,][ \t\r\n]*((?:struct|union|enum)[ \t\r\n]+[A-Za-z_]\w*|(?:const[ \t]+)?(?:unsigned[ \t]+|signed[ \t]+)?(?:void|char|short|int|long|float|double|bool|_Bool)\b(?:[ \t]+(?:int|long))*)/g;

const isBlank = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;

/** The next code character at or after `from`: a quick step over blanks, the scanner's walk past anything else. */
function nextCode(scan: SourceScan, from: number): number {
  const text = scan.text;
  let j = from;
  while (j < text.length && isBlank(text.charCodeAt(j))) j++;
  const c = text.charCodeAt(j);
  return c === 47 || c === 92 || c === 35 ? nextCodeChar(scan, from) : j;
}

/** The last code character before `from` (-1 at the start): quick over blanks, prevCodeChar past anything else. */
function prevCode(scan: SourceScan, from: number): number {
  const text = scan.text;
  let k = from - 1;
  while (k >= 0 && isBlank(text.charCodeAt(k))) k--;
  if (k < 0) return -1;
  // In a comment or directive (or a line splice): the careful walk.
  return text.charCodeAt(k) !== 92 && isCode(scan, k) ? k : prevCodeChar(scan, from);
}

/**
 * Macro arguments that are types, and other constructs GCC accepts that tree-sitter-c reads as errors. Errors do not
 * change the facts when they lie inside function bodies, but an ERROR node is never reused by an incremental parse,
 * so a file with hundreds of them (net/core/filter.c) reparses slowly after every keystroke. Only blanks, offsets
 * kept:
 *  - `sizeof_field(struct sk_buff, mark)`, `container_of(p, struct bpf_array, map)`: inside braces, a `struct X`
 *    (`union`, `enum`; with trailing `*`s) that is a whole argument of a call other than sizeof/typeof/offsetof
 *    loses its keyword (and stars) and reads as an identifier; a builtin type that is the first argument of such a
 *    call (`BPF_SIZEOF(void *)`, `min_t(int, a, b)`) is blanked but for its first letter;
 *  - `offsetof(struct bpf_tunnel_key, local_ipv6[0])`: the member's subscript or sub-field is blanked (tree-sitter
 *    takes only a field name there);
 *  - `case A ... B:` (a GNU case range): `... B` is blanked;
 *  - `static DEFINE_PER_CPU(struct x, name) = ...;`: see PER_CPU_VARIABLE_MACROS.
 */
function blankTypeArguments(scan: SourceScan, mask: Mask, calls: MacroCall[]): void {
  const text = scan.text;
  TYPE_AFTER_PAREN.lastIndex = 0;
  for (let m = TYPE_AFTER_PAREN.exec(text); m; m = TYPE_AFTER_PAREN.exec(text)) {
    const word = m[1];
    typeArgument(scan, mask, m.index + m[0].length - word.length, word);
    // The type may itself be followed by ',' (the next argument): look again from its end.
    TYPE_AFTER_PAREN.lastIndex = m.index + m[0].length;
  }
  for (const at of wordOffsets(text, 'offsetof')) offsetofMember(scan, mask, at);
  let cases: number[] | undefined;
  for (let at = text.indexOf('...'); at !== -1; at = text.indexOf('...', at + 3)) caseRange(scan, mask, at, (cases ??= wordOffsets(text, 'case')));
  for (let at = text.indexOf('_PER_CPU'); at !== -1; at = text.indexOf('_PER_CPU', at + 8)) {
    const m = /(?:DEFINE|DECLARE)$/.exec(text.slice(Math.max(0, at - 7), at));
    if (!m || (at - 7 > 0 && /\w/.test(text.charAt(at - m[0].length - 1)))) continue;
    const start = at - m[0].length;
    let end = at + 8;
    while (end < text.length && /\w/.test(text.charAt(end))) end++;
    perCpuVariable(scan, mask, start, text.slice(start, end));
  }
  fileScopeMacroLines(scan, mask, calls);
}

const MACRO_LINE = /^[ \t]*([A-Z][A-Z0-9_]{3,})[ \t]*\(/gm;
const XMACRO_LINE = /^[ \t]*([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_xxx)[ \t]*$/gm;

/**
 * File-scope macro invocations written without a ';' that tree-sitter would join to the declaration after them:
 * `DEFINE_BPF_DISPATCHER(xdp)` on its own line before `void bpf_prog_change_xdp(...)`, or an X-macro list line
 * (`BTF_SOCK_TYPE_xxx` after `BTF_ID_LIST_GLOBAL(...)`, read by the BTF reader as a list, not an entry). Upper-case
 * names at the start of a statement only, and only when the next code is on a later line and starts something else
 * (not `{`, `;`, `,`, `=`, `(`, `[`, `:`). Blanked for tree-sitter only: the macro calls and lists are unchanged.
 */
function fileScopeMacroLines(scan: SourceScan, mask: Mask, calls: MacroCall[]): void {
  const text = scan.text;
  const callEnds = new Set(calls.map((c) => c.end));
  // After a `;`, a `}`, a blanked BTF macro call, or at the start.
  const atStatementStart = (at: number) => {
    const prev = prevCode(scan, at);
    const c = prev === -1 ? 59 : text.charCodeAt(prev);
    return c === 59 || c === 125 || callEnds.has(prev + 1);
  };
  const startsSomethingElse = (end: number) => {
    const next = nextCode(scan, end);
    if (next >= text.length) return false;
    const nl = text.indexOf('\n', end);
    if (nl === -1 || nl > next) return false; // more code on the same line
    return !'{;,=([:'.includes(text.charAt(next));
  };
  let called: Set<string> | undefined;
  MACRO_LINE.lastIndex = 0;
  for (let m = MACRO_LINE.exec(text); m; m = MACRO_LINE.exec(text)) {
    const start = m.index + m[0].indexOf(m[1]);
    if (depthAt(scan, start) !== 0 || !isCode(scan, start) || !atStatementStart(start)) continue;
    const open = m.index + m[0].length - 1;
    const close = matchParen(scan, open);
    if (close === -1 || !startsSomethingElse(close + 1)) continue;
    // Blanking would hide its arguments from the uses of functions in the file (INTERVAL_TREE_DEFINE(..., fn, ...)
    // takes fn's address): not when an argument names something the file calls or defines.
    const args = text.slice(open + 1, close).match(/[A-Za-z_]\w*/g) ?? [];
    called ??= calledNames(text);
    if (args.some((a) => called!.has(a))) continue;
    mask.add(start, close + 1);
  }
  XMACRO_LINE.lastIndex = 0;
  for (let m = XMACRO_LINE.exec(text); m; m = XMACRO_LINE.exec(text)) {
    const start = m.index + m[0].indexOf(m[1]);
    const end = start + m[1].length;
    if (depthAt(scan, start) !== 0 || !isCode(scan, start) || !atStatementStart(start) || !startsSomethingElse(end)) continue;
    mask.add(start, end);
  }
}

function typeArgument(scan: SourceScan, mask: Mask, start: number, word: string): void {
  const text = scan.text;
  const tagged = word.startsWith('struct') || word.startsWith('union') || word.startsWith('enum');
  let end = start + word.length;
  let next = nextCode(scan, end);
  while (text.charCodeAt(next) === 42) {
    end = next + 1;
    next = nextCode(scan, end);
  }
  const after = text.charCodeAt(next);
  if (after !== 44 && after !== 41) return; // not followed by ',' or ')'
  const prev = prevCode(scan, start);
  const p = text.charCodeAt(prev);
  if (p !== 40 && (p !== 44 || !tagged)) return; // after '(' (or ',' for struct/union/enum)
  if (depthAt(scan, start) === 0 || !isCode(scan, start)) return;
  if (p === 40) {
    // `NAME(struct X, ...)`: a call of a macro; not a cast or a parenthesised type.
    const before = prevCode(scan, prev);
    if (before === -1) return;
    const ident = IDENT_BEFORE.exec(text.slice(Math.max(0, before - 63), before + 1));
    if (!ident || TYPE_TAKING_CALLEES.has(ident[0]) || /^\d/.test(ident[0])) return;
  }
  if (!tagged) {
    // `BPF_SIZEOF(void *)`, `min_t(int, a, b)`: the builtin type and its stars, all but the first letter (left as an
    // identifier, so the argument is not empty).
    mask.add(start + 1, end);
    return;
  }
  // The keyword, and the stars after the name.
  const kw = word.startsWith('struct') ? 6 : word.startsWith('union') ? 5 : 4;
  mask.add(start, start + kw);
  for (let i = start + word.length; i < end; i++) if (text.charCodeAt(i) === 42) mask.add(i, i + 1);
}

function offsetofMember(scan: SourceScan, mask: Mask, at: number): void {
  const text = scan.text;
  const open = nextCode(scan, at + 8);
  if (text.charCodeAt(open) !== 40 || !isCode(scan, at)) return;
  const close = matchParen(scan, open);
  if (close === -1) return;
  // Quick: the member after the last comma is a plain name.
  const comma = text.lastIndexOf(',', close);
  if (comma > open && /^\s*[A-Za-z_]\w*\s*$/.test(text.slice(comma + 1, close))) return;
  const args = splitArgs(scan, open, close);
  const member = args[1];
  if (args.length !== 2 || !member) return;
  const head = /^[A-Za-z_]\w*/.exec(text.slice(member.start, member.end));
  if (head && member.start + head[0].length < member.end) mask.add(member.start + head[0].length, member.end);
}

/** `case A ... B:`: blanks `... B` when the `...` at `dots` belongs to the label of the `case` before it. */
function caseRange(scan: SourceScan, mask: Mask, dots: number, cases: number[]): void {
  const text = scan.text;
  if (depthAt(scan, dots) === 0 || !isCode(scan, dots)) return;
  // The nearest `case` before the dots.
  let lo = 0;
  let hi = cases.length - 1;
  let k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cases[mid] < dots) {
      k = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (k === -1) return;
  const at = cases[k];
  if (!isCode(scan, at)) return;
  // The ':' that ends the label, at paren depth 0 (a '?' takes the next ':').
  let depth = 0;
  let ternary = 0;
  let found = -1;
  let i = nextCodeChar(scan, at + 4);
  for (; i < text.length; i = nextCodeChar(scan, i + 1)) {
    const c = text.charCodeAt(i);
    if (c === 34 || c === 39) {
      // A literal: nextCodeChar from its end.
      i = skipLiteralAt(scan, i) - 1;
      continue;
    }
    if (c === 40 || c === 91) depth++;
    else if (c === 41 || c === 93) depth--;
    else if (c === 63) ternary++;
    else if (c === 59 || c === 123 || c === 125 || depth < 0) break;
    else if (c === 58 && depth === 0) {
      if (ternary === 0) break;
      ternary--;
    } else if (c === 46 && depth === 0 && found === -1 && text.startsWith('...', i)) {
      found = i;
      i += 2;
    }
  }
  if (found === dots && text.charCodeAt(i) === 58) mask.add(dots, i);
}

function perCpuVariable(scan: SourceScan, mask: Mask, start: number, name: string): void {
  const text = scan.text;
  if (!PER_CPU_VARIABLE_MACROS.test(name) || !isCode(scan, start) || depthAt(scan, start) !== 0) return;
  const open = nextCode(scan, start + name.length);
  if (text.charCodeAt(open) !== 40) return;
  const close = matchParen(scan, open);
  if (close === -1) return;
  const args = splitArgs(scan, open, close);
  if (args.length < 2 || !/^[A-Za-z_]\w*$/.test(args[args.length - 1].text)) return;
  const type = args[args.length - 2];
  // The comma between the type and the name: the last one before the name.
  const comma = text.lastIndexOf(',', args[args.length - 1].start);
  if (comma < type.end) return;
  mask.add(start, open + 1);
  mask.add(comma, comma + 1);
  mask.add(close, close + 1);
  const bracket = text.indexOf('[', type.start);
  if (bracket !== -1 && bracket < type.end) mask.add(bracket, type.end);
}

/**
 * Every name the text calls, defines or declares (`name(`, blanks allowed before the parenthesis), in one pass; a
 * search per argument of each macro line rescanned the whole file per argument (a 20 000-argument line took 40 s).
 */
function calledNames(text: string): Set<string> {
  const out = new Set<string>();
  // The lookarounds pin each match to a whole identifier, so a long one is not re-tried from every character.
  const re = /(?<![A-Za-z0-9_])([A-Za-z_]\w*)(?![\w])[ \t]*\(/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.add(m[1]);
  return out;
}

/** End of the string or char literal starting at `i` (from the scan's non-code ranges). */
function skipLiteralAt(scan: SourceScan, i: number): number {
  return nonCodeAt(scan, i)?.[1] ?? i + 1;
}

/** True when another list starts after call `k`. */
function startFollows(calls: MacroCall[], k: number): boolean {
  for (let i = k + 1; i < calls.length; i++) if (LIST_START_MACROS.has(calls[i].name)) return true;
  return false;
}

/** True when an END follows call `k` before another list starts. */
function endFollows(calls: MacroCall[], k: number): boolean {
  for (let i = k + 1; i < calls.length; i++) {
    const n = calls[i].name;
    if (LIST_END_MACROS.has(n)) return true;
    if (LIST_START_MACROS.has(n)) return false;
  }
  return false;
}
