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
  SET_START_MACROS,
  STATEMENT_MACROS,
} from './kernelMacros';
import { type Arg, depthAt, directiveAt, inNonCode, matchParen, nextCodeChar, type SourceScan, splitArgs } from './scanner';

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
    let pos = 0;
    for (const [s0, e] of all) {
      const s = Math.max(s0, pos);
      if (e <= s) continue;
      parts.push(text.slice(pos, s));
      parts.push(text.slice(s, e).replace(/[^\n\r]/g, ' '));
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
  let state: 'none' | 'set' | 'idlist' = 'none';
  for (let k = 0; k < calls.length; k++) {
    const call = calls[k];
    withInvocations.push(call);
    if (SET_START_MACROS.has(call.name)) state = 'set';
    else if (LIST_END_MACROS.has(call.name)) state = 'none';
    else if (ID_LIST_START_MACROS.has(call.name)) state = 'idlist';
    else if (state === 'idlist' && call.name !== 'BTF_ID' && call.name !== 'BTF_ID_UNUSED') state = 'none';
    if (state === 'none') continue;
    const to = k + 1 < calls.length ? calls[k + 1].start : text.length;
    // Inside a set that an END closes, all code is entries; otherwise only whole-line invocations are, so an
    // unterminated set or an ID list (which has no END) does not swallow the declarations after it.
    const closed = state === 'set' && endFollows(calls, k);
    const invocations = readListInvocations(scan, call.end, to, !closed);
    for (const inv of invocations) {
      withInvocations.push(inv);
      mask.add(inv.start, inv.end);
    }
    const after = invocations.length ? invocations[invocations.length - 1].end : call.end;
    if (!closed && nextCodeChar(scan, after, to) < to) state = 'none';
  }
    return { text: mask.apply(scan), attributes, calls: withInvocations, statements };
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
