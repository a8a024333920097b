/** Fixes that edit a kfunc's definition or add it to a set. */
import type { Kfunc, SetInfo } from '../model/types';
import type { Fix, RuleContext } from '../rules/types';
import { insertAt, lineStartOf, pointAt } from './edits';

/** Drop `static` (and the blank after it) from the definition and from earlier prototypes in its file. */
export function removeStaticFix(ctx: Pick<RuleContext, 'text'>, k: Kfunc): Fix | undefined {
  const def = k.definition;
  if (!def) return undefined;
  const text = ctx.text(def.file);
  const protos = [def, ...k.declarations.filter((d) => d.file === def.file && d.fact.span.start < def.fact.span.start)];
  const edits = [];
  for (const p of protos) {
    const s = p.fact.staticSpan;
    if (!s) continue;
    let end = s.end;
    let endCharacter = s.endCharacter;
    if (text) {
      while (end < text.length && (text[end] === ' ' || text[end] === '\t')) {
        end++;
        endCharacter++;
      }
      // `static` alone on its line: keep the newline.
    }
    edits.push({ file: def.file, span: { ...s, end, endCharacter }, newText: '' });
  }
  return edits.length ? { title: `Remove 'static' from ${k.name}`, safe: true, edits } : undefined;
}

/** Put `__bpf_kfunc ` in front of the definition. */
export function addBpfKfuncFix(k: Kfunc): Fix | undefined {
  const def = k.definition;
  if (!def) return undefined;
  return { title: `Add __bpf_kfunc to ${k.name}`, safe: true, edits: [insertAt(def.file, pointAt(def.fact.headSpan, 'start'), '__bpf_kfunc ')] };
}

/** Register the kfunc in `set` (a set of the same file): a new entry just before the set's END. */
export function registerInSetFix(k: Kfunc, set: SetInfo): Fix | undefined {
  const end = set.fact.endSpan;
  if (!end) return undefined;
  return {
    title: `Register ${k.name} in ${set.fact.name}`,
    safe: false,
    edits: [insertAt(set.file, lineStartOf(end), `BTF_ID_FLAGS(func, ${k.name})\n`)],
  };
}

/** Surround the definition with __bpf_kfunc_start_defs() / __bpf_kfunc_end_defs(). */
export function wrapInDefsFix(k: Kfunc): Fix | undefined {
  const def = k.definition;
  if (!def) return undefined;
  return {
    title: `Wrap ${k.name} in __bpf_kfunc_start_defs() / __bpf_kfunc_end_defs()`,
    safe: true,
    edits: [
      insertAt(def.file, lineStartOf(def.fact.headSpan), '__bpf_kfunc_start_defs();\n\n'),
      insertAt(def.file, pointAt(def.fact.span, 'end'), '\n\n__bpf_kfunc_end_defs();'),
    ],
  };
}
