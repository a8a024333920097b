/**
 * One lexical pass over C source: where comments, string/char literals and preprocessor directives are, and the
 * brace depth of code. Everything later (masking, the BTF macro reader, guards) asks this scan instead of re-lexing.
 * All offsets are JavaScript string indices (UTF-16 code units), the unit tree-sitter and LSP positions use here.
 */

export interface RawDirective {
  /** Offset of the '#'. */
  start: number;
  /** Offset just past the directive's last character (before the final newline). */
  end: number;
  /** `if`, `ifdef`, `define`, ... ('' for a null directive). */
  keyword: string;
  /** The rest of the logical line: continuations joined, comments dropped, whitespace collapsed. */
  body: string;
  /** Offset where `body` starts in the text (for locating names inside a #define). */
  bodyStart: number;
}

export interface SourceScan {
  readonly text: string;
  /** Sorted, non-overlapping [start, end) pairs of comments and string/char literals outside directives. */
  readonly nonCode: Int32Array;
  /** Doc comments (`/** ... *\/`) as [start, end) pairs, sorted. */
  readonly docComments: Int32Array;
  readonly directives: RawDirective[];
  /**
   * Offsets of code `{` and `}` (outside comments, literals and directives), with the depth after each; also the
   * `#elif`/`#else`/`#endif` that reset the depth, so that braces opened in both branches of a conditional
   * (`#ifdef A` `int f(void) {` `#else` `int f(int x) {` `#endif`) count once, as in any one compilation.
   */
  readonly braceOffsets: Int32Array;
  readonly depthAfter: Int32Array;
}

const NL = 10;
const CR = 13;
const SLASH = 47;
const STAR = 42;
const BACKSLASH = 92;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;
const LBRACE = 123;
const RBRACE = 125;

class IntList {
  private buf = new Int32Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.buf.slice(0, this.length);
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12;
}

/** End offset of a block comment starting at `i` (pointing at '/'); unterminated comments run to EOF. */
function skipBlockComment(text: string, i: number): number {
  const end = text.indexOf('*/', i + 2);
  return end === -1 ? text.length : end + 2;
}

/** End of a line comment starting at `i`: the newline (kept out), honouring backslash continuations. */
function skipLineComment(text: string, i: number): number {
  let j = i + 2;
  for (;;) {
    const nl = text.indexOf('\n', j);
    if (nl === -1) return text.length;
    let k = nl - 1;
    if (k >= 0 && text.charCodeAt(k) === CR) k--;
    if (k >= j && text.charCodeAt(k) === BACKSLASH) {
      j = nl + 1;
      continue;
    }
    return nl;
  }
}

/** End of a string or char literal at `i`; an unterminated literal stops at the end of its line. */
function skipLiteral(text: string, i: number, quote: number): number {
  const n = text.length;
  let j = i + 1;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) {
      j += 2;
      continue;
    }
    if (c === quote) return j + 1;
    if (c === NL) return j;
    j++;
  }
  return n;
}

/** Reads a directive starting at '#' (offset `i`); returns it and the offset where it ends. */
function readDirective(text: string, i: number): RawDirective {
  const n = text.length;
  let j = i + 1;
  const parts: string[] = [];
  let pieceStart = j;
  let end = n;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === NL) {
      let k = j - 1;
      if (k >= pieceStart && text.charCodeAt(k) === CR) k--;
      if (k >= pieceStart && text.charCodeAt(k) === BACKSLASH) {
        parts.push(text.slice(pieceStart, k));
        j++;
        pieceStart = j;
        continue;
      }
      end = k + 1;
      break;
    }
    if (c === SLASH && j + 1 < n) {
      const d = text.charCodeAt(j + 1);
      if (d === STAR) {
        parts.push(text.slice(pieceStart, j), ' ');
        j = skipBlockComment(text, j);
        pieceStart = j;
        continue;
      }
      if (d === SLASH) {
        parts.push(text.slice(pieceStart, j));
        j = skipLineComment(text, j);
        pieceStart = j;
        end = j;
        // the newline ends the directive
        break;
      }
    }
    if (c === DQUOTE || c === SQUOTE) {
      j = skipLiteral(text, j, c);
      continue;
    }
    j++;
  }
  if (j >= n) end = n;
  if (pieceStart < end) parts.push(text.slice(pieceStart, Math.min(end, n)));
  const full = parts.join('').replace(/\r/g, '');
  const m = /^\s*([A-Za-z_]*)/.exec(full);
  const keyword = m ? m[1] : '';
  const body = full.slice(m ? m[0].length : 0).replace(/\s+/g, ' ').trim();
  // Where the body begins in the original text: after '#', spaces and the keyword.
  let bodyStart = i + 1;
  while (bodyStart < n && isSpace(text.charCodeAt(bodyStart))) bodyStart++;
  bodyStart += keyword.length;
  while (bodyStart < n && isSpace(text.charCodeAt(bodyStart))) bodyStart++;
  return { start: i, end, keyword, body, bodyStart };
}

