/**
 * proto-bad-param-type: kfunc arguments must be integers/enums or pointers. A float/double, a struct or union
 * passed by value, or varargs make every call fail in add_kfunc_call()/check_kfunc_args() (kfunc-spec §C.3 R-20,
 * R-21; kernel/bpf/btf.c btf_distill_func_proto).
 */
import { relatedEntry } from './helpers';
import { callableDefinition, callableRegistrations, kindOf } from './prototypeShared';
import type { Finding, Rule } from './types';

export const protoBadParamType: Rule = {
  code: 'proto-bad-param-type',
  defaultSeverity: 'error',
  description: 'A kfunc parameter is a float/double, a struct or union passed by value, or varargs.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def) continue;
      const related = callableRegistrations(k).map((r) => relatedEntry(r));
      def.fact.params.forEach((p, i) => {
        const kind = kindOf(p.type);
        const who = `parameter ${p.name ?? `#${i + 1}`} (${p.type.text}) of ${k.name}`;
        if (kind === 'float') {
          out.push({
            file: def.file,
            span: p.span,
            kfunc: k.name,
            related,
            message:
              `${who} is floating-point: kfunc arguments travel in BPF registers as integers or pointers and BTF ` +
              `FLOAT is neither, so the verifier rejects every call ("The function ${k.name} arg${i} type FLOAT is ` +
              `unsupported"). Pass an integer (fixed-point) or a pointer instead.`,
          });
        } else if (kind === 'aggregate') {
          const what = p.type.baseKind === 'union' ? 'UNION' : 'STRUCT';
          out.push({
            file: def.file,
            span: p.span,
            kfunc: k.name,
            related,
            message:
              `${who} is a ${p.type.baseKind} passed by value: the verifier accepts only integers, enums and ` +
              `pointers as kfunc arguments and rejects every call ("Unrecognized arg#${i} type ${what}", or ` +
              `"arg${i} type ${what} is unsupported" above 16 bytes). Pass a pointer to it instead.`,
          });
        }
      });
      if (def.fact.variadic) {
        const last = def.fact.params[def.fact.params.length - 1];
        out.push({
          file: def.file,
          span: last ? last.span : def.fact.nameSpan,
          kfunc: k.name,
          related,
          message:
            `${k.name} takes variable arguments (...): BTF cannot describe them and the verifier rejects every ` +
            `call ("The function ${k.name} with variable args is unsupported"). Take a pointer and a __sz length ` +
            `instead (as bpf_stream_vprintk does).`,
        });
      }
    }
    return out;
  },
};
