/**
 * Background indexing of workspace folders: an asynchronous walk (no symlinks followed; `.git`, `node_modules`,
 * `progs` and the exclude patterns skipped), the literal prefilter, fact extraction for marked files, then a second
 * pass over unmarked .c files for registered names that have no definition yet (the CLI's indexTree does the same).
 * Work is done in slices of a few milliseconds with the event loop served in between, so requests never wait for
 * the index; progress goes to the client as window/workDoneProgress.
 */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PathFilter } from '../workspace/sourceFiles';
import { undefinedRegisteredNames } from '../workspace/indexPaths';
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

const SLICE_MS = 12;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function isSourceName(name: string): boolean {
  return name.endsWith('.c') || name.endsWith('.h');
}

/** Names from `names` that occur in `buf` (a cheap test before a definition search). */
function mentioned(buf: Buffer, names: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const n of names) if (buf.indexOf(n, 0, 'latin1') !== -1) out.add(n);
  return out;
}

export class Indexer {
  private readonly generation = new Map<string, number>();
  private readonly running = new Map<string, Promise<FolderStats | undefined>>();
  readonly stats = new Map<string, FolderStats>();

  constructor(
    private readonly analysis: Analysis,
    private readonly hooks: IndexerHooks,
  ) {}

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

  private async walk(folder: string, alive: () => boolean, onCount: (n: number) => void): Promise<string[]> {
    const settings = this.analysis.folderSettings(folder);
    const filter = new PathFilter(settings.index.exclude);
    const out: string[] = [];
    const stack = [folder];
    let sliceStart = performance.now();
    while (stack.length) {
      if (!alive()) return out;
      const dir = stack.pop()!;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        this.hooks.log(`cannot read directory ${dir}: ${(e as Error).message}`);
        continue;
      }
      entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
      for (const entry of entries) {
        const abs = path.join(dir, entry.name);
        // Dirent types come from lstat: symlinks are neither directories nor files here, so they are not followed.
        if (entry.isDirectory()) {
          if (entry.name === '.git' || entry.name === 'node_modules' || entry.name === 'progs') continue;
          if (filter.excluded(abs, folder, true)) continue;
          stack.push(abs);
        } else if (entry.isFile() && isSourceName(entry.name)) {
          if (!filter.excluded(abs, folder, false)) out.push(abs);
        }
      }
      if (performance.now() - sliceStart > SLICE_MS) {
        onCount(out.length);
        await yieldToLoop();
        sliceStart = performance.now();
      }
    }
    return out;
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
    try {
      const files = await this.walk(folder, alive, (n) => report(0, `${n} C files found`));
      if (!alive()) return undefined;
      stats.found = files.length;
      report(0, `${files.length} C files found`, true);

      const seen = new Set<string>();
      const unmarked: string[] = [];
      let sliceStart = performance.now();
      for (let i = 0; i < files.length; i++) {
        const file = files[i];
        seen.add(file);
        let buf: Buffer | undefined;
        try {
          buf = readFileSync(file);
        } catch (e) {
          this.hooks.log(`cannot read ${file}: ${(e as Error).message}`);
        }
        if (buf) {
          const result = this.analysis.indexDiskFile(file, buf);
          if (result === 'parsed') stats.parsed++;
          else if (result === 'skipped') {
            stats.skipped++;
            this.hooks.log(`skipped ${file}: ${this.analysis.unitFor(file).index.facts(file)?.skipped ?? ''}`);
          } else if (result === 'unmarked' && file.endsWith('.c')) unmarked.push(file);
        }
        if (performance.now() - sliceStart > SLICE_MS) {
          report((i / files.length) * 90, `${i + 1}/${files.length} files scanned, ${stats.parsed} parsed`);
          await yieldToLoop();
          if (!alive()) return undefined;
          sliceStart = performance.now();
        }
      }

      // Second pass: definitions of registered names that no marked file defines (pre-6.3 trees, tcp_cong).
      const missingByUnit = new Map(this.analysis.unitsOfFolder(folder).map((u) => [u, undefinedRegisteredNames(u.index)]));
      if ([...missingByUnit.values()].some((m) => m.size > 0)) {
        for (let i = 0; i < unmarked.length; i++) {
          const file = unmarked[i];
          const missing = missingByUnit.get(this.analysis.unitFor(file));
          if (missing && missing.size > 0) {
            let buf: Buffer | undefined;
            try {
              buf = readFileSync(file);
            } catch {
              buf = undefined;
            }
            const hits = buf ? mentioned(buf, missing) : new Set<string>();
            if (buf && hits.size > 0 && this.analysis.indexDiskFile(file, buf, hits) === 'parsed') stats.parsed++;
          }
          if (performance.now() - sliceStart > SLICE_MS) {
            report(90 + (i / unmarked.length) * 10, `looking for definitions of registered names (${i + 1}/${unmarked.length})`);
            await yieldToLoop();
            if (!alive()) return undefined;
            sliceStart = performance.now();
          }
        }
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
    }
  }
}
