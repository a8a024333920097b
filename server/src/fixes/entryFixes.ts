/** Fixes that rewrite BTF set macros: flag words of BTF_ID_FLAGS entries, and set macro names. */
import type { SetEntry } from '../facts/types';
import type { Kfunc, SetInfo } from '../model/types';
import type { Fix, TextEdit } from '../rules/types';
import { joinSpans, pointAt } from './edits';

/**
 * Edits that make `entry`'s flag argument(s) read `flags` (joined with ' | '), or drop the flag argument when
 * `flags` is empty. Undefined for entries produced by a macro expansion (their text is elsewhere).
 */
export function rewriteFlagWord(file: string, entry: SetEntry, flags: string[]): TextEdit[] | undefined {
  if (entry.viaMacro || !entry.closeParen) return undefined;
  const word = flags.join(' | ');
  const args = entry.flagArgSpans;
  if (args.length === 0) {
    return flags.length ? [{ file, span: pointAt(entry.closeParen, 'start'), newText: `, ${word}` }] : [];
  }
  const all = joinSpans(args[0], args[args.length - 1]);
  if (flags.length === 0) return [{ file, span: joinSpans(pointAt(entry.nameSpan, 'end'), all), newText: '' }];
  return [{ file, span: all, newText: word }];
}

/** Add KF_IMPLICIT_ARGS to every registration of the kfunc that lacks it (one fix, several sets). */
export function addImplicitArgsFix(k: Kfunc): Fix | undefined {
  const edits: TextEdit[] = [];
  for (const r of k.registrations) {
    if (r.flags.includes('KF_IMPLICIT_ARGS')) continue;
    const e = rewriteFlagWord(r.set.file, r.entry, [...r.entry.flags, 'KF_IMPLICIT_ARGS']);
    if (!e) return undefined;
    edits.push(...e);
  }
  if (edits.length === 0) return undefined;
  const where = k.registrations.length > 1 ? ` (${edits.length} set${edits.length > 1 ? 's' : ''})` : '';
  return { title: `Add KF_IMPLICIT_ARGS to BTF_ID_FLAGS(func, ${k.name})${where}`, safe: true, edits };
}

/** Remove a flag from every registration of the kfunc that has it. */
export function removeFlagFix(k: Kfunc, flag: string, safe: boolean): Fix | undefined {
  const edits: TextEdit[] = [];
  for (const r of k.registrations) {
    if (!r.entry.flags.includes(flag)) continue;
    const e = rewriteFlagWord(r.set.file, r.entry, r.entry.flags.filter((f) => f !== flag));
    if (!e) return undefined;
    edits.push(...e);
  }
  return edits.length ? { title: `Remove ${flag} from BTF_ID_FLAGS(func, ${k.name})`, safe, edits } : undefined;
}

/** Remove one flag from one entry (a flag the target kernel removed). */
export function removeFlagFromEntry(file: string, entry: SetEntry, flag: string): Fix | undefined {
  const edits = rewriteFlagWord(file, entry, entry.flags.filter((f) => f !== flag));
  return edits ? { title: `Remove ${flag} from BTF_ID_FLAGS(func, ${entry.name})`, safe: true, edits } : undefined;
}

/** `BTF_ID_FLAGS(func, f, KF_A, KF_B)` → `BTF_ID_FLAGS(func, f, KF_A | KF_B)`. */
export function joinFlagArgsFix(file: string, entry: SetEntry): Fix | undefined {
  const edits = rewriteFlagWord(file, entry, entry.flagArgs);
  return edits ? { title: `Join the flags of BTF_ID_FLAGS(func, ${entry.name}) with '|'`, safe: true, edits } : undefined;
}

/** `BTF_SET8_START/END(x)` → `BTF_KFUNCS_START/END(x)`. */
export function set8ToKfuncsFix(set: SetInfo): Fix {
  const edits: TextEdit[] = [
    { file: set.file, span: { ...set.fact.startSpan, end: set.fact.startSpan.start + 'BTF_SET8_START'.length, endLine: set.fact.startSpan.line, endCharacter: set.fact.startSpan.character + 'BTF_SET8_START'.length }, newText: 'BTF_KFUNCS_START' },
  ];
  const end = set.fact.endSpan;
  if (end) {
    edits.push({ file: set.file, span: { ...end, end: end.start + 'BTF_SET8_END'.length, endLine: end.line, endCharacter: end.character + 'BTF_SET8_END'.length }, newText: 'BTF_KFUNCS_END' });
  }
  return { title: `Use BTF_KFUNCS_START/END for set ${set.fact.name}`, safe: true, edits };
}

const END_MACRO: Record<string, string> = { BTF_KFUNCS_START: 'BTF_KFUNCS_END', BTF_SET8_START: 'BTF_SET8_END', BTF_SET_START: 'BTF_SET_END' };

/** `BTF_KFUNCS_END(other)` closing `BTF_KFUNCS_START(x)` → `BTF_KFUNCS_END(x)` (the END's argument rewritten). */
export function renameSetEndFix(set: SetInfo, text: string | undefined): Fix | undefined {
  const end = set.fact.endSpan;
  if (!end || !text || set.fact.endName === null) return undefined;
  const call = text.slice(end.start, end.end);
  const m = /^(\w+\s*\(\s*)(\w+)/.exec(call);
  // The name must be on the END's first line (positions are computed from it).
  if (!m || m[2] !== set.fact.endName || m[0].includes('\n')) return undefined;
  const at = end.start + m[1].length;
  const character = end.character + m[1].length;
  return {
    title: `Close set ${set.fact.name} with ${m[1].replace(/[\s(]/g, '')}(${set.fact.name})`,
    safe: true,
    edits: [{ file: set.file, span: { start: at, end: at + m[2].length, line: end.line, character, endLine: end.line, endCharacter: character + m[2].length }, newText: set.fact.name }],
  };
}

/** Insert the missing `BTF_KFUNCS_END(x)` after the set's last entry (not safe: an END may exist further down). */
export function addSetEndFix(set: SetInfo): Fix | undefined {
  const endMacro = END_MACRO[set.fact.macro];
  if (!endMacro || set.fact.endSpan) return undefined;
  const own = set.fact.entries;
  const last = own.length ? own[own.length - 1].span : set.fact.startSpan;
  return {
    title: `Add ${endMacro}(${set.fact.name})`,
    safe: false,
    edits: [{ file: set.file, span: pointAt(last, 'end'), newText: `\n${endMacro}(${set.fact.name})` }],
  };
}

/** Delete an entry's line(s) (only when the invocation is alone on them and was written in this file). */
export function removeEntryFix(file: string, entry: SetEntry, text: string | undefined, safe: boolean): Fix | undefined {
  if (entry.viaMacro || !text) return undefined;
  const lineStart = entry.span.start - entry.span.character;
  if (text.slice(lineStart, entry.span.start).trim() !== '') return undefined;
  let end = entry.span.end;
  while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
  if (end < text.length && text[end] === '\r') end++;
  if (end < text.length && text[end] !== '\n') return undefined;
  const endLine = entry.span.endLine + (end < text.length ? 1 : 0);
  if (end < text.length) end++;
  return {
    title: `Remove this BTF_ID_FLAGS(func, ${entry.name}) entry`,
    safe,
    edits: [{ file, span: { start: lineStart, end, line: entry.span.line, character: 0, endLine, endCharacter: 0 }, newText: '' }],
  };
}
