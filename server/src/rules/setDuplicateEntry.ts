/**
 * set-duplicate-entry: the same function twice in one set. resolve_btfids sorts the pairs by BTF ID and the kernel
 * looks them up with bsearch, so which copy's flags apply is an accident of sorting; the duplicate also counts twice
 * against BTF_KFUNC_SET_MAX_CNT. Entries in mutually exclusive #if/#else branches are alternatives, not duplicates.
 */
import { flagWordText, deadGuard, guardsExclusive } from './setRuleHelpers';
import type { SetEntry } from '../facts/types';
import { removeEntryFix } from '../fixes/entryFixes';
import type { Finding, Rule } from './types';

export const setDuplicateEntry: Rule = {
  code: 'set-duplicate-entry',
  defaultSeverity: 'warning',
  description: 'The same function appears twice in one set.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const set of ctx.model.sets) {
      // ID lists are indexed by position: repeating a name there is how two indices map to one function.
      if (set.fact.macro === 'BTF_ID_LIST') continue;
      const seen = new Map<string, SetEntry[]>();
      for (const entry of set.entries) {
        if (entry.prefix !== 'func' || deadGuard(entry.guard)) continue;
        const earlier = seen.get(entry.name) ?? [];
        // `#ifdef A ... #else ...` alternatives of the same entry: only one is ever compiled.
        const clash = earlier.find((e) => !guardsExclusive(e.guard, entry.guard));
        earlier.push(entry);
        seen.set(entry.name, earlier);
        if (!clash) continue;
        const sameFlags = [...clash.flags].sort().join('|') === [...entry.flags].sort().join('|');
        const flagNote = set.fact.macro === 'BTF_SET_START'
          ? 'a BTF_SET has no flags, so the copy only wastes a slot'
          : sameFlags
            ? `both with ${flagWordText(entry.flags)}, so the copy only takes a second slot of the hook's ${256}-kfunc limit`
            : `with different flags (${flagWordText(clash.flags)} vs ${flagWordText(entry.flags)}): resolve_btfids sorts the pairs by BTF ID and the kernel's bsearch finds either copy, so which flags the verifier applies is an accident`;
        out.push({
          file: set.file,
          span: entry.nameSpan,
          kfunc: entry.name,
          message:
            `${entry.name} is listed twice in set ${set.fact.name}` +
            `${clash.viaMacro || entry.viaMacro ? ` (once through ${clash.viaMacro ?? entry.viaMacro})` : ''}, ${flagNote}. Remove one of the entries.`,
          related: [{ file: set.file, span: clash.nameSpan, message: `first listed here${clash.viaMacro ? ` (through ${clash.viaMacro})` : ''}` }],
          // Same flags and guard: dropping the copy changes nothing the kernel sees. Different flags: a choice, not a safe edit.
          fixes: [removeEntryFix(set.file, entry, ctx.text(set.file), sameFlags && entry.guard === clash.guard)].filter((x) => x !== undefined),
        });
      }
    }
    return out;
  },
};
