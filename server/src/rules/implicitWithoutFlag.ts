/**
 * implicit-without-flag: a parameter is implicit (type rule or name suffix) but a registration lacks
 * KF_IMPLICIT_ARGS, so the build keeps the full prototype and BPF programs would have to pass it themselves.
 */
import { addFlagFix } from '../fixes/entryFixes';
import { definedKfuncs, entryLabel, listText, relatedEntry } from './helpers';
import { isLegacyImplHalf } from './prototypeShared';
import type { Finding, Rule } from './types';

export const implicitWithoutFlag: Rule = {
  code: 'implicit-without-flag',
  defaultSeverity: 'error',
  description: 'A parameter is implicit but a registration of the kfunc lacks KF_IMPLICIT_ARGS.',
  appliesTo: (_version, flags) => flags.flags.has('KF_IMPLICIT_ARGS'),
  check(ctx) {
    const out: Finding[] = [];
    for (const [k, def] of definedKfuncs(ctx.model.kfuncs.values())) {
      const implicitParams = def.fact.params.filter((_, i) => k.implicit[i]);
      if (implicitParams.length === 0) continue;
      // The legacy pair: `foo_impl` keeps the full prototype on purpose next to a KF_IMPLICIT_ARGS `foo` (7.0
      // selftest bpf_kfunc_implicit_arg_legacy_impl takes struct bpf_prog_aux * with no flag).
      if (isLegacyImplHalf(k, ctx.model.kfuncs)) continue;
      const lacking = k.registrations.filter((r) => !r.flags.includes('KF_IMPLICIT_ARGS'));
      if (lacking.length === 0) continue;
      const first = implicitParams[0];
      const fix = addFlagFix(ctx, k, 'KF_IMPLICIT_ARGS');
      out.push({
        file: def.file,
        span: first.span,
        kfunc: k.name,
        message:
          `${listText(implicitParams.map((p) => `${p.name ?? '(unnamed)'} (${p.type.text})`))} of ${k.name} ` +
          `${implicitParams.length > 1 ? 'are' : 'is'} implicit (the verifier fills ${implicitParams.length > 1 ? 'them' : 'it'} in), ` +
          `but ${listText(lacking.map((r) => `${entryLabel(r)} in ${r.set.fact.name}`))} lack${lacking.length > 1 ? '' : 's'} ` +
          `KF_IMPLICIT_ARGS: resolve_btfids keeps the full prototype, so vmlinux.h shows ` +
          `${implicitParams.length > 1 ? 'them' : 'it'} to BPF programs and they must pass a value themselves; the ` +
          `7.0 verifier overwrites a struct bpf_prog_aux * by type, but later verifiers decide by position against ` +
          `the public prototype, check it as an ordinary trusted pointer and reject the call.`,
        related: lacking.map((r) => relatedEntry(r, 'registered without KF_IMPLICIT_ARGS')),
        fixes: fix ? [fix] : [],
      });
    }
    return out;
  },
};
