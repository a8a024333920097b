/**
 * Incremental preparation of an open document's text for extraction: after an edit, the lexical scan and the
 * neutralised text are recomputed only for a window around the edit and spliced into the previous results; the
 * rest is the previous result with its offsets moved. The result is the one a fresh scanSource + neutralize of the
 * whole text gives (test/unit/facts/incremental.test.ts replays random edits against the fresh path); wherever that
 * cannot be shown cheaply the whole text is scanned again.
 *
 * The window runs from a boundary before the edit to one after it. A boundary is a line start between top-level
 * items: brace depth 0, not inside a comment, literal, directive, macro call or BTF list, and the last code before it
 * is a `;` or `}` (or nothing). Scanning and neutralising never carry anything across such a point except the
 * preprocessor-conditional stack (which the scanner uses to reset brace depth at #else/#endif): it is replayed
 * and must come out the same. The window's own results must close everything they open (comments, directives,
 * braces, BTF lists) before its end.
 */
import { type MacroCall, type MaskedToken, type Neutralized, neutralize } from '../parse/neutralize';
import { depthAt, directiveAt, nonCodeAt, prevCodeChar, type RawDirective, type SourceScan, scanSource } from '../parse/scanner';

/** The edited window: [start, oldEnd) of the previous text became [start, newEnd) of the new one. */
export interface EditWindow {
  start: number;
  oldEnd: number;
  newEnd: number;
}

export interface Prepared {
  scan: SourceScan;
  masked: Neutralized;
  /** Null after a full scan (nothing known about what changed). */
  window: EditWindow | null;
}

export interface PrepareStats {
  incremental: number;
  full: number;
}

/** Windows larger than this are not worth splicing (a full scan is a few milliseconds). */
const MAX_WINDOW = 256 * 1024;

/** How far to look for a boundary on either side of an edit. */
const BOUNDARY_SEARCH = 64 * 1024;

/** Scan and neutralised text of the last extraction of one document. */
export class TextState {
  text: string | null = null;
  scan: SourceScan | null = null;
  masked: Neutralized | null = null;
  readonly stats: PrepareStats = { incremental: 0, full: 0 };

  prepare(text: string): Prepared {
    let prepared: Prepared | null = null;
    if (this.text !== null && this.scan && this.masked) {
      try {
        prepared = splice(this.text, this.scan, this.masked, text);
      } catch {
        prepared = null; // never worse than a full scan
      }
    }
    if (prepared) this.stats.incremental++;
    else {
      const scan = scanSource(text);
      prepared = { scan, masked: neutralize(scan), window: null };
      this.stats.full++;
    }
    this.text = text;
    this.scan = prepared.scan;
    this.masked = prepared.masked;
    return prepared;
  }
}

// ---- comparing texts ---------------------------------------------------------------------------------------------

