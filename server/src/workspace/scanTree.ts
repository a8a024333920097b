/**
 * Scanning trees on disk, for the CLI and the language server alike: the walk feeds batches to the scan pool as it
 * goes; unchanged files take their result from the facts cache (one stat each) instead of being read. The second
 * pass looks in given files for definitions of registered names that no marked file defines.
 */
import path from 'node:path';
import type { Settings } from '../config';
import type { FactsCache } from './factsCache';
import type { ScanOptions, ScanResult } from './scanFile';
import type { BatchResult, ScanPool } from './scanPool';
import { walkSourceFiles, walkSourceFilesAsync } from './sourceFiles';

const BATCH = 256;

export interface ScanTreeOptions {
  pool: ScanPool;
  settings: Settings;
  cache?: FactsCache;
  onResult(file: string, result: ScanResult): void;
  onSkip(file: string, message: string): void;
  /** After each batch: files whose result is in, and files found so far. */
  onProgress?(done: number, found: number): void;
  /** Walk without blocking the event loop (the server); the CLI walks synchronously, which is faster. */
  background?: boolean;
  /** Stop early once this turns false (a newer indexing run replaced this one). */
  alive?: () => boolean;
}

export function scanOptions(settings: Settings): ScanOptions {
  return { maxBytes: settings.index.maxFileSizeKB * 1024 };
}

/** Scans every .c/.h file under `roots`; returns the set of files the walk found. */
export async function scanTree(roots: string[], o: ScanTreeOptions): Promise<Set<string>> {
  const opts = scanOptions(o.settings);
  const walked = new Set<string>();
  const batches: Array<Promise<BatchResult>> = [];
  let done = 0;
  const onBatch = (files: string[]) => {
    const toScan: string[] = [];
    for (const f of files) {
      walked.add(f);
      const cached = o.cache?.fresh(f);
      if (cached) {
        o.onResult(f, cached);
        done++;
      } else toScan.push(f);
    }
    if (toScan.length) batches.push(o.pool.submit(toScan, opts));
  };
  for (const root of roots) {
    const abs = path.resolve(root);
    const exclude = { exclude: o.settings.index.exclude };
    if (o.background) await walkSourceFilesAsync(abs, exclude, o.onSkip, onBatch, BATCH, o.alive);
    else walkSourceFiles(abs, exclude, o.onSkip, onBatch, BATCH);
  }
  for (const batch of batches) {
    const results = await batch;
    if (o.alive && !o.alive()) break;
    for (const [file, result] of results) {
      if (o.cache && result.stat) o.cache.set(file, result.stat, result);
      o.onResult(file, result);
    }
    done += results.length;
    o.onProgress?.(done, walked.size);
  }
  if (!o.alive || o.alive()) {
    o.cache?.retain(walked);
    o.cache?.save();
  }
  return walked;
}

/** The second pass: `files` (unmarked .c files) scanned for definitions of `names`. */
export async function scanForDefinitions(
  files: string[],
  names: string[],
  o: Pick<ScanTreeOptions, 'pool' | 'settings' | 'onResult' | 'alive'>,
): Promise<void> {
  const opts: ScanOptions = { ...scanOptions(o.settings), wantNames: names };
  const batches: Array<Promise<BatchResult>> = [];
  for (let i = 0; i < files.length; i += BATCH) batches.push(o.pool.submit(files.slice(i, i + BATCH), opts));
  for (const batch of batches) {
    const results = await batch;
    if (o.alive && !o.alive()) return;
    for (const [file, result] of results) o.onResult(file, result);
  }
}
