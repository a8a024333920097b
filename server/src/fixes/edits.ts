/** Building and applying text edits (shared by code actions and `check --fix`). */
import type { Span } from '../facts/types';
import type { TextEdit } from '../rules/types';

/** An empty span at the start or end of `span` (an insertion point). */
export function pointAt(span: Span, which: 'start' | 'end'): Span {
  return which === 'start'
    ? { start: span.start, end: span.start, line: span.line, character: span.character, endLine: span.line, endCharacter: span.character }
    : { start: span.end, end: span.end, line: span.endLine, character: span.endCharacter, endLine: span.endLine, endCharacter: span.endCharacter };
}

/** An empty span at the beginning of the line where `span` starts. */
export function lineStartOf(span: Span): Span {
  const offset = span.start - span.character;
  return { start: offset, end: offset, line: span.line, character: 0, endLine: span.line, endCharacter: 0 };
}

/** The span from the start of `a` to the end of `b`. */
export function joinSpans(a: Span, b: Span): Span {
  return { start: a.start, end: b.end, line: a.line, character: a.character, endLine: b.endLine, endCharacter: b.endCharacter };
}

export function insertAt(file: string, at: Span, newText: string): TextEdit {
  return { file, span: at, newText };
}

/**
 * Applies edits (all for one file) to its text. Overlapping edits are refused: the first wins, later ones that
 * overlap it are dropped and returned.
 */
export function applyEdits(text: string, edits: TextEdit[]): { text: string; dropped: TextEdit[] } {
  const sorted = [...edits].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  const kept: TextEdit[] = [];
  const dropped: TextEdit[] = [];
  let lastEnd = -1;
  for (const e of sorted) {
    if (e.span.start < lastEnd || e.span.end > text.length) dropped.push(e);
    else {
      kept.push(e);
      lastEnd = Math.max(lastEnd, e.span.end);
    }
  }
  let out = '';
  let pos = 0;
  for (const e of kept) {
    out += text.slice(pos, e.span.start) + e.newText;
    pos = e.span.end;
  }
  return { text: out + text.slice(pos), dropped };
}
