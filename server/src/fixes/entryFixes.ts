/** Fixes that rewrite BTF set macros: flag words of BTF_ID_FLAGS entries, and set macro names. */
import type { SetEntry } from '../facts/types';
import type { Kfunc, SetInfo } from '../model/types';
import type { Fix, RuleContext, TextEdit } from '../rules/types';
import { joinSpans, pointAt } from './edits';

type TextOf = Pick<RuleContext, 'text'>;

/** The first flag argument as written in the file (falls back to the parsed text when the file is unavailable). */
function firstArgText(ctx: TextOf, file: string, entry: SetEntry): string {
  const span = entry.flagArgSpans[0];
  const text = ctx.text(file);
  return span && text !== undefined ? text.slice(span.start, span.end) : (entry.flagArgs[0] ?? '');
}

/**
 * Edits that add `flag` to one entry with the smallest change, so the rest of the entry (other flag arguments,
 * comments, line breaks, the writer's flag order) stays as written. Undefined for an entry produced by a macro
 * expansion (its text is elsewhere).
 */
export function addFlagEdits(ctx: TextOf, file: string, entry: SetEntry, flag: string): TextEdit[] | undefined {
  if (entry.viaMacro || !entry.closeParen) return undefined;
  const args = entry.flagArgSpans;
  if (args.length === 0) return [{ file, span: pointAt(entry.closeParen, 'start'), newText: `, ${flag}` }];
  const written = firstArgText(ctx, file, entry);
  const first = args[0];
  if (written.trim() === '0') return [{ file, span: first, newText: flag }];
  // An OR of names (maybe parenthesised) takes `| FLAG` at its end; anything else is parenthesised first.
  if (/^[\s\w|()]*$/.test(written)) return [{ file, span: pointAt(first, 'end'), newText: ` | ${flag}` }];
  return [{ file, span: first, newText: `(${written}) | ${flag}` }];
}

/** Edits that remove `flag` from one entry's first flag argument (an OR of names), or undefined. */
export function removeFlagEdits(ctx: TextOf, file: string, entry: SetEntry, flag: string): TextEdit[] | undefined {
  if (entry.viaMacro || !entry.closeParen || entry.flagArgSpans.length === 0) return undefined;
  const bare = firstArgText(ctx, file, entry).trim().replace(/^\((.*)\)$/s, '$1');
  const names = bare.split('|').map((n) => n.trim());
  if (!names.every((n) => /^\w+$/.test(n)) || !names.includes(flag)) return undefined;
  const rest = names.filter((n) => n !== flag);
  const first = entry.flagArgSpans[0];
  if (rest.length > 0) return [{ file, span: first, newText: rest.join(' | ') }];
  // The flag was the whole word: drop the argument, or leave 0 before further (ignored) arguments.
  if (entry.flagArgSpans.length > 1) return [{ file, span: first, newText: '0' }];
  return [{ file, span: joinSpans(pointAt(entry.nameSpan, 'end'), first), newText: '' }];
}

/**
 * Add `flag` to every registration of the kfunc that lacks it (one fix, several sets). With extra flag arguments
 * the fix is not safe: flags-separate-args still reports them, now with a different first argument.
 */
export function addFlagFix(ctx: TextOf, k: Kfunc, flag: string, safe = true): Fix | undefined {
  const edits: TextEdit[] = [];
  let extraArgs = false;
  for (const r of k.registrations) {
    if (r.flags.includes(flag)) continue;
    const e = addFlagEdits(ctx, r.set.file, r.entry, flag);
    if (!e) return undefined;
    edits.push(...e);
    if (r.entry.flagArgs.length > 1) extraArgs = true;
  }
  if (edits.length === 0) return undefined;
  const where = k.registrations.length > 1 ? ` (${edits.length} set${edits.length > 1 ? 's' : ''})` : '';
  return { title: `Add ${flag} to BTF_ID_FLAGS(func, ${k.name})${where}`, safe: safe && !extraArgs, edits };
}

/** Remove `flag` from every registration of the kfunc that has it. */
export function removeFlagFix(ctx: TextOf, k: Kfunc, flag: string, safe = true): Fix | undefined {
  const edits: TextEdit[] = [];
  let extraArgs = false;
  for (const r of k.registrations) {
    if (!r.entry.flags.includes(flag)) continue;
    const e = removeFlagEdits(ctx, r.set.file, r.entry, flag);
    if (!e) return undefined;
    edits.push(...e);
    if (r.entry.flagArgs.length > 1) extraArgs = true;
  }
  return edits.length ? { title: `Remove ${flag} from BTF_ID_FLAGS(func, ${k.name})`, safe: safe && !extraArgs, edits } : undefined;
}

/** Remove one flag from one entry (a flag the target kernel removed). */
export function removeFlagFromEntry(ctx: TextOf, file: string, entry: SetEntry, flag: string): Fix | undefined {
  const edits = removeFlagEdits(ctx, file, entry, flag);
  return edits ? { title: `Remove ${flag} from BTF_ID_FLAGS(func, ${entry.name})`, safe: entry.flagArgs.length <= 1, edits } : undefined;
}

/** Edits that replace all of `entry`'s flag arguments with one word (joining separate arguments). */
function rewriteFlagArgs(file: string, entry: SetEntry, word: string): TextEdit[] | undefined {
  if (entry.viaMacro || !entry.closeParen || entry.flagArgSpans.length === 0) return undefined;
  const args = entry.flagArgSpans;
  return [{ file, span: joinSpans(args[0], args[args.length - 1]), newText: word }];
}

/** `BTF_ID_FLAGS(func, f, KF_A, KF_B)` → `BTF_ID_FLAGS(func, f, KF_A | KF_B)`. */
export function joinFlagArgsFix(file: string, entry: SetEntry): Fix | undefined {
  const edits = rewriteFlagArgs(file, entry, entry.flagArgs.filter((a) => a !== '').join(' | '));
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
