/**
 * The dedicated reader for BTF set macros: turns the file-scope macro calls found by the neutraliser into sets
 * with entries (`BTF_KFUNCS_START(s) BTF_ID_FLAGS(func, f, KF_A | KF_B) ... BTF_KFUNCS_END(s)`), ID lists, and
 * X-macro invocations expanded with the file's own #defines (or left pending for the index to resolve through
 * the headers the file includes).
 */
import type { PendingMacro, SetEntry, SetFact, SetMacro, Span } from '../facts/types';
import type { GuardMap } from './guards';
import { ID_LIST_START_MACROS, LIST_END_MACROS, SET_START_MACROS } from './kernelMacros';
import { expandMacros, type MacroLookup, type MacroTable } from './macros';
import type { MacroCall } from './neutralize';

export type SpanOf = (start: number, end: number) => Span;

/** Flag names in the first flag argument: `KF_A | KF_B` → ['KF_A', 'KF_B']; `(KF_A|KF_B)` too; '0' → []. */
export function parseFlagWord(arg: string | undefined): string[] {
  if (!arg) return [];
  return arg
    .replace(/[()]/g, ' ')
    .split('|')
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && s !== '0');
}

/** Reads BTF_ID_FLAGS / BTF_ID calls out of macro-expanded text (not located in the file). */
function entriesFromExpansion(expanded: string): Array<{ macro: string; args: string[] }> {
  const out: Array<{ macro: string; args: string[] }> = [];
  const re = /\b(BTF_ID_FLAGS|BTF_ID|BTF_ID_UNUSED)\b/g;
  for (let m = re.exec(expanded); m; m = re.exec(expanded)) {
    const open = expanded.indexOf('(', m.index + m[0].length);
    if (m[0] === 'BTF_ID_UNUSED') {
      out.push({ macro: m[0], args: [] });
      continue;
    }
    if (open === -1 || expanded.slice(m.index + m[0].length, open).trim() !== '') continue;
    let depth = 0;
    let close = -1;
    for (let i = open; i < expanded.length; i++) {
      if (expanded[i] === '(') depth++;
      else if (expanded[i] === ')' && --depth === 0) {
        close = i;
        break;
      }
    }
    if (close === -1) continue;
    const args: string[] = [];
    let start = open + 1;
    depth = 0;
    for (let i = open + 1; i < close; i++) {
      const c = expanded[i];
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (c === ',' && depth === 0) {
        args.push(expanded.slice(start, i).trim());
        start = i + 1;
      }
    }
    args.push(expanded.slice(start, close).trim());
    out.push({ macro: m[0], args });
    re.lastIndex = close;
  }
  return out;
}

export interface BtfReadResult {
  sets: SetFact[];
  pending: PendingMacro[];
}

/** Names whose definitions may produce entries: kept with a pending invocation for the index to expand. */
const PRODUCES_ENTRIES = /\bBTF_ID(?:_FLAGS)?\b/;

/** Expands an invocation found in a list with definitions from a lookup; the entries it yields. */
export function expandInvocation(text: string, lookup: MacroLookup): Array<{ macro: string; args: string[] }> {
  // BTF_* and KF_* are the reader's vocabulary: expanding them (btf_ids.h and btf.h define them) would turn the
  // entries into assembler text and the flag names into numbers.
  const keepBtf: MacroLookup = (name) => (name.startsWith('BTF_') || name.startsWith('KF_') ? undefined : lookup(name));
  return entriesFromExpansion(expandMacros(text, keepBtf));
}

/** Builds an entry from the args of BTF_ID_FLAGS / BTF_ID (prefix, name, flags...). */
export function makeEntry(
  args: string[],
  nameSpan: Span,
  span: Span,
  guard: string | null,
  viaMacro: string | null,
  where: { flagArgSpans: Span[]; closeParen: Span | null } = { flagArgSpans: [], closeParen: null },
): SetEntry | undefined {
  if (args.length < 2 || !/^[A-Za-z_]\w*$/.test(args[1])) return undefined;
  const flagArgs = args.slice(2);
  return {
    prefix: args[0],
    name: args[1],
    nameSpan,
    span,
    flagArgs,
    flagArgSpans: where.flagArgSpans,
    closeParen: where.closeParen,
    flags: parseFlagWord(flagArgs[0]),
    guard,
    viaMacro,
  };
}

