/**
 * implicit-not-trailing: the BPF-visible prototype of a KF_IMPLICIT_ARGS kfunc keeps the parameters before the first
 * implicit one and stops (resolve_btfids process_kfunc_with_implicit_args breaks out of its copy loop). An ordinary
 * parameter after an implicit one silently vanishes from the BPF API and the verifier never sets it (kfunc-spec §E.2
 * Reported whether or not the flag is set yet (the same message either way): adding the flag, which is
 * implicit-without-flag's fix, hides the parameter.
 */
import { relatedEntry } from './helpers';
import { callableDefinition, callableRegistrations, isLegacyImplHalf } from './prototypeShared';
import type { Finding, Rule } from './types';

export const implicitNotTrailing: Rule = {
  code: 'implicit-not-trailing',
  defaultSeverity: 'error',
  description: 'An ordinary kfunc parameter follows an implicit one (it would vanish from the BPF API).',
  appliesTo: (_version, flags) => flags.flags.has('KF_IMPLICIT_ARGS'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def) continue;
      const first = k.implicit.indexOf(true);
      if (first === -1) continue;
      // The legacy foo_impl of a KF_IMPLICIT_ARGS foo is called with its full prototype: nothing is hidden.
      if (!k.implicitArgsFlag && isLegacyImplHalf(k, ctx.model.kfuncs)) continue;
      const params = def.fact.params;
      const hidden = params.map((p, i) => ({ p, i })).filter(({ i }) => i > first && !k.implicit[i]);
      if (hidden.length === 0) continue;
      const imp = params[first];
      const names = hidden.map(({ p }) => p.name ?? '(unnamed)');
      out.push({
        file: def.file,
        span: hidden[0].p.span,
        kfunc: k.name,
        related: [
          { file: def.file, span: imp.span, message: `first implicit parameter: ${imp.name ?? '(unnamed)'} (${imp.type.text})` },
          ...callableRegistrations(k).map((r) => relatedEntry(r)),
        ],
        message:
          `${names.join(', ')} of ${k.name} ${names.length > 1 ? 'follow' : 'follows'} the implicit parameter ` +
          `${imp.name ?? '(unnamed)'} (${imp.type.text}): the BPF-visible ${k.name} keeps only the parameters ` +
          `before the first implicit one, so ${names.length > 1 ? 'they vanish' : 'it vanishes'} from the BPF API and the ` +
          `verifier never sets ${names.length > 1 ? 'them' : 'it'}` +
          ` (the kfunc reads a stale register). Move the implicit parameter${k.implicit.filter(Boolean).length > 1 ? 's' : ''} to the end.`,
      });
    }
    return out;
  },
};
