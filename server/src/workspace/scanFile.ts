/**
 * What indexing does with one file, wherever it runs (a worker thread, the CLI, the language server): the size
 * limit, the literal prefilter, decoding, fact extraction. The first pass keeps files that mention a kfunc marker;
 * the second pass looks in unmarked .c files for definitions of registered names (pre-6.3 kfuncs carried no tag).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extractFacts } from '../facts/extract';
import type { FileFacts } from '../facts/types';
import { isIdentChar } from '../text/words';
import { decodeSource, hasKfuncMarker } from './sourceFiles';

/** What a file's scan found; `stat` ([size, mtimeMs]) is set when the file was read, for the facts cache. */
export type ScanResult = (
  | { kind: 'facts'; facts: FileFacts }
  | { kind: 'unmarked' }
  | { kind: 'skipped'; reason: string }
) & { stat?: [size: number, mtimeMs: number] };

export interface ScanOptions {
  maxBytes: number;
  /** Second pass: look only for definitions of these names (the file had no marker). */
  wantNames?: readonly string[];
}

/** Names from `names` written in `buf` as `name(` or `name (`: candidates for a definition. */
export function mentionedAsCall(buf: Buffer, names: readonly string[]): string[] {
  const hits: string[] = [];
  for (const n of names) {
    for (let i = buf.indexOf(n); i !== -1; i = buf.indexOf(n, i + n.length)) {
      const before = i > 0 ? buf[i - 1] : 32;
      const after = buf[i + n.length];
      if (!isIdentChar(before) && (after === 40 || after === 32 || after === 9 || after === 10)) {
        hits.push(n);
        break;
      }
    }
  }
  return hits;
}

export function scanBuffer(file: string, buf: Buffer, opts: ScanOptions): ScanResult {
  if (opts.wantNames) {
    const hits = mentionedAsCall(buf, opts.wantNames);
    if (hits.length === 0) return { kind: 'unmarked' };
    const decoded = decodeSource(buf, opts.maxBytes);
    if ('skipped' in decoded) return { kind: 'unmarked' };
    const facts = extractFacts(file, decoded.text, { wantNames: new Set(hits) });
    return facts.functions.some((f) => f.kind === 'definition') ? { kind: 'facts', facts } : { kind: 'unmarked' };
  }
  if (buf.length > opts.maxBytes) return { kind: 'skipped', reason: `larger than ${Math.round(opts.maxBytes / 1024)} KB` };
  if (!hasKfuncMarker(buf)) return { kind: 'unmarked' };
  const decoded = decodeSource(buf, opts.maxBytes);
  if ('skipped' in decoded) return { kind: 'skipped', reason: decoded.skipped };
  return { kind: 'facts', facts: extractFacts(file, decoded.text) };
}

/** One reusable read buffer per thread: most kernel files fit, so reading allocates nothing. */
let readBuffer = Buffer.allocUnsafe(1 << 20);

/**
 * Reads `file` (refusing one over the size limit before reading it) and scans it. The read buffer view is only
 * valid until the next call, so it never leaves this function.
 */
export function scanFile(file: string, opts: ScanOptions): ScanResult {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    return { kind: 'skipped', reason: `cannot read: ${(e as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    const size = st.size;
    const stat: [number, number] = [size, st.mtimeMs];
    if (size > opts.maxBytes && !opts.wantNames) return { kind: 'skipped', reason: `larger than ${Math.round(opts.maxBytes / 1024)} KB`, stat };
    if (size > opts.maxBytes) return { kind: 'unmarked', stat };
    if (size > readBuffer.length) readBuffer = Buffer.allocUnsafe(Math.max(size, readBuffer.length * 2));
    // Exactly `size` bytes: one read call for a regular file, not a second one to see the end.
    let n = 0;
    while (n < size) {
      const r = readSync(fd, readBuffer, n, size - n, null);
      if (r === 0) break;
      n += r;
    }
    return { ...scanBuffer(file, readBuffer.subarray(0, n), opts), stat };
  } catch (e) {
    return { kind: 'skipped', reason: `cannot read: ${(e as Error).message}` };
  } finally {
    closeSync(fd);
  }
}
