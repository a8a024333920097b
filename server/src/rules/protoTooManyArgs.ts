/**
 * proto-too-many-args: a kfunc call passes its arguments in R1-R5, so a kfunc may take at most five parameters.
 * With KF_IMPLICIT_ARGS the limit applies to the full `_impl` prototype, implicit parameters included
 * (kfunc-spec §C.3 R-20, §E.2 R-51; kernel/bpf/verifier.c check_kfunc_args "Function %s has %d > %d args").
 */
import { joinSpans } from '../fixes/edits';
import { relatedEntry } from './helpers';
import { callableDefinition, callableRegistrations, MAX_KFUNC_ARGS } from './prototypeShared';
import type { Finding, Rule } from './types';

export const protoTooManyArgs: Rule = {
  code: 'proto-too-many-args',
  defaultSeverity: 'error',
  description: 'A kfunc has more than 5 parameters, implicit ones included.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def) continue;
      const params = def.fact.params;
      if (params.length <= MAX_KFUNC_ARGS) continue;
      const implicitCount = k.implicitArgsFlag ? k.implicit.filter(Boolean).length : 0;
      const implicitNote =
        implicitCount > 0
          ? ` (${implicitCount} of them implicit: the verifier fills those in, but it checks the full ` +
            `${k.realImpl ? k.realImpl.fact.name : `${k.name}_impl`} prototype and they still take argument registers)`
          : '';
      out.push({
        file: def.file,
        span: joinSpans(params[MAX_KFUNC_ARGS].span, params[params.length - 1].span),
        kfunc: k.name,
        message:
          `${k.name} takes ${params.length} parameters${implicitNote}, but a kfunc call passes at most ` +
          `${MAX_KFUNC_ARGS} arguments (R1-R5): the verifier rejects every call with "Function ${k.name} has ` +
          `${params.length} > ${MAX_KFUNC_ARGS} args". Pass the extra values in a struct through a pointer.`,
        related: callableRegistrations(k).map((r) => relatedEntry(r)),
      });
    }
    return out;
  },
};
