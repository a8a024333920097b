/**
 * set-unregistered: a kfunc set that no register_btf_kfunc_id_set()/register_btf_fmodret_id_set() call reaches.
 * Its members still get `bpf_kfunc` decl tags (they show up in vmlinux.h), but the verifier rejects every call.
 */
import type { Finding, Rule } from './types';

export const setUnregistered: Rule = {
  code: 'set-unregistered',
  defaultSeverity: 'warning',
  description: 'A kfunc set is never registered.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const set of ctx.model.sets) {
      if (!set.isKfuncSet || set.registrations.length > 0) continue;
      const funcs = set.entries.filter((e) => e.prefix === 'func');
      if (funcs.length === 0) continue;
      // Used directly (`btf_id_set8_contains(&set, kfunc_id)` in a filter or a context check): a membership list
      // for kfuncs registered through another set, not a set meant to be registered itself.
      if ((set.fact.uses ?? []).length > 0) continue;
      // The id set is used other than in a registration we can read: a wrapper macro, an array of id sets walked
      // by a loop, a helper taking it as an argument. Registered, just not by a literal call.
      if (set.idSets.some((s) => (s.fact.uses ?? []).length > 0)) continue;
      // A non-static id set could be registered from a file the index has not read yet.
      if (set.idSets.length > 0 && !ctx.complete) continue;
      const n = funcs.length;
      const what = `${n} function${n === 1 ? '' : 's'} (${funcs.slice(0, 3).map((e) => e.name).join(', ')}${n > 3 ? ', …' : ''})`;
      const head = set.idSets.length === 0
        ? `Set ${set.fact.name} is not used by any struct btf_kfunc_id_set (.set = &${set.fact.name}), so it is never registered`
        : `Set ${set.fact.name} is wrapped by ${set.idSets.map((s) => s.fact.name).join(', ')} but never passed to register_btf_kfunc_id_set()`;
      out.push({
        file: set.file,
        span: set.fact.startSpan,
        message:
          `${head}: its ${what} get bpf_kfunc BTF tags and appear in vmlinux.h, but no program type may call them — ` +
          `the verifier rejects each call with "calling kernel function … is not allowed". Register it from an initcall ` +
          `(register_btf_kfunc_id_set(BPF_PROG_TYPE_…, &kset)).`,
        related: set.idSets.map((s) => ({ file: s.file, span: s.fact.span, message: `id set ${s.fact.name}, never registered` })),
      });
    }
    return out;
  },
};
