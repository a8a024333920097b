/**
 * set-wrong-macro: on trees ≥ 6.9 register_btf_kfunc_id_set() only accepts sets whose header carries
 * BTF_SET8_KFUNCS, i.e. sets built with BTF_KFUNCS_START. A BTF_SET8_START set is rejected with -EINVAL.
 * A BTF_SET8_START set that only goes to register_btf_fmodret_id_set() is fine (net/mptcp/bpf.c).
 */
import { set8ToKfuncsFix } from '../fixes/entryFixes';
import { atLeast } from '../kernel/version';
import type { Finding, Rule } from './types';

export const setWrongMacro: Rule = {
  code: 'set-wrong-macro',
  defaultSeverity: 'error',
  description: 'A BTF_SET8_START set is passed to register_btf_kfunc_id_set on a tree ≥ 6.9 (needs BTF_KFUNCS_START).',
  // Before 6.9 there was no BTF_KFUNCS_START and every set8 was a kfunc set.
  appliesTo: (version) => atLeast(version, 6, 9),
  check(ctx) {
    const out: Finding[] = [];
    for (const set of ctx.model.sets) {
      if (set.fact.macro !== 'BTF_SET8_START') continue;
      const kfuncRegs = set.registrations.filter((r) => r.fact.fn === 'register_btf_kfunc_id_set');
      // Only fmodret registrations (update_socket_protocol in net/mptcp/bpf.c): no KFUNCS flag needed.
      if (kfuncRegs.length === 0) continue;
      const n = set.entries.filter((e) => e.prefix === 'func').length;
      const types = kfuncRegs.map((r) => r.fact.progType ?? '?');
      const builtIn = 'WARN_ON() for built-in code with no .owner';
      out.push({
        file: set.file,
        span: set.fact.startSpan,
        message:
          `Set ${set.fact.name} is built with BTF_SET8_START but passed to register_btf_kfunc_id_set() ` +
          `(${types.join(', ')}): since 6.9 that requires the BTF_SET8_KFUNCS flag BTF_KFUNCS_START puts in the set header, ` +
          `so registration returns -EINVAL (${builtIn}) and none of its ${n} function${n === 1 ? '' : 's'} can be called; ` +
          `pahole does not tag them bpf_kfunc either, so they are missing from vmlinux.h. Use BTF_KFUNCS_START/BTF_KFUNCS_END.`,
        related: kfuncRegs.map((r) => ({ file: r.file, span: r.fact.span, message: `registered as kfuncs for ${r.fact.progType ?? '?'}` })),
        fixes: [set8ToKfuncsFix(set)],
      });
    }
    return out;
  },
};
