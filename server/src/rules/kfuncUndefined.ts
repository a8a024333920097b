/**
 * kfunc-undefined: `BTF_ID_FLAGS(func, x)` in a kfunc set names a function that no file of the workspace defines
 * (a typo, a renamed or removed kfunc). BTF_ID_FLAGS refers to the name only inside assembler text, so the build
 * compiles and links; resolve_btfids then warns "unresolved symbol x", leaves ID 0, and the set is rejected at
 * registration. Only once the index is complete: a file not read yet may hold the definition.
 */
import type { FunctionFact } from '../facts/types';
import type { KfuncModel, Located } from '../model/types';
import { entryLabel, relatedDefinition } from './helpers';
import type { Finding, Rule } from './types';

/** Levenshtein distance, giving up (returning max + 1) once it exceeds `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** A defined function whose name is one or two edits away (a misspelt entry). */
function nearMiss(model: KfuncModel, name: string): Located<FunctionFact> | undefined {
  let best: { d: number; def: Located<FunctionFact> } | undefined;
  for (const [other, facts] of model.functions) {
    if (other === name) continue;
    const def = facts.find((f) => f.fact.kind === 'definition');
    if (!def) continue;
    const d = distance(name, other, 2);
    if (d <= 2 && (!best || d < best.d)) best = { d, def };
  }
  return best?.def;
}

export const kfuncUndefined: Rule = {
  code: 'kfunc-undefined',
  defaultSeverity: 'warning',
  description: 'BTF_ID_FLAGS(func, x) names a function defined nowhere in the workspace.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    if (!ctx.complete) return out;
    for (const set of ctx.model.sets) {
      // Kfunc sets only: the index looks for definitions of their members across the tree (a second pass over files
      // without a kfunc marker, kernel/crash_core.c for crash_kexec). fmodret BTF_SET8_START sets and BTF_ID_LISTs
      // name ordinary kernel functions the index does not look for (update_socket_protocol in net/socket.c).
      if (!set.isKfuncSet) continue;
      for (const entry of set.entries) {
        if (entry.prefix !== 'func') continue;
        const k = ctx.model.kfuncs.get(entry.name);
        if (k?.definition) continue;
        if ((ctx.model.functions.get(entry.name) ?? []).some((f) => f.fact.kind === 'definition')) continue;
        // A prototype in a header the set's file includes: the definition is in a file outside the workspace (a
        // partial checkout, or a directory left out of the walk), not missing.
        if (ctx.declaredInIncludes(set.file, entry.name)) continue;
        const r = k?.registrations.find((x) => x.entry === entry);
        const label = r ? entryLabel(r) : `BTF_ID_FLAGS(func, ${entry.name})`;
        const via = entry.viaMacro ? ` (through ${entry.viaMacro})` : '';
        const similar = nearMiss(ctx.model, entry.name);
        out.push({
          file: set.file,
          span: entry.nameSpan,
          kfunc: entry.name,
          message:
            `${label}${via} in set ${set.fact.name} names a function that is defined nowhere in the workspace: ` +
            `the build still links (the name is only assembler text), but resolve_btfids warns "unresolved symbol ` +
            `${entry.name}" and leaves ID 0, and register_btf_kfunc_id_set() then rejects the whole set with -EINVAL.` +
            (similar ? ` Did you mean ${similar.fact.name}?` : ''),
          related: similar ? [relatedDefinition(similar, 'a similar name is defined here')] : undefined,
        });
      }
    }
    return out;
  },
};
