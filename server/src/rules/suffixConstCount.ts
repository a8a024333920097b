/**
 * suffix-const-count: the verifier tracks one known-constant argument per kfunc call (meta->arg_constant). A second
 * `__k` (or a `__k` plus a `__szk` size) fails every call with "verifier internal error: only one constant argument
 * permitted" (-EFAULT) (kfunc-spec §C.3 R-31; 6.12 kernel/bpf/verifier.c check_kfunc_args).
 */
import { relatedEntry } from './helpers';
import { atLeast } from '../kernel/version';
import { callableDefinition, callableRegistrations, kindOf, suffixOf } from './prototypeShared';
import type { ParamFact } from '../facts/types';
import type { Finding, Rule } from './types';

export const suffixConstCount: Rule = {
  code: 'suffix-const-count',
  defaultSeverity: 'error',
  description: 'A kfunc has more than one __k/__szk (known-constant) parameter.',
  // __k and constant tracking arrived with bpf_obj_new in 6.2; 6.1 knows only __sz.
  appliesTo: (version) => atLeast(version, 6, 2),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def) continue;
      const params = def.fact.params;
      const constants: ParamFact[] = params.filter((p, i) => {
        const s = suffixOf(p.name);
        const kind = kindOf(p.type);
        if (kind !== 'scalar' && kind !== 'unknown') return false;
        if (s === '__k') return true;
        // A __szk counts only where it is read as a size: right after a pointer.
        return s === '__szk' && i > 0 && kindOf(params[i - 1].type) === 'pointer';
      });
      if (constants.length < 2) continue;
      out.push({
        file: def.file,
        span: constants[1].span,
        kfunc: k.name,
        related: callableRegistrations(k).map((r) => relatedEntry(r)),
        message:
          `${k.name} has ${constants.length} known-constant parameters (${constants.map((p) => p.name).join(', ')}), ` +
          `but the verifier tracks only one per call: every call fails with "verifier internal error: only one ` +
          `constant argument permitted" (-EFAULT). Keep one __k/__szk and make the others ordinary scalars.`,
      });
    }
    return out;
  },
};
