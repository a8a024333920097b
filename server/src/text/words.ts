/** Whole-word search without building a RegExp from input (V8 refuses patterns over ~32K characters). */

/** A C identifier character: [A-Za-z0-9_]. */
export const isIdentChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** Offsets of `word` in `text` where it stands as a whole word (what `/\bword\b/g` finds for an identifier). */
export function wordOffsets(text: string, word: string, from = 0): number[] {
  const out: number[] = [];
  for (let i = firstWordOffset(text, word, from); i !== -1; i = firstWordOffset(text, word, i + word.length)) out.push(i);
  return out;
}

/** The first offset at or after `from` where `word` stands as a whole word, or -1. */
export function firstWordOffset(text: string, word: string, from = 0): number {
  if (!word) return -1;
  for (let i = text.indexOf(word, from); i !== -1; i = text.indexOf(word, i + 1)) {
    if (i > 0 && isIdentChar(text.charCodeAt(i - 1))) continue;
    if (isIdentChar(text.charCodeAt(i + word.length))) continue;
    return i;
  }
  return -1;
}

/** Does `word` occur in `text` as a whole word? */
export function hasWord(text: string, word: string): boolean {
  return firstWordOffset(text, word) !== -1;
}
