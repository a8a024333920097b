/**
 * suffix-void-pointer: the verifier treats a `void *` kfunc argument as memory of unknown size, which it accepts only
 * when the next parameter is its `__sz`/`__szk` size, or when a suffix says what it is (kfunc-spec §C.3 R-22;
 * kernel/bpf/verifier.c get_kfunc_ptr_arg_type: "arg#%d pointer type %s %s must point to scalar, or struct with
 * scalar"). Otherwise every call that passes a pointer is rejected.
 */
import { relatedEntry } from './helpers';
import {
  callableDefinition,
  callableRegistrations,
  isSizeSuffix,
  isVoidPointer,
  kindOf,
  suffixOf,
  type Suffix,
} from './prototypeShared';
import type { Finding, Rule } from './types';

/**
 * Suffixes that route a `void *` away from the memory check. Beyond the contract's list: `__prog` (6.16-6.19, the
 * verifier fills in the program's aux; suffix-removed reports it on 7.0+) and `__str` (the verifier checks a
 * constant string and never looks at the pointee type; suffix-type reports the type), and `__arena` (a 2026
 * resolve_btfids names arena parameters this way; its verifier handling is not pinned, so stay silent).
 */
const ACCEPTED: ReadonlySet<Suffix> = new Set<Suffix>([
  '__map',
  '__ign',
  '__alloc',
  '__refcounted_kptr',
  '__uninit',
  '__nullable',
  '__prog',
  '__str',
  '__arena',
]);

/**
 * Kfuncs the verifier special-cases by BTF ID before looking at argument types: 6.12 get_kfunc_ptr_arg_type()
 * returns KF_ARG_PTR_TO_CTX for every argument of bpf_cast_to_kern_ctx(void *obj) (special_kfunc_list).
 */
const SPECIAL_VOID_PTR_KFUNCS = new Set(['bpf_cast_to_kern_ctx']);

export const suffixVoidPointer: Rule = {
  code: 'suffix-void-pointer',
  defaultSeverity: 'warning',
  description:
    'A void * kfunc parameter is neither followed by a __sz/__szk size nor named with __map, __ign, __alloc, ' +
    '__refcounted_kptr, __uninit or __nullable.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def || SPECIAL_VOID_PTR_KFUNCS.has(k.name)) continue;
      const params = def.fact.params;
      params.forEach((p, i) => {
        if (!isVoidPointer(p.type)) return;
        // Implicit parameters are hidden from BPF and filled in by the verifier.
        if (k.implicitArgsFlag && k.implicit[i]) return;
        const suffix = suffixOf(p.name);
        if (suffix && ACCEPTED.has(suffix)) return;
        const next = params[i + 1];
        if (next && isSizeSuffix(suffixOf(next.name)) && kindOf(next.type) !== 'pointer') return;
        const name = p.name ?? `#${i + 1}`;
        const base = p.name && suffix ? p.name.slice(0, -suffix.length) : p.name ?? 'buf';
        const why =
          suffix === '__opt'
            ? ` (__opt only makes the pointer of a pointer/size pair optional; it needs the size after it)`
            : suffix === '__iter'
              ? ` (__iter needs a struct bpf_iter_<type> pointer)`
              : '';
        out.push({
          file: def.file,
          span: p.span,
          kfunc: k.name,
          related: callableRegistrations(k).map((r) => relatedEntry(r)),
          message:
            `${p.type.text} parameter ${name} of ${k.name} is not followed by a __sz/__szk size and has no verifier ` +
            `suffix${why}: the verifier treats it as memory of unknown size and rejects calls that pass a pointer ` +
            `("arg#${i} pointer type UNKNOWN  must point to scalar, or struct with scalar"). Add a size parameter ` +
            `named ${base}__sz right after it, or name it for what it is (__map, __ign, __alloc, ` +
            `__refcounted_kptr, __uninit, __nullable).`,
        });
      });
    }
    return out;
  },
};