/** Length of the common prefix of a and b, compared a block at a time. */
export function commonPrefix(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  for (let block = 4096; block >= 16; block >>= 4) {
    while (i + block <= max && a.slice(i, i + block) === b.slice(i, i + block)) i += block;
  }
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Length of the common suffix of a and b that does not reach into the first `floor` characters of either. */
export function commonSuffix(a: string, b: string, floor: number): number {
  const max = Math.min(a.length, b.length) - floor;
  let i = 0;
  for (let block = 4096; block >= 16; block >>= 4) {
    while (i + block <= max && a.slice(a.length - i - block, a.length - i) === b.slice(b.length - i - block, b.length - i)) i += block;
  }
  while (i < max && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  return i;
}

// ---- boundaries --------------------------------------------------------------------------------------------------

/** Sorted [start, end) ranges, and whether `x` lies strictly inside one. */
function strictlyInside(ranges: ReadonlyArray<{ start: number; end: number }>, x: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  let k = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].start < x) {
      k = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Neither calls nor lists overlap one another.
  return k !== -1 && ranges[k].end > x;
}

/** Is the line start `x` a boundary of the previous text (see the module comment)? `prev`: the code before it. */
function boundaryAt(scan: SourceScan, masked: Neutralized, x: number): { ok: boolean; prev: number } {
  if (x === 0) return { ok: true, prev: -1 };
  const text = scan.text;
  if (text.charCodeAt(x - 1) !== 10) return { ok: false, prev: -1 };
  if (depthAt(scan, x) !== 0) return { ok: false, prev: -1 };
  const nc = nonCodeAt(scan, x);
  if (nc && nc[0] !== x) return { ok: false, prev: -1 };
  const d = directiveAt(scan, x);
  if (d && d.start !== x) return { ok: false, prev: -1 };
  const prev = prevCodeChar(scan, x);
  if (prev !== -1) {
    const c = text.charCodeAt(prev);
    if (c !== 59 && c !== 125) return { ok: false, prev };
  }
  if (strictlyInside(masked.calls, x) || strictlyInside(masked.lists, x)) return { ok: false, prev };
  return { ok: true, prev };
}

// ---- preprocessor conditionals (mirrors scanSource's depth resets) ------------------------------------------------

interface Cond {
  atIf: number;
  afterFirst: number;
  local: boolean;
}

const IF_KEYWORDS = new Set(['if', 'ifdef', 'ifndef']);
const ELSE_KEYWORDS = new Set(['elif', 'elifdef', 'elifndef', 'else', 'endif']);

/** The conditional stack after the directives of `scan` that start before `upTo`. */
function stackBefore(scan: SourceScan, upTo: number): Cond[] {
  const stack: Cond[] = [];
  for (const d of scan.directives) {
    if (d.start >= upTo) break;
    const k = d.keyword;
    const depth = depthAt(scan, d.start);
    if (IF_KEYWORDS.has(k)) stack.push({ atIf: depth, afterFirst: -1, local: false });
    else if (ELSE_KEYWORDS.has(k)) {
      const top = k === 'endif' ? stack.pop() : stack[stack.length - 1];
      if (top && top.afterFirst === -1) top.afterFirst = depth;
    }
  }
  return stack;
}

/**
 * Runs the window's directives on the stack at its start. False when one of them would reset the brace depth
 * through a conditional opened before the window (the window's own scan, which starts with an empty stack, did
 * not); otherwise the stack is left as the whole-text scan would have it at the window's end.
 */
function replayWindow(stack: Cond[], local: SourceScan): boolean {
  for (const d of local.directives) {
    const k = d.keyword;
    const depth = depthAt(local, d.start);
    if (IF_KEYWORDS.has(k)) stack.push({ atIf: depth, afterFirst: -1, local: true });
    else if (ELSE_KEYWORDS.has(k)) {
      const top = k === 'endif' ? stack.pop() : stack[stack.length - 1];
      if (!top || top.local) continue; // the window's scan did the same
      if (top.afterFirst === -1) top.afterFirst = depth;
      const next = k === 'endif' ? top.afterFirst : top.atIf;
      if (next !== depth) return false;
    }
  }
  return true;
}

function sameStacks(a: Cond[], b: Cond[]): boolean {
  return a.length === b.length && a.every((x, i) => x.atIf === b[i].atIf && x.afterFirst === b[i].afterFirst);
}

// ---- checking the window's own results ----------------------------------------------------------------------------

/**
 * The window's scan closes what it opens: comments, literals, directives, braces (never below its start). A window
 * that is not at the end of the text ends with a newline, before which everything closed ends; what still runs to
 * its end (an unterminated comment, a continued directive) would run on in the whole text.
 */
function closedScan(local: SourceScan, atEnd: boolean): boolean {
  const n = local.text.length;
  if (!atEnd) {
    const nc = local.nonCode;
    if (nc.length && nc[nc.length - 1] >= n) return false;
    const dirs = local.directives;
    if (dirs.length && dirs[dirs.length - 1].end >= n) return false;
  }
  let depth = 0;
  for (let k = 0; k < local.braceOffsets.length; k++) {
    const c = local.text.charCodeAt(local.braceOffsets[k]);
    const after = local.depthAfter[k];
    if (c === 125 && after !== depth - 1) return false; // a '}' closing something before the window
    depth = after;
  }
  return depth === 0;
}

// ---- splicing -----------------------------------------------------------------------------------------------------

function spliceInts(old: Int32Array, p: number, q: number, delta: number, local: Int32Array, pairs: boolean): Int32Array {
  // Entries (or pairs, by their start) before p, then the window's, then those from q on.
  const step = pairs ? 2 : 1;
  let before = 0;
  while (before < old.length && old[before] < p) before += step;
  let after = before;
  while (after < old.length && old[after] < q) after += step;
  const out = new Int32Array(before + local.length + (old.length - after));
  out.set(old.subarray(0, before), 0);
  for (let i = 0; i < local.length; i++) out[before + i] = local[i] + p;
  for (let i = after; i < old.length; i++) out[before + local.length + (i - after)] = old[i] + delta;
  return out;
}

function spliceDepths(oldScan: SourceScan, p: number, q: number, local: SourceScan): Int32Array {
  const old = oldScan.braceOffsets;
  let before = 0;
  while (before < old.length && old[before] < p) before++;
  let after = before;
  while (after < old.length && old[after] < q) after++;
  const out = new Int32Array(before + local.depthAfter.length + (old.length - after));
  out.set(oldScan.depthAfter.subarray(0, before), 0);
  out.set(local.depthAfter, before);
  out.set(oldScan.depthAfter.subarray(after), before + local.depthAfter.length);
  return out;
}

const shiftDirective = (d: RawDirective, by: number): RawDirective =>
  by === 0 ? d : { start: d.start + by, end: d.end + by, keyword: d.keyword, body: d.body, bodyStart: d.bodyStart + by };

function spliceList<T extends { start: number }>(old: T[], p: number, q: number, delta: number, local: T[], shift: (x: T, by: number) => T): T[] {
  const out: T[] = [];
  for (const x of old) if (x.start < p) out.push(x);
  for (const x of local) out.push(shift(x, p));
  for (const x of old) if (x.start >= q) out.push(shift(x, delta));
  return out;
}

const shiftToken = <T extends MaskedToken>(t: T, by: number): T => (by === 0 ? t : { ...t, start: t.start + by, end: t.end + by });

const shiftCall = (c: MacroCall, by: number): MacroCall =>
  by === 0
    ? c
    : {
        ...c,
        start: c.start + by,
        nameEnd: c.nameEnd + by,
        end: c.end + by,
        close: c.close === -1 ? -1 : c.close + by,
        args: c.args ? c.args.map((a) => ({ text: a.text, start: a.start + by, end: a.end + by })) : null,
      };

const shiftRange = (r: { start: number; end: number }, by: number) => (by === 0 ? r : { start: r.start + by, end: r.end + by });

/** The incremental path: null when it does not apply (the caller scans the whole text). */
function splice(oldText: string, oldScan: SourceScan, oldMasked: Neutralized, text: string): Prepared | null {
  if (oldText === text) return { scan: oldScan, masked: oldMasked, window: { start: 0, oldEnd: 0, newEnd: 0 } };
  const a = commonPrefix(oldText, text);
  const suffix = commonSuffix(oldText, text, a);
  const b = oldText.length - suffix; // old [a, b) became new [a, b')
  const delta = text.length - oldText.length;

  // The boundary at or before the edit.
  let p = -1;
  for (let x = oldText.lastIndexOf('\n', a - 1) + 1; ; x = oldText.lastIndexOf('\n', x - 2) + 1) {
    if (a - x > BOUNDARY_SEARCH) return null;
    if (boundaryAt(oldScan, oldMasked, x).ok) {
      p = x;
      break;
    }
    if (x === 0) return null;
  }
  // The boundary after it, whose preceding code is unchanged (so it is a boundary of the new text too).
  let q = -1;
  for (let x = oldText.indexOf('\n', b) + 1; x > 0; x = oldText.indexOf('\n', x) + 1) {
    if (x - b > BOUNDARY_SEARCH) return null;
    const at = boundaryAt(oldScan, oldMasked, x);
    if (at.ok && at.prev >= b) {
      q = x;
      break;
    }
  }
  if (q === -1) q = oldText.length; // the end of the text is a boundary
  const qNew = q + delta;
  if (qNew < p || qNew - p > MAX_WINDOW) return null;

  // The window, scanned and neutralised on its own.
  const local = scanSource(text.slice(p, qNew));
  if (!closedScan(local, qNew === text.length)) return null;
  const stack = stackBefore(oldScan, p);
  if (!replayWindow(stack, local) || !sameStacks(stack, stackBefore(oldScan, q))) return null;
  const localMasked = neutralize(local);
  if (localMasked.openAtEnd) return null;

  const scan: SourceScan = {
    text,
    nonCode: spliceInts(oldScan.nonCode, p, q, delta, local.nonCode, true),
    docComments: spliceInts(oldScan.docComments, p, q, delta, local.docComments, true),
    directives: spliceList(oldScan.directives, p, q, delta, local.directives, shiftDirective),
    braceOffsets: spliceInts(oldScan.braceOffsets, p, q, delta, local.braceOffsets, false),
    depthAfter: spliceDepths(oldScan, p, q, local),
  };
  const masked: Neutralized = {
    text: oldMasked.text.slice(0, p) + localMasked.text + oldMasked.text.slice(q),
    attributes: spliceList(oldMasked.attributes, p, q, delta, localMasked.attributes, shiftToken),
    calls: spliceList(oldMasked.calls, p, q, delta, localMasked.calls, shiftCall),
    statements: spliceList(oldMasked.statements, p, q, delta, localMasked.statements, shiftToken),
    lists: spliceList(oldMasked.lists, p, q, delta, localMasked.lists, shiftRange),
    openAtEnd: oldMasked.openAtEnd,
  };
  return { scan, masked, window: { start: p, oldEnd: q, newEnd: qNew } };
}
