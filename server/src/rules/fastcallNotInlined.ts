/**
 * fastcall-not-inlined: KF_FASTCALL on a kfunc that neither the verifier nor a JIT inlines. From 6.13 the verifier
 * takes KF_FASTCALL as "this call is inlined" (is_fastcall_kfunc_call() returns the flag) and deletes the spill/fill
 * pairs clang's bpf_fastcall puts around the call, trusting that only R0 and the argument registers change. An
 * out-of-line C function clobbers all of R0-R5 (kfunc-spec §C.3 R-33).
 */
import { removeFlagFix } from '../fixes/entryFixes';
import { relatedFlagged } from './setRuleHelpers';
import type { Finding, Rule } from './types';

/**
 * Kfuncs that are rewritten inline. 6.13: the two the verifier's fixup_kfunc_call() replaces by a register move.
 * Later trees add kfuncs that fixup_kfunc_call() or the x86 JIT (bpf_jit_inlines_kfunc_call) inline; the names are
 * from the upstream series that add them with KF_FASTCALL (merge versions not all verified). Exempting a name that
 * a tree does not inline only makes the rule quieter.
 */
export const INLINED_KFUNCS = new Set([
  'bpf_cast_to_kern_ctx',
  'bpf_rdonly_cast',
  'bpf_get_cpu_time_counter',
  'bpf_cpu_time_counter_to_ns',
  'bpf_get_hw_counter',
  'bpf_get_cpu_cycles',
  'bpf_cpu_cycles_to_ns',
  'bpf_session_is_return',
  'bpf_session_cookie',
  'bpf_fsession_is_return',
  'bpf_fsession_cookie',
  'bpf_tracing_is_exit',
  'bpf_in_interrupt',
]);

export const fastcallNotInlined: Rule = {
  code: 'fastcall-not-inlined',
  defaultSeverity: 'warning',
  description: 'KF_FASTCALL on a kfunc the verifier does not inline.',
  // KF_FASTCALL exists from 6.13.
  appliesTo: (_version, flags) => flags.flags.has('KF_FASTCALL'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      if (INLINED_KFUNCS.has(k.name)) continue;
      const flagged = k.registrations.filter((r) => r.flags.includes('KF_FASTCALL'));
      if (flagged.length === 0) continue;
      const where = k.definition ?? null;
      const first = flagged[0];
      // Dropping the flag only gives up an optimisation; programs keep working on every kernel.
      const fix = removeFlagFix(ctx, k, 'KF_FASTCALL');
      out.push({
        file: where ? where.file : first.set.file,
        span: where ? where.fact.nameSpan : first.entry.nameSpan,
        kfunc: k.name,
        message:
          `${k.name} is registered with KF_FASTCALL, but it is an ordinary out-of-line C function (the verifier inlines ` +
          `only a few kfuncs, such as bpf_cast_to_kern_ctx and bpf_rdonly_cast): the verifier removes the spill/fill ` +
          `pairs clang's bpf_fastcall keeps around the call, assuming only R0 and the argument registers change, but the ` +
          `C call clobbers all of R0-R5, so programs read garbage from registers they expected preserved. Drop KF_FASTCALL.`,
        related: where ? relatedFlagged(flagged, 'KF_FASTCALL here') : relatedFlagged(flagged.slice(1), 'KF_FASTCALL here'),
        fixes: fix ? [fix] : [],
      });
    }
    return out;
  },
};
