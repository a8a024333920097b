/**
 * Span ↔ LSP Range, URI ↔ file path, and the identifier under a position. Facts carry zero-based line/character in
 * UTF-16 code units, exactly LSP's default position encoding, so a Span maps to a Range without looking at text.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Position, Range } from 'vscode-languageserver';
import type { Span } from '../facts/types';
import { isIdentChar } from '../text/words';

export function spanToRange(span: Span): Range {
  return { start: { line: span.line, character: span.character }, end: { line: span.endLine, character: span.endCharacter } };
}

function before(a: Position, b: Position): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** Do two ranges overlap or touch (an empty range at a diagnostic's edge counts)? */
export function rangesIntersect(a: Range, b: Range): boolean {
  return !before(a.end, b.start) && !before(b.end, a.start);
}

/** The file path of a `file:` URI, or the URI itself for other schemes (untitled documents): the index key. */
export function uriToPath(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return path.normalize(fileURLToPath(uri));
    } catch {
      return uri;
    }
  }
  return uri;
}

export function isFileUri(uri: string): boolean {
  return uri.startsWith('file:');
}

export function pathToUri(file: string): string {
  return path.isAbsolute(file) ? pathToFileURL(file).href : file;
}

/**
 * Offset of a position in `text`, or undefined when the position lies outside the document (negative, past the
 * last line, or past the end of its line). Only `\n` ends a line for this purpose; `\r` before it counts as text.
 */
export function offsetAt(text: string, lineStarts: number[], pos: Position): number | undefined {
  if (!Number.isInteger(pos.line) || !Number.isInteger(pos.character) || pos.line < 0 || pos.character < 0) return undefined;
  if (pos.line >= lineStarts.length) return undefined;
  const start = lineStarts[pos.line];
  const next = pos.line + 1 < lineStarts.length ? lineStarts[pos.line + 1] - 1 : text.length;
  if (start + pos.character > next) return undefined;
  return start + pos.character;
}

export function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

export function positionAt(lineStarts: number[], offset: number): Position {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - lineStarts[lo] };
}

export interface Word {
  text: string;
  start: number;
  end: number;
}

/** The C identifier touching `offset` (the cursor may sit right after its last character). */
export function wordAt(text: string, offset: number): Word | undefined {
  let start = offset;
  let end = offset;
  while (start > 0 && isIdentChar(text.charCodeAt(start - 1))) start--;
  while (end < text.length && isIdentChar(text.charCodeAt(end))) end++;
  if (start === end) return undefined;
  const c = text.charCodeAt(start);
  if (c >= 48 && c <= 57) return undefined; // a number, not an identifier
  // Identifiers longer than this are not names anyone hovers; refusing them bounds later regex work.
  if (end - start > 512) return undefined;
  return { text: text.slice(start, end), start, end };
}
