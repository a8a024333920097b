/**
 * Indexes whole trees: walk, prefilter, extract facts from the files that mention a kfunc marker, then look for
 * definitions of registered names that no marked file defines (before 6.3 kfuncs carried no tag, so
 * net/ipv4/tcp_cong.c has no marker at all and is found only this way). On disk the per-file work runs in worker
 * threads while the walk goes on; trees held in memory (git revisions, tests) are scanned in this thread.
 */
import { readFileSync } from 'node:fs';
import type { Settings } from '../config';
import { emptyFacts } from '../facts/extract';
import { type KernelInfo, type ReadText, resolveKernel, WorkspaceIndex } from '../index/workspaceIndex';
import { type ScanOptions, type ScanResult, scanBuffer } from './scanFile';
import { cachingAvailable, FactsCache } from './factsCache';
import { createScanPool, type ScanPool } from './scanPool';
import { scanForDefinitions, scanOptions, scanTree } from './scanTree';

export interface IndexNote {
  file: string;
  message: string;
}

export interface IndexResult {
  index: WorkspaceIndex;
  /** Files found by the walk. */
  filesSeen: number;
  /** Files parsed. */
  filesParsed: number;
  notes: IndexNote[];
}

export function readTextFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Names registered in a kfunc set of the index for which no definition was found. */
export function undefinedRegisteredNames(index: WorkspaceIndex): Set<string> {
  const out = new Set<string>();
  for (const k of index.model.kfuncs.values()) if (!k.definition) out.add(k.name);
  return out;
}

/** Collects scan results into an index, with the notes and counts a run reports. */
export class IndexBuilder {
  readonly notes: IndexNote[] = [];
  /** Unmarked .c files of the first pass: where the second pass looks. */
  readonly unmarked: string[] = [];
  filesSeen = 0;
  filesParsed = 0;

  constructor(readonly index: WorkspaceIndex) {}

  add(file: string, result: ScanResult, firstPass = true): void {
    if (firstPass) this.filesSeen++;
    switch (result.kind) {
      case 'facts':
        this.index.update(result.facts);
        this.filesParsed++;
        break;
      case 'skipped':
        this.notes.push({ file, message: `skipped: ${result.reason}` });
        if (firstPass) this.index.update(emptyFacts(file, result.reason));
        break;
      case 'unmarked':
        if (firstPass && file.endsWith('.c')) this.unmarked.push(file);
        break;
    }
  }

  result(): IndexResult {
    return { index: this.index, filesSeen: this.filesSeen, filesParsed: this.filesParsed, notes: this.notes };
  }
}

/** Where sources come from: the file system for trees on disk, git blobs for `diff --git`, memory in tests. */
export interface SourceTree {
  /** Candidate .c/.h files, already filtered by the walk's excludes. */
  files: string[];
  read(file: string): Buffer | undefined;
  readText: ReadText;
  /** Problems met while listing (unreadable directories). */
  notes: IndexNote[];
  /** Second pass: files that may define `names` (default: the unmarked .c files of the first pass). */
  candidatesFor?(names: string[]): string[];
}

/** Prefilter, extract, join: the index of a tree, scanned in this thread. */
export function indexTree(tree: SourceTree, kernel: KernelInfo, settings: Settings): IndexResult {
  const builder = new IndexBuilder(new WorkspaceIndex(kernel, settings, tree.readText));
  builder.notes.push(...tree.notes);
  const opts: ScanOptions = { maxBytes: settings.index.maxFileSizeKB * 1024 };
  const scan = (file: string, o: ScanOptions): ScanResult => {
    const buf = tree.read(file);
    return buf ? scanBuffer(file, buf, o) : { kind: 'skipped', reason: 'cannot read' };
  };
  for (const file of tree.files) builder.add(file, scan(file, opts));
  const missing = [...undefinedRegisteredNames(builder.index)];
  if (missing.length > 0) {
    for (const file of tree.candidatesFor ? tree.candidatesFor(missing) : builder.unmarked) {
      builder.add(file, scan(file, { ...opts, wantNames: missing }), false);
    }
  }
  return builder.result();
}

export interface IndexPathsOptions {
  /** A pool to reuse; by default one is made for the run and closed after it. */
  pool?: ScanPool;
  /** Reuse first-pass results of unchanged files from the on-disk facts cache, and update it (default: no). */
  cache?: boolean;
}

/** Indexes trees on disk; the scanning runs in worker threads (when available) while the walk continues. */
export async function indexPaths(paths: string[], settings: Settings, options: IndexPathsOptions = {}): Promise<IndexResult> {
  const kernel = resolveKernel(paths[0] ?? '.', settings, readTextFile);
  const builder = new IndexBuilder(new WorkspaceIndex(kernel, settings, readTextFile));
  const pool = options.pool ?? createScanPool();
  const cache = options.cache && cachingAvailable() ? new FactsCache(paths, String(scanOptions(settings).maxBytes)).load() : undefined;
  try {
    await scanTree(paths, {
      pool,
      settings,
      cache,
      onResult: (file, result) => builder.add(file, result),
      onSkip: (file, message) => builder.notes.push({ file, message }),
    });
    const missing = [...undefinedRegisteredNames(builder.index)];
    if (missing.length > 0) {
      await scanForDefinitions(builder.unmarked, missing, { pool, settings, onResult: (file, result) => builder.add(file, result, false) });
    }
  } finally {
    if (!options.pool) await pool.close();
  }
  return builder.result();
}