export function scanSource(text: string): SourceScan {
  const n = text.length;
  const nonCode = new IntList();
  const docComments = new IntList();
  const braceOffsets = new IntList();
  const depthAfter = new IntList();
  const directives: RawDirective[] = [];
  const conditionals: Array<{ atIf: number; afterFirst: number }> = [];
  let depth = 0;
  let atLineStart = true;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === NL) {
      atLineStart = true;
      i++;
      continue;
    }
    if (isSpace(c) || c === CR) {
      i++;
      continue;
    }
    if (c === BACKSLASH && i + 1 < n && (text.charCodeAt(i + 1) === NL || text.charCodeAt(i + 1) === CR)) {
      // A line splice outside a directive: whitespace for our purposes.
      i += 2;
      continue;
    }
    if (c === SLASH && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d === STAR) {
        const end = skipBlockComment(text, i);
        nonCode.push(i);
        nonCode.push(end);
        if (i + 2 < n && text.charCodeAt(i + 2) === STAR && !(i + 3 < n && text.charCodeAt(i + 3) === SLASH)) {
          docComments.push(i);
          docComments.push(end);
        }
        i = end;
        continue;
      }
      if (d === SLASH) {
        const end = skipLineComment(text, i);
        nonCode.push(i);
        nonCode.push(end);
        i = end;
        continue;
      }
    }
    if (c === HASH && atLineStart) {
      const dir = readDirective(text, i);
      directives.push(dir);
      i = dir.end;
      // Each branch of a conditional starts at the depth the #if had; after #endif the first branch's end counts.
      const k = dir.keyword;
      if (k === 'if' || k === 'ifdef' || k === 'ifndef') conditionals.push({ atIf: depth, afterFirst: -1 });
      else if (k === 'elif' || k === 'elifdef' || k === 'elifndef' || k === 'else' || k === 'endif') {
        const top = k === 'endif' ? conditionals.pop() : conditionals[conditionals.length - 1];
        if (top) {
          if (top.afterFirst === -1) top.afterFirst = depth;
          const next = k === 'endif' ? top.afterFirst : top.atIf;
          if (next !== depth) {
            depth = next;
            braceOffsets.push(dir.start);
            depthAfter.push(depth);
          }
        }
      }
      continue;
    }
    atLineStart = false;
    if (c === DQUOTE || c === SQUOTE) {
      const end = skipLiteral(text, i, c);
      nonCode.push(i);
      nonCode.push(end);
      i = end;
      continue;
    }
    if (c === LBRACE) {
      depth++;
      braceOffsets.push(i);
      depthAfter.push(depth);
    } else if (c === RBRACE) {
      depth = depth > 0 ? depth - 1 : 0;
      braceOffsets.push(i);
      depthAfter.push(depth);
    }
    i++;
  }
  return {
    text,
    nonCode: nonCode.toArray(),
    docComments: docComments.toArray(),
    directives,
    braceOffsets: braceOffsets.toArray(),
    depthAfter: depthAfter.toArray(),
  };
}

/** Index of the last element of `sorted` that is <= `value`, or -1. */
export function lastAtOrBefore(sorted: Int32Array | number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Brace depth of code at `offset`. */
export function depthAt(scan: SourceScan, offset: number): number {
  const k = lastAtOrBefore(scan.braceOffsets, offset - 1);
  return k === -1 ? 0 : scan.depthAfter[k];
}

/** The comment or string/char literal [start, end) containing `offset`, if any. */
export function nonCodeAt(scan: SourceScan, offset: number): [number, number] | undefined {
  const pairs = scan.nonCode; // [start, end) pairs, sorted
  let lo = 0;
  let hi = pairs.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (offset < pairs[2 * mid]) hi = mid - 1;
    else if (offset >= pairs[2 * mid + 1]) lo = mid + 1;
    else return [pairs[2 * mid], pairs[2 * mid + 1]];
  }
  return undefined;
}

/** True when `offset` lies inside a comment or a string/char literal. */
export function inNonCode(scan: SourceScan, offset: number): boolean {
  return nonCodeAt(scan, offset) !== undefined;
}

/** The directive containing `offset`, if any. */
export function directiveAt(scan: SourceScan, offset: number): RawDirective | undefined {
  const dirs = scan.directives;
  let lo = 0;
  let hi = dirs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const d = dirs[mid];
    if (offset < d.start) hi = mid - 1;
    else if (offset >= d.end) lo = mid + 1;
    else return d;
  }
  return undefined;
}

/**
 * The last code character before `from` (-1 at the start), skipping blanks, line splices, comments and directives.
 * A string or char literal counts as code.
 */
export function prevCodeChar(scan: SourceScan, from: number): number {
  const text = scan.text;
  let i = from - 1;
  while (i >= 0) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 92) {
      i--;
      continue;
    }
    const nonCode = nonCodeAt(scan, i);
    if (nonCode) {
      if (text.charCodeAt(nonCode[0]) !== 47) return i; // a literal, not a comment
      i = nonCode[0] - 1;
      continue;
    }
    const d = directiveAt(scan, i);
    if (d) {
      i = d.start - 1;
      continue;
    }
    return i;
  }
  return -1;
}

