/**
 * iterator-next-ret-null: an iterator `_next` without KF_RET_NULL. NULL is how _next says the iteration is over;
 * every in-tree _next carries the flag (kfunc-spec §C.2 R-11b). Registration does not check it.
 */
import { addFlagEdits } from '../fixes/entryFixes';
import { entryLabel } from './helpers';
import type { Finding, Fix, Rule } from './types';

export const iteratorNextRetNull: Rule = {
  code: 'iterator-next-ret-null',
  defaultSeverity: 'warning',
  description: 'An iterator _next kfunc without KF_RET_NULL.',
  appliesTo: (_version, flags) => flags.flags.has('KF_ITER_NEXT'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      for (const r of k.registrations) {
        if (!r.flags.includes('KF_ITER_NEXT') || r.flags.includes('KF_RET_NULL')) continue;
        // Several ITER flags on one entry: iterator-contract's finding (registration fails anyway).
        if (r.flags.some((f) => f === 'KF_ITER_NEW' || f === 'KF_ITER_DESTROY')) continue;
        const edits = addFlagEdits(ctx, r.set.file, r.entry, 'KF_RET_NULL');
        // Changes what the verifier demands of callers: offered, not applied by --fix.
        const fix: Fix | undefined = edits ? { title: `Add KF_RET_NULL to ${entryLabel(r)}`, safe: false, edits } : undefined;
        out.push({
          file: r.set.file,
          span: r.entry.nameSpan,
          kfunc: k.name,
          message:
            `${entryLabel(r)} in set ${r.set.fact.name} is an iterator _next without KF_RET_NULL: _next returns NULL to ` +
            `end the loop, and while the verifier models that end itself (a "drained" state where the result is 0), in ` +
            `the active state it types the result as never NULL, so a _next that can also return NULL on the way ` +
            `(an error, a vanished object) is dereferenced unchecked. Every in-tree _next carries KF_RET_NULL; add it.`,
          related: k.definition ? [{ file: k.definition.file, span: k.definition.fact.nameSpan, message: `defined here: ${k.name}` }] : [],
          fixes: fix ? [fix] : [],
        });
      }
    }
    return out;
  },
};
