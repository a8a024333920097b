/**
 * implicit-without-flag: a parameter is implicit (type rule or name suffix) but a registration lacks
 * KF_IMPLICIT_ARGS, so the build keeps the full prototype and BPF programs would have to pass it themselves.
 */
import { addImplicitArgsFix } from '../fixes/entryFixes';
import { definedKfuncs, entryLabel, listText, relatedEntry } from './helpers';
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
      // The legacy pair: `foo_impl` keeps the full prototype on purpose next to a KF_IMPLICIT_ARGS `foo`.
      const base = k.name.endsWith('_impl') ? ctx.model.kfuncs.get(k.name.slice(0, -5)) : undefined;
      if (base?.implicitArgsFlag) continue;
      const lacking = k.registrations.filter((r) => !r.flags.includes('KF_IMPLICIT_ARGS'));
      if (lacking.length === 0) continue;
      const first = implicitParams[0];
      const fix = addImplicitArgsFix(k);
      out.push({
        file: def.file,
        span: first.span,
        kfunc: k.name,
        message:
          `${listText(implicitParams.map((p) => `${p.name ?? '(unnamed)'} (${p.type.text})`))} of ${k.name} ` +
          `${implicitParams.length > 1 ? 'are' : 'is'} implicit (the verifier fills ${implicitParams.length > 1 ? 'them' : 'it'} in), ` +
          `but ${listText(lacking.map((r) => `${entryLabel(r)} in ${r.set.fact.name}`))} lack${lacking.length > 1 ? '' : 's'} ` +
          `KF_IMPLICIT_ARGS: BTF keeps the full prototype, so BPF programs must pass the argument themselves and the ` +
          `verifier rejects the call.`,
        related: lacking.map((r) => relatedEntry(r, 'registered without KF_IMPLICIT_ARGS')),
        fixes: fix ? [fix] : [],
      });
    }
    return out;
  },
};
