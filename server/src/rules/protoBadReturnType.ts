/**
 * proto-bad-return-type: a kfunc returns void, an integer/enum or a pointer. A struct or union returned by value
 * (and, per the same kernel check, a float/double) makes add_kfunc_call() reject every call (kfunc-spec §C.3 R-23;
 * kernel/bpf/btf.c btf_distill_func_proto "The function %s return type %s is unsupported").
 */
import { relatedEntry } from './helpers';
import { callableDefinition, callableRegistrations, kindOf } from './prototypeShared';
import type { Finding, Rule } from './types';

export const protoBadReturnType: Rule = {
  code: 'proto-bad-return-type',
  defaultSeverity: 'error',
  description: 'A kfunc returns a struct or union by value (or a floating-point value).',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def) continue;
      const ret = def.fact.ret;
      const kind = kindOf(ret);
      if (kind !== 'aggregate' && kind !== 'float') continue;
      const btfKind = kind === 'float' ? 'FLOAT' : ret.baseKind === 'union' ? 'UNION' : 'STRUCT';
      const what = kind === 'float' ? `a floating-point ${ret.text}` : `${ret.text} by value`;
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        related: callableRegistrations(k).map((r) => relatedEntry(r)),
        message:
          `${k.name} returns ${what}: BPF receives a kfunc's result in R0, which holds an integer or a pointer, so ` +
          `the verifier rejects every call ("The function ${k.name} return type ${btfKind} is unsupported"). ` +
          `Return a pointer, or fill a caller-provided buffer (a pointer parameter followed by a __sz size).`,
      });
    }
    return out;
  },
};
