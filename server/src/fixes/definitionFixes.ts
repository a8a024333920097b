/** Fixes that edit a kfunc's definition or add it to a set. */
import type { Span } from '../facts/types';
import type { Kfunc, SetInfo } from '../model/types';
import type { Fix, RuleContext, TextEdit } from '../rules/types';
import { LineIndex } from '../text/lineIndex';
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
  // Another file's global definition of the same name would make the link fail ("multiple definition").
  const clash = k.definitions.some((d) => d.file !== def.file && d.file.endsWith('.c') && d.fact.storage === 'extern');
  return edits.length ? { title: `Remove 'static' from ${k.name}`, safe: !clash, edits } : undefined;
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

/**
 * Where text placed "above the definition" goes: the start of the line of the comment block directly above it (a
 * kernel-doc comment belongs to the function, so a wrapper must not separate them), else of the definition's head.
 */
function aboveDefinition(text: string | undefined, head: Span): Span {
  const fallback = lineStartOf(head);
  if (!text) return fallback;
  let i = fallback.start;
  let at = fallback.start;
  // Walk up over comment blocks that end on the line right above.
  for (;;) {
    let j = i - 1;
    while (j >= 0 && /\s/.test(text[j])) j--;
    if (j < 1 || text[j] !== '/' || text[j - 1] !== '*') break;
    // Directly above: no blank line between the comment and what follows it.
    if ((text.slice(j + 1, i).match(/\n/g) ?? []).length > 1) break;
    const open = text.lastIndexOf('/*', j - 2);
    if (open === -1) break;
    // The comment must start its own line.
    const lineStart = text.lastIndexOf('\n', open - 1) + 1;
    if (text.slice(lineStart, open).trim() !== '') break;
    at = lineStart;
    i = lineStart;
  }
  if (at === fallback.start) return fallback;
  const p = new LineIndex(text).positionAt(at);
  return { start: at, end: at, line: p.line, character: 0, endLine: p.line, endCharacter: 0 };
}

/**
 * Surround the definition with __bpf_kfunc_start_defs() / __bpf_kfunc_end_defs(); the opening line goes above the
 * kernel-doc comment.
 */
export function wrapInDefsFix(ctx: Pick<RuleContext, 'text'>, k: Kfunc): Fix | undefined {
  const def = k.definition;
  if (!def) return undefined;
  return {
    title: `Wrap ${k.name} in __bpf_kfunc_start_defs() / __bpf_kfunc_end_defs()`,
    safe: true,
    edits: [
      insertAt(def.file, aboveDefinition(ctx.text(def.file), def.fact.headSpan), '__bpf_kfunc_start_defs();\n\n'),
      insertAt(def.file, pointAt(def.fact.span, 'end'), '\n\n__bpf_kfunc_end_defs();'),
    ],
  };
}

const INLINE_WORDS = /\b(?:__always_inline|__inline__|__inline|inline|nokprobe_inline|__fastpath_inline)\b[ \t]*/g;

/** Drop the inline keywords (`inline`, `__always_inline`, ...) from the definition's head. Not proven safe. */
export function removeInlineFix(ctx: Pick<RuleContext, 'text'>, k: Kfunc): Fix | undefined {
  const def = k.definition;
  const text = def ? ctx.text(def.file) : undefined;
  if (!def || !text) return undefined;
  const lines = new LineIndex(text);
  const from = def.fact.headSpan.start;
  const head = text.slice(from, def.fact.nameSpan.start);
  const edits: TextEdit[] = [];
  for (const m of head.matchAll(INLINE_WORDS)) {
    const start = from + m.index!;
    const end = start + m[0].length;
    const s = lines.positionAt(start);
    const e = lines.positionAt(end);
    edits.push({ file: def.file, span: { start, end, line: s.line, character: s.character, endLine: e.line, endCharacter: e.character }, newText: '' });
  }
  return edits.length ? { title: `Remove 'inline' from ${k.name}`, safe: false, edits } : undefined;
}
