/**
 * kfunc-unregistered (information): a `__bpf_kfunc` function that no kfunc set, fmodret set or destructor list of the
 * workspace names. BPF programs cannot call it ("calling kernel function X is not allowed" / no BTF ID in any
 * set); usually a forgotten BTF_ID_FLAGS line.
 */
import { registerInSetFix } from '../fixes/definitionFixes';
import { isHeader } from './definitionShared';
import { definedKfuncs } from './helpers';
import type { Finding, Fix, Rule } from './types';

export const kfuncUnregistered: Rule = {
  code: 'kfunc-unregistered',
  defaultSeverity: 'information',
  description: 'A __bpf_kfunc function is in no kfunc set, dtor list or fmodret set of the workspace.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    // A set elsewhere may still name it: wait until every file has been read.
    if (!ctx.complete) return out;
    for (const [k, def] of definedKfuncs(ctx.model.kfuncs.values())) {
      if (!k.bpfKfuncTag || isHeader(def.file)) continue;
      // Registered as a kfunc, an fmodret target or through a BTF_SET_START list (X-macro entries included).
      if (k.registrations.length > 0 || k.otherEntries.length > 0) continue;
      // Destructors: BTF_ID(func, x) in a BTF_ID_LIST passed to register_btf_id_dtor_kfuncs.
      if (k.dtors.length > 0 || (ctx.model.dtors?.get(k.name)?.length ?? 0) > 0) continue;
      // Called from C in its own file: a kernel function that uses the tag only to stay out of line as an
      // fentry/fexit attach target (bpf_fentry_test9 in net/bpf/test_run.c, called by bpf_prog_test_run_tracing).
      if (def.fact.calledInFile) continue;
      const fixes: Fix[] = [];
      for (const set of ctx.model.sets) {
        if (set.file !== def.file || !set.isKfuncSet) continue;
        if (set.progTypes.length > 0 && set.progTypes.every((t) => t === 'fmodret')) continue;
        const fix = registerInSetFix(k, set);
        if (fix) fixes.push(fix);
      }
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        message:
          `${k.name} is marked __bpf_kfunc but no kfunc set, fmodret set or destructor list in the workspace names ` +
          `it: it has no kfunc BTF ID, so BPF programs that call it fail to load ("calling kernel function ` +
          `${k.name} is not allowed"). Add BTF_ID_FLAGS(func, ${k.name}) to a registered set, or drop the tag if it ` +
          `is not meant to be a kfunc.`,
        fixes,
      });
    }
    return out;
  },
};
