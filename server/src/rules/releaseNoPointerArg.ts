/**
 * release-no-pointer-arg: KF_RELEASE on a kfunc with no parameter that can carry a reference (a pointer to a
 * struct, or an allocated object `void *p__alloc` / `__refcounted_kptr`). The verifier rejects every call with
 * "release kernel function %s expects refcounted PTR_TO_BTF_ID" (kfunc-spec §C.3 R-26).
 */
import { explicitParams, fmodretOnly, mayBeStructPointer, relatedFlagged } from './setRuleHelpers';
import { isTestKfuncFile } from './helpers';
import type { Finding, Rule } from './types';

/** Suffixes whose `void *` parameters the verifier treats as referenced program objects. */
const REF_SUFFIXES = ['__alloc', '__refcounted_kptr'];

export const releaseNoPointerArg: Rule = {
  code: 'release-no-pointer-arg',
  defaultSeverity: 'error',
  description: 'KF_RELEASE without a pointer-to-struct parameter.',
  appliesTo: (_version, flags) => flags.flags.has('KF_RELEASE'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = k.definition;
      // Selftest modules register such kfuncs on purpose to test the verifier's rejection (bpf_kfunc_call_int_mem_release).
      if (!def || isTestKfuncFile(def.file)) continue;
      const releasing = k.registrations.filter((r) => r.flags.includes('KF_RELEASE') && !fmodretOnly(r.set));
      if (releasing.length === 0) continue;
      const params = explicitParams(k, def);
      const ok = params.some(
        (p) =>
          mayBeStructPointer(p.type) ||
          (p.type.derivations.length === 1 && p.type.derivations[0] === 'ptr' && REF_SUFFIXES.some((s) => (p.name ?? '').endsWith(s) && (p.name ?? '').length > s.length)),
      );
      if (ok) continue;
      const shown = params.length ? params.map((p) => p.type.text).join(', ') : 'no parameters';
      const hidden = def.fact.params.filter((_, i) => k.implicit[i]);
      const implicitNote = hidden.length
        ? ` (${hidden.map((p) => `${p.type.text}${p.name ? ` ${p.name}` : ''}`).join(', ')} is implicit: the verifier fills it in, BPF passes nothing there)`
        : '';
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        message:
          `${k.name} is registered with KF_RELEASE but takes ${params.length ? `(${shown})` : shown}${implicitNote}, no pointer to a struct ` +
          `that could carry the reference being released: the verifier rejects every call with "release kernel function ` +
          `${k.name} expects refcounted PTR_TO_BTF_ID". Take the object as 'struct T *' (normally the first parameter), ` +
          `or drop KF_RELEASE.`,
        related: relatedFlagged(releasing, 'KF_RELEASE here'),
      });
    }
    return out;
  },
};
