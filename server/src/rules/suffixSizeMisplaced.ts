/**
 * suffix-size-misplaced: `__sz`/`__szk` gives the size of the memory passed in the parameter directly before it. The
 * verifier looks for it only there (get_kfunc_ptr_arg_type checks args[argno + 1]); anywhere else it is an ordinary
 * scalar, so the size is never checked and a `__szk` is not required to be constant (kfunc-spec §D R-40).
 */
import { relatedEntry } from './helpers';
import {
  callableDefinition,
  callableRegistrations,
  isFunctionPointer,
  isPointerToStruct,
  isSizeSuffix,
  kindOf,
  suffixOf,
  type Suffix,
} from './prototypeShared';
import type { ParamFact } from '../facts/types';
import type { Finding, Rule } from './types';

/** Pointer suffixes the verifier resolves before the memory/size case, so the pointer never takes a size. */
const NOT_MEMORY: ReadonlySet<Suffix> = new Set<Suffix>([
  '__ign',
  '__map',
  '__alloc',
  '__refcounted_kptr',
  '__str',
  '__iter',
  '__prog',
]);

/** Struct pointers the verifier recognises by type before the memory/size case (6.12 get_kfunc_ptr_arg_type). */
const SPECIAL_STRUCTS = ['bpf_dynptr', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node', 'bpf_wq'];

/** Why `prev` cannot take a size (undefined when it can, or when its kind is unknown). */
function notMemory(prev: ParamFact | undefined): string | undefined {
  if (!prev) return 'it is the first parameter';
  const label = `${prev.name ?? 'the parameter before it'} (${prev.type.text})`;
  const kind = kindOf(prev.type);
  if (kind === 'unknown') return undefined;
  if (kind !== 'pointer') return `it follows ${label}, which is not a pointer`;
  if (isFunctionPointer(prev.type)) return `it follows ${label}, a callback`;
  const s = suffixOf(prev.name);
  if (s && NOT_MEMORY.has(s)) return `it follows ${label}, which the ${s} suffix makes something other than memory`;
  const special = SPECIAL_STRUCTS.find((n) => isPointerToStruct(prev.type, n));
  if (special) return `it follows ${label}, which the verifier handles as a struct ${special}, not as memory`;
  return undefined;
}

export const suffixSizeMisplaced: Rule = {
  code: 'suffix-size-misplaced',
  defaultSeverity: 'warning',
  description: 'A __sz/__szk parameter does not directly follow a pointer parameter.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def) continue;
      const params = def.fact.params;
      params.forEach((p, i) => {
        const suffix = suffixOf(p.name);
        if (!isSizeSuffix(suffix)) return;
        // A size suffix on a pointer is suffix-type's finding.
        const kind = kindOf(p.type);
        if (kind !== 'scalar' && kind !== 'unknown') return;
        const why = notMemory(params[i - 1]);
        if (!why) return;
        out.push({
          file: def.file,
          span: p.span,
          kfunc: k.name,
          related: callableRegistrations(k).map((r) => relatedEntry(r)),
          message:
            `${p.name} of ${k.name} is named as a ${suffix} size, but ${why}: the verifier reads a size only right ` +
            `after the memory pointer it measures, so here it is a plain scalar, no buffer is bounds-checked` +
            `${suffix === '__szk' ? ' and it need not be a constant' : ''}. Put it directly after its pointer, or ` +
            `drop the ${suffix} suffix.`,
        });
      });
    }
    return out;
  },
};
