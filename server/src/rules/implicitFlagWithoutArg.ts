/**
 * implicit-flag-without-arg: KF_IMPLICIT_ARGS on a kfunc none of whose parameters is implicit. resolve_btfids still
 * generates `<name>_impl` and repoints `<name>` at an identical prototype: harmless but pointless, and usually a sign
 * that the implicit parameter is spelled in a way the build does not recognise (a typedef, `void *`)
 * (kfunc-spec §E.5).
 */
import { removeFlagFix } from '../fixes/entryFixes';
import { entryLabel, listText, relatedDefinition, relatedEntry } from './helpers';
import type { Finding, Rule } from './types';

/** `a`, `a or b`, `a, b or c`. */
function orList(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

export const implicitFlagWithoutArg: Rule = {
  code: 'implicit-flag-without-arg',
  defaultSeverity: 'warning',
  description: 'KF_IMPLICIT_ARGS on a kfunc with no implicit parameter.',
  appliesTo: (_version, flags) => flags.flags.has('KF_IMPLICIT_ARGS'),
  check(ctx) {
    const out: Finding[] = [];
    const settings = ctx.model.context.settings;
    const types = settings.implicitArgs.types.map((t) => `struct ${t} *`);
    const suffixes = settings.implicitArgs.nameSuffixes.filter((s) => s.length > 0);
    for (const k of ctx.model.kfuncs.values()) {
      const def = k.definition;
      if (!def || k.implicit.some(Boolean)) continue;
      const flagged = k.registrations.filter((r) => r.flags.includes('KF_IMPLICIT_ARGS'));
      if (flagged.length === 0) continue;
      // A pointer parameter whose type is a typedef or void: likely the intended implicit one, spelled so that
      // resolve_btfids (which skips const/volatile but not typedefs) does not recognise it.
      const suspect = def.fact.params.find(
        (p) => p.type.derivations.length === 1 && p.type.derivations[0] === 'ptr' && (p.type.baseKind === 'typedef' || p.type.base === 'void'),
      );
      const hint = suspect
        ? ` (${suspect.name ?? 'a parameter'} is ${suspect.type.text}: typedefs are not resolved and void * is not an implicit type)`
        : '';
      const first = flagged[0];
      const fix = removeFlagFix(ctx, k, 'KF_IMPLICIT_ARGS');
      out.push({
        file: first.set.file,
        span: first.entry.span,
        kfunc: k.name,
        message:
          `${listText(flagged.map((r) => `${entryLabel(r)} in ${r.set.fact.name}`))} sets KF_IMPLICIT_ARGS, but no ` +
          `parameter of ${k.name} is implicit (${orList(types.map((t) => `a ${t}`))}` +
          `${suffixes.length ? `, or a name ending in ${orList(suffixes)}` : ''})${hint}: resolve_btfids still ` +
          `emits ${k.name}_impl and a public ${k.name} with all ${def.fact.params.length} parameters, so the flag ` +
          `changes nothing for BPF programs. Remove it, or make the verifier-filled parameter the last one with an ` +
          `implicit type.`,
        related: [relatedDefinition(def), ...flagged.slice(1).map((r) => relatedEntry(r, 'also set here'))],
        fixes: fix ? [fix] : [],
      });
    }
    return out;
  },
};
