/**
 * An on-disk cache of first-pass scan results per file, keyed by path, size and modification time, so indexing a
 * tree again (a server restart, the next CI run) stats files instead of reading and parsing them. One JSON file per
 * indexed root under the cache folder ($KFUNC_LSP_CACHE, else $XDG_CACHE_HOME/kfunc-lsp, else ~/.cache/kfunc-lsp);
 * a build of kfunc-lsp only trusts entries written by the same build. Most of a kernel tree has no kfunc marker, so
 * those files are stored as one text table (fast to load), and only the few with facts as JSON objects.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { FileFacts } from '../facts/types';
import type { ScanResult } from './scanFile';

declare const KFUNC_LSP_BUILD: string | undefined;

/** A new value per build (esbuild defines it), so facts of another build are never reused. */
const BUILD = typeof KFUNC_LSP_BUILD === 'string' ? KFUNC_LSP_BUILD : 'dev';

export type FileStat = [size: number, mtimeMs: number];

/** Only bundled builds cache: in a development run the code can change without any version telling so. */
export function cachingAvailable(): boolean {
  return BUILD !== 'dev' && !process.env.KFUNC_LSP_NO_CACHE;
}

export function cacheDir(): string {
  return process.env.KFUNC_LSP_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'kfunc-lsp');
}

interface Stored {
  build: string;
  /** `path \t size \t mtime \t code` per line; code `u` unmarked, `s<n>` skipped (reason n), `f<n>` facts n. */
  table: string;
  reasons: string[];
  facts: FileFacts[];
}

export class FactsCache {
  /** file → `size \t mtime \t code`, as stored. */
  private rows = new Map<string, string>();
  private facts: FileFacts[] = [];
  private reasons: string[] = [];
  private dirty = false;
  private readonly file: string;

  /** `key` covers what changes a file's result besides its content (the size limit). */
  constructor(roots: string[], key: string, dir = cacheDir()) {
    const id = createHash('sha1').update(JSON.stringify([roots.map((r) => path.resolve(r)), key])).digest('hex').slice(0, 16);
    this.file = path.join(dir, 'facts', `${id}.json`);
  }

  load(): this {
    let data: Stored;
    try {
      data = JSON.parse(readFileSync(this.file, 'utf8')) as Stored;
    } catch {
      return this; // no cache yet, or unreadable: start empty
    }
    if (data.build !== BUILD) return this;
    this.facts = data.facts;
    this.reasons = data.reasons;
    // Kept as text (`size \t mtime \t code`) until looked up: most entries are only compared with a stat.
    for (const line of data.table.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0) this.rows.set(line.slice(0, tab), line.slice(tab + 1));
    }
    return this;
  }

  /** The cached result of `file` when its size and modification time are still the ones it was made from. */
  fresh(file: string): ScanResult | undefined {
    const row = this.rows.get(file);
    if (row === undefined) return undefined;
    let st;
    try {
      st = statSync(file);
    } catch {
      return undefined;
    }
    const prefix = `${st.size}\t${st.mtimeMs}\t`;
    if (!row.startsWith(prefix)) return undefined;
    const code = row.slice(prefix.length);
    const n = Number(code.slice(1));
    if (code[0] === 'f') return { kind: 'facts', facts: this.facts[n] };
    if (code[0] === 's') return { kind: 'skipped', reason: this.reasons[n] };
    return { kind: 'unmarked' };
  }

  set(file: string, stat: FileStat, result: ScanResult): void {
    let code = 'u';
    if (result.kind === 'facts') code = `f${this.facts.push(result.facts) - 1}`;
    else if (result.kind === 'skipped') code = `s${this.reasons.push(result.reason) - 1}`;
    this.rows.set(file, `${stat[0]}\t${stat[1]}\t${code}`);
    this.dirty = true;
  }

  /** Keeps only `files` (the ones the last walk found). */
  retain(files: ReadonlySet<string>): void {
    for (const f of this.rows.keys()) {
      if (!files.has(f)) {
        this.rows.delete(f);
        this.dirty = true;
      }
    }
  }

  get size(): number {
    return this.rows.size;
  }

  /** Writes the cache when it changed (atomically: a crash leaves the old file). A failure only costs speed. */
  save(): void {
    if (!this.dirty) return;
    // Facts and reasons still referenced by a row (replaced entries leave garbage behind), renumbered.
    const stored: Stored = { build: BUILD, table: '', reasons: [], facts: [] };
    const lines: string[] = [];
    for (const [file, row] of this.rows) {
      // Names with a tab or newline would break the table: such files are simply not cached.
      if (/[\t\n]/.test(file)) continue;
      const last = row.lastIndexOf('\t');
      const code = row.slice(last + 1);
      const n = Number(code.slice(1));
      let newCode = 'u';
      if (code[0] === 'f') newCode = `f${stored.facts.push(this.facts[n]) - 1}`;
      else if (code[0] === 's') newCode = `s${stored.reasons.push(this.reasons[n]) - 1}`;
      lines.push(`${file}\t${row.slice(0, last)}\t${newCode}`);
    }
    stored.table = lines.join('\n');
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(stored));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // Read-only home, full disk: run without a cache.
    }
  }
}
