/**
 * ret-null-non-pointer: KF_RET_NULL only marks a returned pointer as maybe-NULL; on a void or scalar return the
 * verifier ignores it, so the flag or the return type is a mistake (kfunc-spec §C.3 R-25).
 */
import { removeFlagFix } from '../fixes/entryFixes';
import { fmodretOnly, isKnownNonPointer, relatedFlagged } from './setRuleHelpers';
import { isTestKfuncFile } from './helpers';
import type { Finding, Rule } from './types';

export const retNullNonPointer: Rule = {
  code: 'ret-null-non-pointer',
  defaultSeverity: 'warning',
  description: 'KF_RET_NULL on a kfunc that does not return a pointer.',
  appliesTo: (_version, flags) => flags.flags.has('KF_RET_NULL'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = k.definition;
      if (!def || isTestKfuncFile(def.file)) continue;
      const flagged = k.registrations.filter((r) => r.flags.includes('KF_RET_NULL') && !fmodretOnly(r.set));
      if (flagged.length === 0) continue;
      const ret = def.fact.ret;
      // Typedef names we cannot resolve may hide a pointer: only known non-pointers count.
      if (!isKnownNonPointer(ret)) continue;
      const fix = removeFlagFix(ctx, k, 'KF_RET_NULL', false);
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        message:
          `${k.name} is registered with KF_RET_NULL but returns '${ret.text}': the flag only makes the verifier demand a ` +
          `NULL check on a returned pointer, and on a ${ret.text === 'void' ? 'void' : 'scalar'} return it is silently ignored. ` +
          `Either the return type or the flag is wrong.`,
        related: relatedFlagged(flagged, 'KF_RET_NULL here'),
        fixes: fix ? [fix] : [],
      });
    }
    return out;
  },
};
