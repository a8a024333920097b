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
