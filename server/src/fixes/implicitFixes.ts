/**
 * Fixes for the implicit-argument rules: add or remove KF_IMPLICIT_ARGS in a kfunc's BTF_ID_FLAGS entries with the
 * smallest edit, so the rest of the entry (other flag arguments, comments, line breaks, the writer's flag order)
 * stays as written. Unlike entryFixes' rewrite of the whole flag word, extra (ignored) flag arguments are kept; the
 * fix is then not marked safe, since flags-separate-args still reports them (with the new first argument).
 */
import type { SetEntry } from '../facts/types';
import type { Kfunc } from '../model/types';
import type { Fix, RuleContext, TextEdit } from '../rules/types';
import { joinSpans, pointAt } from './edits';

const FLAG = 'KF_IMPLICIT_ARGS';

/** The first flag argument as written in the file (undefined when the text is unavailable). */
function firstArgText(ctx: Pick<RuleContext, 'text'>, file: string, entry: SetEntry): string | undefined {
  const span = entry.flagArgSpans[0];
  const text = ctx.text(file);
  return span && text !== undefined ? text.slice(span.start, span.end) : undefined;
}

/** Edits that add KF_IMPLICIT_ARGS to one entry, or undefined when the entry's text is elsewhere (an X-macro). */
export function addFlagEdits(ctx: Pick<RuleContext, 'text'>, file: string, entry: SetEntry): TextEdit[] | undefined {
  if (entry.viaMacro || !entry.closeParen) return undefined;
  const args = entry.flagArgSpans;
  if (args.length === 0) return [{ file, span: pointAt(entry.closeParen, 'start'), newText: `, ${FLAG}` }];
  const written = firstArgText(ctx, file, entry) ?? entry.flagArgs[0];
  const first = args[0];
  if (written.trim() === '0') return [{ file, span: first, newText: FLAG }];
  // An OR of names (maybe parenthesised) takes `| KF_IMPLICIT_ARGS` at its end; anything else is parenthesised first.
  if (/^[\s\w|()]*$/.test(written)) return [{ file, span: pointAt(first, 'end'), newText: ` | ${FLAG}` }];
  return [{ file, span: first, newText: `(${written}) | ${FLAG}` }];
}

/** Edits that remove KF_IMPLICIT_ARGS from one entry's first flag argument (an OR of names), or undefined. */
export function removeFlagEdits(ctx: Pick<RuleContext, 'text'>, file: string, entry: SetEntry): TextEdit[] | undefined {
  if (entry.viaMacro || !entry.closeParen || entry.flagArgSpans.length === 0) return undefined;
  const written = firstArgText(ctx, file, entry) ?? entry.flagArgs[0];
  const bare = written.trim().replace(/^\((.*)\)$/s, '$1');
  const names = bare.split('|').map((s) => s.trim());
  if (!names.every((n) => /^\w+$/.test(n)) || !names.includes(FLAG)) return undefined;
  const rest = names.filter((n) => n !== FLAG);
  const first = entry.flagArgSpans[0];
  if (rest.length > 0) return [{ file, span: first, newText: rest.join(' | ') }];
  // The flag was the whole word: drop the argument (`, KF_IMPLICIT_ARGS`), or leave 0 before further arguments.
  if (entry.flagArgSpans.length > 1) return [{ file, span: first, newText: '0' }];
  return [{ file, span: joinSpans(pointAt(entry.nameSpan, 'end'), first), newText: '' }];
}

/** Add KF_IMPLICIT_ARGS to every registration of the kfunc that lacks it (one fix, several sets). */
export function addImplicitArgsFlagFix(ctx: Pick<RuleContext, 'text'>, k: Kfunc): Fix | undefined {
  const edits: TextEdit[] = [];
  let extraArgs = false;
  for (const r of k.registrations) {
    if (r.flags.includes(FLAG)) continue;
    const e = addFlagEdits(ctx, r.set.file, r.entry);
    if (!e) return undefined;
    edits.push(...e);
    if (r.entry.flagArgs.length > 1) extraArgs = true;
  }
  if (edits.length === 0) return undefined;
  const where = k.registrations.length > 1 ? ` (${edits.length} set${edits.length > 1 ? 's' : ''})` : '';
  return { title: `Add ${FLAG} to BTF_ID_FLAGS(func, ${k.name})${where}`, safe: !extraArgs, edits };
}

/** Remove KF_IMPLICIT_ARGS from every registration of the kfunc that has it. */
export function removeImplicitArgsFlagFix(ctx: Pick<RuleContext, 'text'>, k: Kfunc): Fix | undefined {
  const edits: TextEdit[] = [];
  let extraArgs = false;
  for (const r of k.registrations) {
    if (!r.entry.flags.includes(FLAG)) continue;
    const e = removeFlagEdits(ctx, r.set.file, r.entry);
    if (!e) return undefined;
    edits.push(...e);
    if (r.entry.flagArgs.length > 1) extraArgs = true;
  }
  return edits.length ? { title: `Remove ${FLAG} from BTF_ID_FLAGS(func, ${k.name})`, safe: !extraArgs, edits } : undefined;
}