/** True when `offset` is in plain code: not in a comment, literal or directive. */
export function isCode(scan: SourceScan, offset: number): boolean {
  return !inNonCode(scan, offset) && directiveAt(scan, offset) === undefined;
}

/** Next offset >= `from` that is code and not whitespace (skipping comments, directives, line splices). */
export function nextCodeChar(scan: SourceScan, from: number, limit = scan.text.length): number {
  const text = scan.text;
  let i = from;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (isSpace(c) || c === NL || c === CR) {
      i++;
      continue;
    }
    if (c === BACKSLASH && i + 1 < limit && (text.charCodeAt(i + 1) === NL || text.charCodeAt(i + 1) === CR)) {
      i += 2;
      continue;
    }
    if (c === SLASH && i + 1 < limit && (text.charCodeAt(i + 1) === STAR || text.charCodeAt(i + 1) === SLASH)) {
      i = text.charCodeAt(i + 1) === STAR ? skipBlockComment(text, i) : skipLineComment(text, i);
      continue;
    }
    if (c === HASH) {
      const d = directiveAt(scan, i);
      if (d) {
        i = d.end;
        continue;
      }
    }
    return i;
  }
  return limit;
}

/** When a comment or a string/char literal starts at `i`, the offset just past it; otherwise -1. */
function skipCommentOrLiteral(text: string, i: number, limit: number): number {
  const c = text.charCodeAt(i);
  if (c === SLASH && i + 1 < limit) {
    const d = text.charCodeAt(i + 1);
    if (d === STAR) return skipBlockComment(text, i);
    if (d === SLASH) return skipLineComment(text, i);
  }
  if (c === DQUOTE || c === SQUOTE) return skipLiteral(text, i, c);
  return -1;
}

/**
 * Given the offset of a '(' in code, the offset of its matching ')' (skipping comments, literals and directives),
 * or -1 when unbalanced before `limit`.
 */
export function matchParen(scan: SourceScan, open: number, limit = scan.text.length): number {
  const text = scan.text;
  let depth = 0;
  let i = open;
  while (i < limit) {
    const c = text.charCodeAt(i);
    const skipped = skipCommentOrLiteral(text, i, limit);
    if (skipped !== -1) {
      i = skipped;
      continue;
    }
    if (c === HASH) {
      const d = directiveAt(scan, i);
      if (d) {
        i = d.end;
        continue;
      }
    }
    if (c === 40) depth++;
    else if (c === 41) {
      depth--;
      if (depth === 0) return i;
    } else if ((c === LBRACE || c === RBRACE || c === 59) && depth <= 1) {
      // A brace or ';' directly inside a macro's argument list means the list was never closed.
      return -1;
    }
    i++;
  }
  return -1;
}

export interface Arg {
  /** Argument text with comments removed and whitespace collapsed. */
  text: string;
  start: number;
  end: number;
}

/** Splits the argument list between `open` '(' and `close` ')' at top-level commas. */
export function splitArgs(scan: SourceScan, open: number, close: number): Arg[] {
  const text = scan.text;
  const args: Arg[] = [];
  let depth = 0;
  let start = open + 1;
  const pushArg = (end: number) => {
    const raw = text.slice(start, end);
    const cleaned = stripComments(raw).replace(/\\\r?\n/g, ' ').replace(/\s+/g, ' ').trim();
    // The span covers the argument's code: from its first to its last character outside comments and blanks.
    let s = -1;
    let e = start;
    for (let j = start; j < end; ) {
      const c = text.charCodeAt(j);
      if (c === SLASH && j + 1 < end && (text.charCodeAt(j + 1) === STAR || text.charCodeAt(j + 1) === SLASH)) {
        j = Math.min(end, text.charCodeAt(j + 1) === STAR ? skipBlockComment(text, j) : skipLineComment(text, j));
        continue;
      }
      if (isSpace(c) || c === NL || c === CR || c === BACKSLASH) {
        j++;
        continue;
      }
      const next = c === DQUOTE || c === SQUOTE ? Math.min(end, skipLiteral(text, j, c)) : j + 1;
      if (s === -1) s = j;
      e = next;
      j = next;
    }
    if (s === -1) s = e = start;
    args.push({ text: cleaned, start: s, end: e });
  };
  let i = open + 1;
  while (i < close) {
    const c = text.charCodeAt(i);
    const skipped = skipCommentOrLiteral(text, i, close);
    if (skipped !== -1) {
      i = skipped;
      continue;
    }
    if (c === 40 || c === 91 || c === LBRACE) depth++;
    else if (c === 41 || c === 93 || c === RBRACE) depth--;
    else if (c === 44 && depth === 0) {
      pushArg(i);
      start = i + 1;
    }
    i++;
  }
  pushArg(close);
  if (args.length === 1 && args[0].text === '') return [];
  return args;
}

/** Removes C comments from a snippet (used on short argument texts). */
export function stripComments(s: string): string {
  if (s.indexOf('/') === -1) return s;
  return s.replace(/\/\*[\s\S]*?(\*\/|$)|\/\/[^\n]*/g, ' ');
}
