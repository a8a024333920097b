/**
 * suffix-removed: 7.0 dropped the `__prog` suffix (aed57a363871: the verifier fills a `struct bpf_prog_aux *` of a
 * KF_IMPLICIT_ARGS kfunc instead) and the `__opt` suffix (a069190b590e: replaced by `__nullable`). On 7.0+ the
 * verifier no longer recognises them (kfunc-spec §D, §J R-53).
 */
import { relatedEntry } from './helpers';
import { atLeast } from '../kernel/version';
import { callableDefinition, callableRegistrations, suffixOf } from './prototypeShared';
import type { Finding, Rule } from './types';

export const suffixRemoved: Rule = {
  code: 'suffix-removed',
  defaultSeverity: 'error',
  description: 'A parameter uses the __prog or __opt suffix, which kernels from 7.0 no longer recognise.',
  appliesTo: (version) => atLeast(version, 7, 0),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def) continue;
      for (const p of def.fact.params) {
        const suffix = suffixOf(p.name);
        if (suffix !== '__prog' && suffix !== '__opt') continue;
        const base = p.name!.slice(0, -suffix.length);
        const message =
          suffix === '__prog'
            ? `${p.name} of ${k.name} uses __prog, which 7.0 removed ("bpf: Remove __prog"): the verifier no longer ` +
              `fills in the program's bpf_prog_aux, so BPF programs see ${p.name} as an ordinary ${p.type.text} ` +
              `argument and the verifier checks whatever they pass (a void * without a size is rejected). Declare ` +
              `it struct bpf_prog_aux *${base} as the last parameter and register ${k.name} with KF_IMPLICIT_ARGS.`
            : `${p.name} of ${k.name} uses __opt, which 7.0 replaced with __nullable ("bpf: Replace __opt annotation ` +
              `with __nullable for kfuncs"): the verifier no longer accepts NULL here, so calls that pass NULL for ` +
              `an optional buffer are rejected. Rename it ${base}__nullable.`;
        out.push({
          file: def.file,
          span: p.span,
          kfunc: k.name,
          related: callableRegistrations(k).map((r) => relatedEntry(r)),
          message,
        });
      }
    }
    return out;
  },
};
