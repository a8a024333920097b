/** kfunc-static: a kfunc with internal linkage may be inlined or dropped and then has no BTF FUNC. */
import { removeStaticFix } from '../fixes/definitionFixes';
import { isHeader } from './definitionShared';
import { isTestKfuncFile } from './helpers';
import { definedKfuncs, relatedEntry } from './helpers';
import type { Finding, Rule } from './types';

export const kfuncStatic: Rule = {
  code: 'kfunc-static',
  defaultSeverity: 'warning',
  description: 'A kfunc has internal linkage (static): it may be inlined or dropped and then has no BTF entry.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const [k, def] of definedKfuncs(ctx.model.kfuncs.values())) {
      if (k.storage !== 'static' || k.registrations.length === 0) continue;
      // `static inline` is kfunc-inline's (an error); a header body is a stub, not the kfunc the build uses.
      if (def.fact.inline || isHeader(def.file)) continue;
      // A static function whose address is taken in its file (tcp_congestion_ops tables) keeps an out-of-line
      // copy with its own signature, so pahole does emit it: the upstream tcp_bbr/cubic/dctcp pattern.
      if (def.fact.addressTaken) continue;
      // The BPF selftest module keeps a static kfunc on purpose (bpf_kfunc_call_test_static_unused_arg).
      if (isTestKfuncFile(def.file)) continue;
      const fix = removeStaticFix(ctx, k);
      const why = k.bpfKfuncTag
        ? `__bpf_kfunc keeps it out of line, but a static kfunc is not a stable symbol: pahole skips functions whose ` +
          `name resolves to several prototypes (another file's static function of the same name) or whose signature ` +
          `the compiler changed,`
        : `the compiler may inline it or drop it (BPF is its only caller),`;
      const via = def.fact.storage === 'static' ? '' : ' (through an earlier static prototype)';
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        message:
          `kfunc ${k.name} has internal linkage${via}: ${why} and without a BTF FUNC resolve_btfids leaves ID 0 in ` +
          `the set and register_btf_kfunc_id_set() fails with -EINVAL at boot, losing the whole set. Make it global.`,
        related: [
          ...k.declarations
            .filter((d) => d.file === def.file && d.fact.storage === 'static' && d.fact.span.start < def.fact.span.start)
            .map((d) => ({ file: d.file, span: d.fact.nameSpan, message: `declared static here: ${k.name}` })),
          ...k.registrations.map((r) => relatedEntry(r)),
        ],
        fixes: fix ? [fix] : [],
      });
    }
    return out;
  },
};
