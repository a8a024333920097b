/**
 * kfunc-missing-tag: a function named in a kfunc set is defined without `__bpf_kfunc` (trees ≥ 6.3, where the tag
 * exists). Without `__used noinline __noclone` the compiler may inline the function into its C callers, clone it
 * (`.isra`/`.constprop`) or, under LTO, drop it; pahole then has no FUNC with the original prototype.
 */
import { addBpfKfuncFix } from '../fixes/definitionFixes';
import { atLeast } from '../kernel/version';
import { isFmodretOnly, isHeaderStub } from './definitionShared';
import { definedKfuncs, relatedEntry } from './helpers';
import type { Finding, Rule } from './types';

export const kfuncMissingTag: Rule = {
  code: 'kfunc-missing-tag',
  defaultSeverity: 'warning',
  description: 'A function named in a kfunc set is defined without __bpf_kfunc.',
  appliesTo: (version) => atLeast(version, 6, 3),
  check(ctx) {
    const out: Finding[] = [];
    for (const [k, def] of definedKfuncs(ctx.model.kfuncs.values())) {
      if (k.bpfKfuncTag) continue;
      // BPF_MODIFY_RETURN targets (update_socket_protocol in a BTF_SET8_START set before 6.9) are not kfuncs;
      // they are kept by `noinline` and __bpf_hook_start() instead.
      const regs = k.registrations.filter((r) => !isFmodretOnly(r));
      if (regs.length === 0) continue;
      // Only a header stub was found (`static inline` for !CONFIG_X): the tag belongs on the real definition.
      if (isHeaderStub(def)) continue;
      // An inline kfunc is kfunc-inline's error; adding the tag alone would not make it right.
      if (def.fact.inline) continue;
      const fix = addBpfKfuncFix(k);
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        message:
          `${k.name} is registered as a kfunc but defined without __bpf_kfunc: nothing keeps the compiler from ` +
          `inlining it into C callers, cloning it with a changed signature (.isra/.constprop) or dropping it under ` +
          `LTO, and then pahole emits no BTF FUNC for it, resolve_btfids leaves ID 0 in the set and ` +
          `register_btf_kfunc_id_set() rejects the whole set with -EINVAL. Mark the definition __bpf_kfunc.`,
        related: regs.map((r) => relatedEntry(r)),
        fixes: fix ? [fix] : [],
      });
    }
    return out;
  },
};
