/**
 * acquire-return: KF_ACQUIRE on a kfunc that does not return a pointer to a struct. The verifier tracks the
 * acquired reference as a PTR_TO_BTF_ID and rejects every call otherwise (kfunc-spec §C.3 R-24).
 */
import { fmodretOnly, isStructPointer, mayBeStructPointer, relatedFlagged } from './setRuleHelpers';
import { isTestKfuncFile } from './helpers';
import type { Finding, Rule } from './types';

/**
 * The verifier's own exceptions (check_kfunc_call: special_kfunc_list by BTF ID): allocation kfuncs return `void *`
 * to a program-defined type. 7.1 adds the non-_impl twins with an implicit `struct btf_struct_meta *`.
 */
const ACQUIRE_EXEMPT = new Set([
  'bpf_obj_new_impl', 'bpf_percpu_obj_new_impl', 'bpf_refcount_acquire_impl',
  'bpf_obj_new', 'bpf_percpu_obj_new', 'bpf_refcount_acquire',
]);

export const acquireReturn: Rule = {
  code: 'acquire-return',
  defaultSeverity: 'error',
  description: 'KF_ACQUIRE without a pointer-to-struct return.',
  appliesTo: (_version, flags) => flags.flags.has('KF_ACQUIRE'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = k.definition;
      if (!def || ACQUIRE_EXEMPT.has(k.name) || isTestKfuncFile(def.file)) continue;
      const acquiring = k.registrations.filter((r) => r.flags.includes('KF_ACQUIRE') && !fmodretOnly(r.set));
      if (acquiring.length === 0) continue;
      const ret = def.fact.ret;
      // A pointer to a typedef we cannot resolve may well be a struct (btf_type_is_struct_ptr skips typedefs).
      if (isStructPointer(ret) || mayBeStructPointer(ret)) continue;
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        message:
          `${k.name} is registered with KF_ACQUIRE but returns '${ret.text}', not a pointer to a struct: the verifier ` +
          `can only track an acquired reference as a PTR_TO_BTF_ID and rejects every call with "acquire kernel function ` +
          `does not return PTR_TO_BTF_ID". Return a struct pointer, or drop KF_ACQUIRE.`,
        related: relatedFlagged(acquiring, 'KF_ACQUIRE here'),
      });
    }
    return out;
  },
};
