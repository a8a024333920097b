/**
 * implicit-multiple-prog-aux: the 7.0 verifier fills in the calling program's bpf_prog_aux for a
 * `struct bpf_prog_aux *` kfunc parameter, and supports only one per kfunc: every call fails with the verifier_bug
 * "Only 1 prog->aux argument supported per-kfunc" (-EFAULT) (kfunc-spec §E.2 R-52, §E.5).
 */
import { relatedEntry } from './helpers';
import { callableDefinition, callableRegistrations, isProgAuxPointer } from './prototypeShared';
import type { Finding, Rule } from './types';

export const implicitMultipleProgAux: Rule = {
  code: 'implicit-multiple-prog-aux',
  defaultSeverity: 'error',
  description: 'A kfunc has more than one struct bpf_prog_aux * parameter.',
  appliesTo: (_version, flags) => flags.flags.has('KF_IMPLICIT_ARGS'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def) continue;
      const aux = def.fact.params.filter((p) => isProgAuxPointer(p.type));
      if (aux.length < 2) continue;
      out.push({
        file: def.file,
        span: aux[1].span,
        kfunc: k.name,
        related: [
          { file: def.file, span: aux[0].span, message: `first struct bpf_prog_aux * parameter: ${aux[0].name ?? '(unnamed)'}` },
          ...callableRegistrations(k).map((r) => relatedEntry(r)),
        ],
        message:
          `${k.name} has ${aux.length} struct bpf_prog_aux * parameters (${aux.map((p) => p.name ?? '(unnamed)').join(', ')}), ` +
          `but the verifier fills in only one per kfunc: every call fails with "Only 1 prog->aux argument supported ` +
          `per-kfunc" (-EFAULT). Keep a single trailing struct bpf_prog_aux *.`,
      });
    }
    return out;
  },
};
