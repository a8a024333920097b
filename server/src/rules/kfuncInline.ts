/**
 * kfunc-inline: a kfunc defined `inline`/`__always_inline`. The kernel's `inline` is `inline __gnu_inline notrace`
 * (include/linux/compiler_types.h): a non-static one never gets an out-of-line body, a static one is folded into its
 * callers or dropped, and `__always_inline` forces that. Either way pahole finds no function, so the set entry
 * stays ID 0 and the whole set is rejected at registration.
 */
import { removeInlineFix } from '../fixes/definitionFixes';
import { definedKfuncs, relatedEntry } from './helpers';
import type { Finding, Rule } from './types';

const INLINE_SPELLINGS = ['__always_inline', 'nokprobe_inline', '__fastpath_inline', '__inline__', '__inline', 'inline'];

export const kfuncInline: Rule = {
  code: 'kfunc-inline',
  defaultSeverity: 'error',
  description: 'A kfunc is inline/__always_inline: it gets no out-of-line body and so no BTF FUNC.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const [k, def] of definedKfuncs(ctx.model.kfuncs.values())) {
      if (!def.fact.inline) continue;
      // Only a kfunc something registers or tags: an untagged inline helper named nowhere is not one.
      if (k.registrations.length === 0 && !k.bpfKfuncTag) continue;
      const spelling = INLINE_SPELLINGS.find((w) => def.fact.attributes.includes(w)) ?? 'inline';
      const isStatic = k.storage === 'static';
      const consequence =
        spelling === '__always_inline'
          ? `__always_inline forces it into its callers${k.bpfKfuncTag ? ' (it conflicts with the noinline of __bpf_kfunc)' : ''}, so no out-of-line ${k.name} is left`
          : !isStatic
            ? `the kernel's inline is __gnu_inline, and a non-static gnu_inline definition never gets an out-of-line body${k.bpfKfuncTag ? ' (__bpf_kfunc does not change that)' : ''}`
            : k.bpfKfuncTag
              ? `inline contradicts the noinline of __bpf_kfunc (and the kernel's inline adds notrace, so the kfunc cannot be traced); the body stays out of line only while noinline wins`
              : `a static inline function is folded into its callers or dropped (BPF is not a caller the compiler sees), so no out-of-line ${k.name} is left`;
      const stub = def.file.endsWith('.h') && !def.fact.bpfKfuncSpan
        ? ` The only definition found is this header body: the real one may lie outside the workspace.`
        : '';
      const fix = removeInlineFix(ctx, k);
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        message:
          `kfunc ${k.name} is ${isStatic ? 'static ' : ''}${spelling}: ${consequence}. Without an out-of-line body pahole emits no BTF FUNC, ` +
          `resolve_btfids warns "unresolved symbol ${k.name}" and leaves ID 0 in the set, and ` +
          `register_btf_kfunc_id_set() rejects the whole set with -EINVAL. Define it as an ordinary ` +
          `(__bpf_kfunc, non-inline) function.${stub}`,
        related: k.registrations.map((r) => relatedEntry(r)),
        fixes: fix ? [fix] : [],
      });
    }
    return out;
  },
};