/** A BTF_ID_UNUSED placeholder (it keeps the indices of an ID list). */
function unusedEntry(span: Span, guard: string | null, viaMacro: string | null): SetEntry {
  return { prefix: 'unused', name: '', nameSpan: span, span, flagArgs: [], flagArgSpans: [], closeParen: null, flags: [], guard, viaMacro };
}

export function readBtfSets(
  calls: MacroCall[],
  text: string,
  spanOf: SpanOf,
  guards: GuardMap,
  macros: MacroTable,
): BtfReadResult {
  const sets: SetFact[] = [];
  const pending: PendingMacro[] = [];
  let current: SetFact | undefined;

  const close = (set: SetFact | undefined) => {
    if (set && !set.endSpan) {
      const last = set.entries.length ? set.entries[set.entries.length - 1].span : set.startSpan;
      set.span = spanOf(set.startSpan.start, last.end);
    }
  };

  for (const call of calls) {
    const argTexts = call.args?.map((a) => a.text) ?? [];
    const callSpan = spanOf(call.start, call.end);
    const guard = guards.at(call.start);
    if (call.kind === 'btf' && (SET_START_MACROS.has(call.name) || ID_LIST_START_MACROS.has(call.name))) {
      close(current);
      const macro: SetMacro = ID_LIST_START_MACROS.has(call.name) ? 'BTF_ID_LIST' : (call.name as SetMacro);
      current = {
        name: argTexts[0] ?? '',
        macro,
        span: callSpan,
        startSpan: callSpan,
        endSpan: null,
        endName: null,
        guard,
        entries: [],
      };
      sets.push(current);
      continue;
    }
    if (call.kind === 'btf' && LIST_END_MACROS.has(call.name)) {
      if (current && current.macro !== 'BTF_ID_LIST') {
        current.endSpan = callSpan;
        current.endName = argTexts[0] ?? '';
        current.span = spanOf(current.startSpan.start, call.end);
      }
      current = undefined;
      continue;
    }
    if (call.kind === 'btf' && (call.name === 'BTF_ID_LIST_SINGLE' || call.name === 'BTF_ID_LIST_GLOBAL_SINGLE')) {
      // BTF_ID_LIST_SINGLE(name, prefix, sym): a one-entry list.
      close(current);
      current = undefined;
      if (argTexts.length >= 3) {
        const nameArg = call.args![2];
        const entry = makeEntry(argTexts.slice(1), spanOf(nameArg.start, nameArg.end), callSpan, guard, null);
        sets.push({ name: argTexts[0], macro: 'BTF_ID_LIST', span: callSpan, startSpan: callSpan, endSpan: null, endName: null, guard, entries: entry ? [entry] : [] });
      }
      continue;
    }
    if (!current) continue;
    if (call.kind === 'btf' && (call.name === 'BTF_ID_FLAGS' || call.name === 'BTF_ID')) {
      const nameArg = call.args?.[1];
      const nameSpan = nameArg ? spanOf(nameArg.start, nameArg.end) : spanOf(call.start, call.nameEnd);
      const entry = makeEntry(argTexts, nameSpan, callSpan, guard, null, {
        flagArgSpans: (call.args ?? []).slice(2).map((a) => spanOf(a.start, a.end)),
        closeParen: call.close === -1 ? null : spanOf(call.close, call.close + 1),
      });
      if (entry) current.entries.push(entry);
      continue;
    }
    if (call.kind === 'btf' && call.name === 'BTF_ID_UNUSED') {
      current.entries.push(unusedEntry(callSpan, guard, null));
      continue;
    }
    if (call.kind === 'invocation') {
      const invocationText = text.slice(call.start, call.end).replace(/;\s*$/, '');
      const lookup: MacroLookup = (name) => macros.at(name, call.start);
      const expanded = expandInvocation(invocationText, lookup);
      if (expanded.length) {
        for (const e of expanded) {
          if (e.macro === 'BTF_ID_UNUSED') {
            current.entries.push(unusedEntry(callSpan, guard, call.name));
            continue;
          }
          const entry = makeEntry(e.args, spanOf(call.start, call.nameEnd), callSpan, guard, call.name);
          if (entry) current.entries.push(entry);
        }
      } else {
        pending.push({
          setName: current.name,
          text: invocationText,
          name: call.name,
          span: callSpan,
          guard,
          localDefs: macros
            .activeMentioning(call.start, PRODUCES_ENTRIES)
            .map((d) => ({ name: d.name, params: d.params, body: d.body })),
        });
      }
    }
  }
  close(current);
  return { sets, pending };
}
