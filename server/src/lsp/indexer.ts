/**
 * Background indexing of workspace folders, with the CLI's machinery (workspace/scanTree): an asynchronous walk (no
 * symlinks followed; `.git`, `node_modules`, `progs` and the exclude patterns skipped) feeding worker threads that
 * read, prefilter and extract facts, the on-disk facts cache for unchanged files, then a second pass over unmarked
 * .c files for registered names that have no definition yet. The server's thread only applies results, so requests
 * never wait for the index; progress goes to the client as window/workDoneProgress.
 */
import path from 'node:path';
import { cachingAvailable, FactsCache } from '../workspace/factsCache';
import { undefinedRegisteredNames } from '../workspace/indexPaths';
import type { ScanResult } from '../workspace/scanFile';
import { createScanPool, type ScanPool } from '../workspace/scanPool';
import { collectGarbage } from './memory';
import { scanForDefinitions, scanOptions, scanTree } from '../workspace/scanTree';
import type { Analysis } from './workspace';

export interface ProgressReporter {
  begin(title: string, percentage?: number, message?: string): void;
  report(percentage: number, message?: string): void;
  done(): void;
}

export interface IndexerHooks {
  progress(): Promise<ProgressReporter>;
  log(message: string): void;
  /** New facts are in: diagnostics should be recomputed. */
  changed(): void;
}

export interface FolderStats {
  folder: string;
  found: number;
  parsed: number;
  skipped: number;
  ms: number;
  complete: boolean;
}




export class Indexer {
  private readonly generation = new Map<string, number>();
  private readonly running = new Map<string, Promise<FolderStats | undefined>>();
  readonly stats = new Map<string, FolderStats>();

  private scanPool: ScanPool | undefined;
  /** Index runs using the pool (a superseded run may still be finishing its batch). */
  private poolUsers = 0;

  constructor(
    private readonly analysis: Analysis,
    private readonly hooks: IndexerHooks,
  ) {}

  /**
   * The scan pool: worker threads read, prefilter and parse, so requests are never held up. It lives while some
   * folder is being indexed; each worker holds its own V8 heap and tree-sitter, so an idle server does not keep them.
   */
  private acquirePool(): ScanPool {
    this.poolUsers++;
    this.scanPool ??= createScanPool();
    return this.scanPool;
  }

  private releasePool(): void {
    if (--this.poolUsers > 0 || !this.scanPool) return;
    const pool = this.scanPool;
    this.scanPool = undefined;
    void pool.close().then(() => setImmediate(collectGarbage));
  }

  /** (Re)indexes a folder; a run already going for it is abandoned. */
  index(folder: string): Promise<FolderStats | undefined> {
    const gen = (this.generation.get(folder) ?? 0) + 1;
    this.generation.set(folder, gen);
    this.analysis.setFolderComplete(folder, false);
    const run = this.run(folder, gen).catch((e) => {
      this.hooks.log(`indexing ${folder} failed: ${(e as Error).stack ?? e}`);
      return undefined;
    });
    this.running.set(folder, run);
    return run;
  }

  stop(folder: string): void {
    this.generation.set(folder, (this.generation.get(folder) ?? 0) + 1);
    this.running.delete(folder);
  }

  /** Resolves when every folder's current run has finished. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  get busy(): boolean {
    return this.running.size > 0;
  }

  private async run(folder: string, gen: number): Promise<FolderStats | undefined> {
    const alive = () => this.generation.get(folder) === gen;
    const t0 = performance.now();
    const stats: FolderStats = { folder, found: 0, parsed: 0, skipped: 0, ms: 0, complete: false };
    this.stats.set(folder, stats);
    const progress = await this.hooks.progress();
    const name = path.basename(folder) || folder;
    progress.begin(`kfunc-lsp: indexing ${name}`, 0, 'looking for C files');
    let lastReport = 0;
    const report = (pct: number, message: string, force = false) => {
      const now = performance.now();
      if (!force && now - lastReport < 200) return;
      lastReport = now;
      progress.report(Math.max(0, Math.min(100, Math.round(pct))), message);
    };
    const pool = this.acquirePool();
    try {
      const settings = this.analysis.folderSettings(folder);
      const cache = cachingAvailable() ? new FactsCache([folder], String(scanOptions(settings).maxBytes)).load() : undefined;
      const unmarked: string[] = [];
      const apply = (file: string, result: ScanResult, firstPass: boolean) => {
        const applied = this.analysis.applyScan(file, result, firstPass);
        if (applied === 'parsed') stats.parsed++;
        else if (applied === 'skipped' && result.kind === 'skipped') {
          stats.skipped++;
          this.hooks.log(`skipped ${file}: ${result.reason}`);
        } else if (applied === 'unmarked' && firstPass && file.endsWith('.c')) unmarked.push(file);
      };
      const seen = await scanTree([folder], {
        pool,
        settings,
        cache,
        background: true,
        alive,
        onResult: (file, result) => apply(file, result, true),
        onSkip: (file, message) => this.hooks.log(`${file}: ${message}`),
        onProgress: (done, found) => report((done / Math.max(found, 1)) * 90, `${done}/${found} files scanned, ${stats.parsed} parsed`),
      });
      if (!alive()) return undefined;
      stats.found = seen.size;

      // Second pass: definitions of registered names that no marked file defines (pre-6.3 trees, tcp_cong).
      const missing = new Set<string>();
      for (const unit of this.analysis.unitsOfFolder(folder)) for (const n of undefinedRegisteredNames(unit.index)) missing.add(n);
      if (missing.size > 0) {
        report(90, `looking for definitions of ${missing.size} registered names`, true);
        await scanForDefinitions(unmarked, [...missing], { pool, settings, alive, onResult: (file, result) => apply(file, result, false) });
        if (!alive()) return undefined;
      }

      // Files indexed by an earlier run that this walk no longer finds (deleted, or excluded now).
      for (const unit of this.analysis.unitsOfFolder(folder)) {
        for (const file of [...unit.diskFiles]) if (!seen.has(file)) this.analysis.removeDiskFile(file);
      }
      stats.ms = Math.round(performance.now() - t0);
      stats.complete = true;
      this.analysis.setFolderComplete(folder, true);
      this.hooks.log(`indexed ${folder}: ${stats.found} C files, ${stats.parsed} parsed, ${stats.skipped} skipped, ${stats.ms} ms`);
      this.hooks.changed();
      return stats;
    } finally {
      progress.done();
      if (this.generation.get(folder) === gen) this.running.delete(folder);
      this.releasePool();
    }
  }
}
