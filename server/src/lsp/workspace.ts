/**
 * The server's state: workspace folders, one analysis unit per kernel tree (a WorkspaceIndex with its settings),
 * and the open documents. Open documents are the authority for their files: their facts (all functions, incremental
 * parse) replace what the background indexer read from disk. Files are read only inside workspace folders.
 *
 * Kernel trees: a file belongs to the nearest directory above it, inside its workspace folder, whose Makefile names
 * a kernel version (VERSION/PATCHLEVEL); failing that, to the workspace folder itself. Files outside every folder
 * (and untitled documents) form "loose" units that read nothing from disk. One WorkspaceIndex per unit.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { defaultSettings, mergeSettings, type Settings } from '../config';
import { emptyFacts, extractFacts } from '../facts/extract';
import type { FileFacts } from '../facts/types';
import { resolveKernel, WorkspaceIndex } from '../index/workspaceIndex';
import { type KernelVersion, versionFromMakefile } from '../kernel/version';
import type { Diagnostic } from '../rules/types';
import { type ScanResult, scanBuffer } from '../workspace/scanFile';
import { decodeSource, PathFilter } from '../workspace/sourceFiles';
import { computeLineStarts, isFileUri, uriToPath } from './positions';
import { forgetKbuildReaders } from '../rules/kfuncGuardMismatch';
import { TreeCache } from './treeCache';

/** One kernel tree (or workspace folder, or loose directory) and its index. */
export class KernelUnit {
  /** Diagnostics need recomputing (facts or settings changed). */
  dirty = true;
  /** The workspace walk that covers this unit has finished (kfunc-undefined waits for it). */
  complete = false;
  /** Last computed diagnostics, by file. */
  diagnostics = new Map<string, Diagnostic[]>();
  /** Files read from disk by the indexer (not open documents). */
  readonly diskFiles = new Set<string>();

  constructor(
    readonly key: string,
    readonly root: string | null,
    readonly folder: string | null,
    public settings: Settings,
    public index: WorkspaceIndex,
  ) {}
}

export interface DocState {
  uri: string;
  /** The index key: the file path, or the URI for documents that are not files. */
  path: string;
  doc: TextDocument;
  unit: KernelUnit;
  /** False for excluded paths (BPF programs under progs/, user excludes): facts kept here, not in the index. */
  inIndex: boolean;
  /** doc.version the facts were extracted from (-1: never). */
  factsVersion: number;
  facts: FileFacts;
  /** Why the document is not analysed (too large, binary), or null. */
  skipped: string | null;
  lineStartsVersion: number;
  lineStarts: number[];
}

export interface AnalysisHooks {
  log(message: string): void;
  /** A document could not be analysed; say so once. */
  notice(uri: string, message: string): void;
}

/** Deep equality of plain data (what JSON.stringify would compare, without building the strings). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    // JSON.stringify leaves undefined members out.
    if (x === undefined && !(k in b)) continue;
    if (!sameData(x, y)) return false;
  }
  return true;
}

function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** Characters of disk text readText() keeps (see Analysis.diskTexts). */
const DISK_TEXT_BUDGET = 8 * 1024 * 1024;

/** Limit for one extraction of an open document's parse (a pathological file must not freeze the server). */
export const PARSE_TIMEOUT_MS = 5000;

export class Analysis {
  private folderList: Array<{ path: string; real: string }> = [];
  private readonly units = new Map<string, KernelUnit>();
  private readonly makefileVersions = new Map<string, KernelVersion | null>();
  readonly docs = new Map<string, DocState>();
  private readonly docsByPath = new Map<string, DocState>();
  readonly trees = new TreeCache(12, PARSE_TIMEOUT_MS);
  /** Editor settings (the `kfuncLsp` section) per folder; key '' for the global/default scope. */
  private readonly editorSettings = new Map<string, unknown>();
  /** Folders whose background walk has finished. */
  private readonly completeFolders = new Set<string>();
  /** readable() answers by path (cleared when the folders change). */
  private readonly readableCache = new Map<string, boolean>();
  /**
   * Texts readText() decoded from disk, by path, with the stat they were read under: a file whose size, mtime and
   * inode are unchanged is not read again. The rules ask for the same files after every edit (definitions for
   * acquire-rcu-ret-null, Makefiles for kfunc-guard-mismatch); bounded by DISK_TEXT_BUDGET characters, least
   * recently used dropped first.
   */
  private readonly diskTexts = new Map<string, { size: number; mtimeMs: number; ino: number; text: string | undefined }>();
  private diskTextChars = 0;

  /**
   * How long the rules may trust what they read from Makefiles and Kbuild files before looking again. Without a
   * file watcher, 2 s; a client that watches them tells us of every change (kernelFilesChanged), so never.
   */
  kbuildRecheckMs = 2000;

  constructor(private readonly hooks: AnalysisHooks) {}

  // ---- folders, units, settings -------------------------------------------------------------------------------

  get folders(): string[] {
    return this.folderList.map((f) => f.path);
  }

  setFolders(folders: string[]): void {
    this.folderList = [...new Set(folders.map((f) => path.resolve(f)))].map((p) => {
      let real = p;
      try {
        real = realpathSync(p);
      } catch {
        /* keep */
      }
      return { path: p, real };
    });
    // Longest first, so the innermost folder wins for nested folders.
    this.folderList.sort((a, b) => b.path.length - a.path.length);
    this.readableCache.clear();
  }

  folderOf(file: string): string | null {
    if (!path.isAbsolute(file)) return null;
    for (const f of this.folderList) if (inside(file, f.path)) return f.path;
    return null;
  }

  allUnits(): KernelUnit[] {
    return [...this.units.values()];
  }

  unitsOfFolder(folder: string): KernelUnit[] {
    return this.allUnits().filter((u) => u.folder === folder);
  }

  setEditorSettings(folder: string | null, value: unknown): void {
    this.editorSettings.set(folder ?? '', value);
  }

  /** Is `file` inside a workspace folder, also after resolving symlinks? */
  readable(file: string): boolean {
    let answer = this.readableCache.get(file);
    if (answer === undefined) {
      answer = this.readableNow(file);
      // Only positive answers are kept: a file that does not exist yet may be created later.
      if (answer) this.readableCache.set(file, answer);
    }
    return answer;
  }

  private readableNow(file: string): boolean {
    if (!path.isAbsolute(file)) return false;
    const abs = path.resolve(file);
    if (!this.folderList.some((f) => inside(abs, f.path))) return false;
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      return false;
    }
    return this.folderList.some((f) => inside(real, f.real) || inside(real, f.path));
  }

  /** A file's text: the open document's, else the disk's when inside a workspace folder and decodable. */
  readonly readText = (file: string): string | undefined => {
    const open = this.docsByPath.get(file);
    if (open) return open.doc.getText();
    if (this.batchTexts) {
      if (this.batchTexts.has(file)) return this.batchTexts.get(file);
      const text = this.readDiskText(file);
      this.batchTexts.set(file, text);
      return text;
    }
    return this.readDiskText(file);
  };

  /** Texts read during one diagnostics run: each file is looked at (stat) once, however many rules ask. */
  private batchTexts: Map<string, string | undefined> | null = null;

  /** Runs `f` with disk reads remembered for its duration (files do not change under a synchronous run). */
  batch<T>(f: () => T): T {
    if (this.batchTexts) return f();
    this.batchTexts = new Map();
    try {
      return f();
    } finally {
      this.batchTexts = null;
    }
  }

  private readDiskText(file: string): string | undefined {
    if (!path.isAbsolute(file) || !this.folderOf(path.resolve(file))) return undefined;
    try {
      // Missing files (a directory's Kbuild, include candidates) are common: stat before resolving symlinks.
      const st = statSync(file, { throwIfNoEntry: false });
      if (!st || !st.isFile() || st.size > 16 * 1024 * 1024 || !this.readable(file)) {
        this.forgetDiskText(file);
        return undefined;
      }
      const cached = this.diskTexts.get(file);
      if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs && cached.ino === st.ino) {
        // Most recently used last.
        this.diskTexts.delete(file);
        this.diskTexts.set(file, cached);
        return cached.text;
      }
      const decoded = decodeSource(readFileSync(file), 16 * 1024 * 1024);
      const text = 'text' in decoded ? decoded.text : undefined;
      this.rememberDiskText(file, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, text });
      return text;
    } catch {
      this.forgetDiskText(file);
      return undefined;
    }
  }

  private rememberDiskText(file: string, entry: { size: number; mtimeMs: number; ino: number; text: string | undefined }): void {
    this.forgetDiskText(file);
    const chars = entry.text?.length ?? 0;
    // Headers are read once (the index keeps what it needs of them: macro tables, prototypes); .c files (kfunc
    // definitions), Makefiles and Kbuild files are what the rules read again after every edit.
    if (chars > DISK_TEXT_BUDGET / 4 || file.endsWith('.h')) return;
    this.diskTexts.set(file, entry);
    this.diskTextChars += chars;
    for (const [oldest, e] of this.diskTexts) {
      if (this.diskTextChars <= DISK_TEXT_BUDGET) break;
      this.diskTexts.delete(oldest);
      this.diskTextChars -= e.text?.length ?? 0;
    }
  }

  private forgetDiskText(file: string): void {
    const e = this.diskTexts.get(file);
    if (!e) return;
    this.diskTexts.delete(file);
    this.diskTextChars -= e.text?.length ?? 0;
  }

  private makefileVersion(dir: string): KernelVersion | null {
    const cached = this.makefileVersions.get(dir);
    if (cached !== undefined) return cached;
    let version: KernelVersion | null = null;
    const file = path.join(dir, 'Makefile');
    try {
      if (this.readable(file) && statSync(file).size < 1 << 20) version = versionFromMakefile(readFileSync(file, 'utf8')) ?? null;
    } catch {
      version = null;
    }
    this.makefileVersions.set(dir, version);
    return version;
  }

  /** Where a file's kernel tree is: see the module comment. */
  private placeOf(file: string): { key: string; root: string | null; folder: string | null; version: KernelVersion | null } {
    const folder = this.folderOf(file);
    if (!folder) return { key: `loose:${path.isAbsolute(file) ? path.dirname(file) : 'untitled'}`, root: null, folder: null, version: null };
    let dir = path.dirname(file);
    while (inside(dir, folder)) {
      const version = this.makefileVersion(dir);
      if (version) return { key: dir, root: dir, folder, version };
      if (dir === folder) break;
      dir = path.dirname(dir);
    }
    return { key: folder, root: folder, folder, version: null };
  }

  /** Settings that govern a folder's walk (editor settings, then the folder's own .kfunc-lsp.json). */
  folderSettings(folder: string): Settings {
    return this.settingsFor(folder, folder);
  }

  private settingsFor(folder: string | null, root: string | null): Settings {
    const problems: string[] = [];
    let settings = mergeSettings(defaultSettings(), this.editorSettings.get('') ?? {}, problems);
    if (folder !== null && this.editorSettings.has(folder)) settings = mergeSettings(settings, this.editorSettings.get(folder), problems);
    if (root) {
      const file = path.join(root, '.kfunc-lsp.json');
      const text = this.readText(file);
      if (text !== undefined) {
        try {
          settings = mergeSettings(settings, JSON.parse(text), problems);
        } catch (e) {
          problems.push(`${file}: ${(e as Error).message}`);
        }
      }
    }
    for (const p of problems) if (!p.startsWith('unknown setting')) this.hooks.log(`settings: ${p}`);
    return settings;
  }

  private kernelInfo(unit: { root: string | null; version: KernelVersion | null }, settings: Settings) {
    return resolveKernel(unit.root ?? '', settings, this.readText, { root: unit.root, version: unit.version });
  }

  unitFor(file: string): KernelUnit {
    const place = this.placeOf(file);
    let unit = this.units.get(place.key);
    if (!unit) {
      const settings = this.settingsFor(place.folder, place.root);
      const index = new WorkspaceIndex(this.kernelInfo(place, settings), settings, this.readText);
      unit = new KernelUnit(place.key, place.root, place.folder, settings, index);
      unit.complete = place.folder !== null && this.completeFolders.has(place.folder);
      this.units.set(place.key, unit);
    }
    return unit;
  }

  /** Re-reads settings (editor + .kfunc-lsp.json) and kernel versions; returns units whose index settings changed. */
  reconfigure(): KernelUnit[] {
    this.makefileVersions.clear();
    const reindex: KernelUnit[] = [];
    for (const unit of this.units.values()) {
      const settings = this.settingsFor(unit.folder, unit.root);
      const version = unit.root ? this.makefileVersion(unit.root) : null;
      const before = unit.settings.index;
      if (JSON.stringify(before) !== JSON.stringify(settings.index)) {
        reindex.push(unit);
        // The size limit decides whether an open document is analysed at all.
        for (const d of this.docs.values()) if (d.unit === unit) d.factsVersion = -1;
      }
      unit.settings = settings;
      unit.index.reconfigure(this.kernelInfo({ root: unit.root, version }, settings), settings);
      unit.dirty = true;
    }
    for (const d of this.docs.values()) {
      const excluded = this.isExcluded(d.path, d.unit);
      if (excluded === d.inIndex) {
        // The exclude patterns moved this document in or out of the index.
        d.inIndex = !excluded;
        if (d.inIndex) d.unit.index.update(d.facts);
        else d.unit.index.remove(d.path);
      }
    }
    return reindex;
  }

  /** The folder's walk finished (or restarts: `complete` false). */
  setFolderComplete(folder: string, complete: boolean): void {
    if (complete) this.completeFolders.add(folder);
    else this.completeFolders.delete(folder);
    for (const unit of this.unitsOfFolder(folder)) {
      if (unit.complete !== complete) unit.dirty = true;
      unit.complete = complete;
    }
  }

  removeFolder(folder: string): void {
    this.completeFolders.delete(folder);
    for (const [key, unit] of this.units) {
      if (unit.folder !== folder) continue;
      this.units.delete(key);
    }
  }

  /** Excluded from the index: `.git`, `node_modules`, `progs` directories and the user's exclude patterns. */
  isExcluded(file: string, unit: KernelUnit): boolean {
    const folder = unit.folder;
    if (!folder || !path.isAbsolute(file)) return false;
    const rel = path.relative(folder, file).split(path.sep);
    if (rel.slice(0, -1).some((seg) => seg === '.git' || seg === 'node_modules' || seg === 'progs')) return true;
    return new PathFilter(unit.settings.index.exclude).excluded(file, folder, false);
  }

  /** Moves open documents to the unit they belong to now (folders were added or removed). */
  rehome(): void {
    for (const d of this.docs.values()) {
      const unit = this.unitFor(d.path);
      if (unit === d.unit) continue;
      if (d.inIndex) {
        d.unit.index.remove(d.path);
        d.unit.dirty = true;
      }
      d.unit = unit;
      d.inIndex = !this.isExcluded(d.path, unit);
      d.factsVersion = -1;
    }
  }

  // ---- open documents -----------------------------------------------------------------------------------------

  doc(uri: string): DocState | undefined {
    return this.docs.get(uri);
  }

  docByPath(file: string): DocState | undefined {
    return this.docsByPath.get(file);
  }

  isOpen(file: string): boolean {
    return this.docsByPath.has(file);
  }

  open(uri: string, languageId: string, version: number, text: string): DocState {
    const existing = this.docs.get(uri);
    if (existing) this.close(uri);
    const file = uriToPath(uri);
    const unit = this.unitFor(file);
    const d: DocState = {
      uri,
      path: file,
      doc: TextDocument.create(uri, languageId, version, text),
      unit,
      inIndex: !this.isExcluded(file, unit),
      factsVersion: -1,
      facts: emptyFacts(file, null),
      skipped: null,
      lineStartsVersion: -1,
      lineStarts: [0],
    };
    this.docs.set(uri, d);
    this.docsByPath.set(file, d);
    // Facts are extracted lazily (next request or diagnostics run): a burst of opens costs one pass.
    if (d.inIndex) unit.index.remove(file);
    return d;
  }

  change(uri: string, changes: TextDocumentContentChangeEvent[], version: number): DocState | undefined {
    const d = this.docs.get(uri);
    if (!d) return undefined;
    TextDocument.update(d.doc, changes, version);
    return d;
  }

  /** Closes a document; returns its path when the disk copy must be re-read by the indexer. */
  close(uri: string): DocState | undefined {
    const d = this.docs.get(uri);
    if (!d) return undefined;
    this.docs.delete(uri);
    if (this.docsByPath.get(d.path) === d) this.docsByPath.delete(d.path);
    this.trees.drop(uri);
    if (d.inIndex) {
      d.unit.index.remove(d.path);
      d.unit.dirty = true;
    }
    return d;
  }

  lineStarts(d: DocState): number[] {
    if (d.lineStartsVersion !== d.doc.version) {
      d.lineStarts = computeLineStarts(d.doc.getText());
      d.lineStartsVersion = d.doc.version;
    }
    return d.lineStarts;
  }

  /** Why an open document's text is not analysed. */
  private skipReason(text: string, settings: Settings): string | null {
    const max = settings.index.maxFileSizeKB * 1024;
    // Cheap bound first: UTF-16 length ≤ UTF-8 bytes ≤ 3 × length.
    if (text.length > max || (text.length * 3 > max && Buffer.byteLength(text, 'utf8') > max)) {
      return `larger than ${settings.index.maxFileSizeKB} KB (kfuncLsp.index.maxFileSizeKB)`;
    }
    if (text.indexOf('\0') !== -1) return 'binary file (contains NUL bytes)';
    return null;
  }

  /** Re-extracts a document's facts if its text changed since; true when it did. */
  refresh(d: DocState): boolean {
    if (d.factsVersion === d.doc.version) return false;
    d.factsVersion = d.doc.version;
    const text = d.doc.getText();
    const skipped = this.skipReason(text, d.unit.settings);
    if (skipped) {
      if (d.skipped !== skipped) this.hooks.notice(d.uri, `kfunc-lsp: ${path.basename(d.path)} is not analysed: ${skipped}.`);
      d.skipped = skipped;
      d.facts = emptyFacts(d.path, skipped);
      this.trees.drop(d.uri);
    } else {
      d.skipped = null;
      try {
        d.facts = extractFacts(d.path, text, {
          allFunctions: true,
          parse: this.trees.parser(d.uri),
          functionCache: this.trees.functionCache(d.uri),
        });
      } catch (e) {
        this.hooks.log(`extracting facts of ${d.path} failed: ${(e as Error).stack ?? e}`);
        this.trees.drop(d.uri);
        d.facts = emptyFacts(d.path, `internal error: ${(e as Error).message}`);
      }
    }
    if (d.inIndex) {
      d.unit.index.update(d.facts);
      d.unit.dirty = true;
    }
    return true;
  }

  /**
   * After edits settle: a document whose tree came from incremental parses and has syntax errors is parsed again
   * from scratch (error recovery can differ), so its facts converge to what a fresh start would see. The full parse
   * runs in slices between other work (TreeCache.parseInBackground) and is abandoned if the document changes; the
   * facts are then read again from the new tree (cheaply: heads of nodes without errors are kept). True when the
   * facts changed.
   */
  async canonicalize(d: DocState): Promise<boolean> {
    if (this.docs.get(d.uri) !== d) return false;
    this.refresh(d);
    if (d.skipped || !this.trees.incrementalWithErrors(d.uri)) return false;
    const masked = this.trees.textOf(d.uri);
    if (masked === undefined) return false;
    const version = d.doc.version;
    const unchanged = () => this.docs.get(d.uri) === d && d.doc.version === version && this.trees.textOf(d.uri) === masked;
    const tree = await this.trees.parseInBackground(masked, unchanged);
    if (!tree) return false;
    if (!unchanged()) {
      tree.delete();
      return false;
    }
    const before = d.facts;
    this.trees.install(d.uri, masked, tree);
    d.factsVersion = -1;
    const dirty = d.unit.dirty;
    this.refresh(d);
    if (sameData(d.facts, before)) {
      d.unit.dirty = dirty; // same facts: no new diagnostics run needed
      return false;
    }
    return true;
  }

  /** Brings every open document's facts up to date (cheap when nothing changed). */
  sync(): void {
    for (const d of this.docs.values()) this.refresh(d);
  }

  // ---- files on disk --------------------------------------------------------------------------------------------

  /**
   * Applies the scan of a file on disk (unless it is open: the editor's text wins) to its kernel tree's index. In
   * the second pass (`firstPass` false) an unmarked file only adds facts when it defines a registered name.
   */
  applyScan(file: string, result: ScanResult, firstPass = true): 'parsed' | 'skipped' | 'unmarked' | 'open' {
    if (this.docsByPath.has(file)) return 'open';
    if (result.kind === 'unmarked') {
      // Most files of a tree: no need to find their kernel unit (a walk up reading Makefiles), only to drop one
      // that used to have facts.
      if (firstPass) {
        for (const unit of this.units.values()) {
          if (!unit.diskFiles.delete(file)) continue;
          unit.index.remove(file);
          unit.dirty = true;
        }
      }
      return 'unmarked';
    }
    const unit = this.unitFor(file);
    unit.index.update(result.kind === 'facts' ? result.facts : emptyFacts(file, result.reason));
    unit.diskFiles.add(file);
    unit.dirty = true;
    return result.kind === 'facts' ? 'parsed' : 'skipped';
  }

  /** Indexes one file read from disk (a watched-file change, a document closed). */
  indexDiskFile(file: string, buf: Buffer): 'parsed' | 'skipped' | 'unmarked' | 'open' {
    if (this.docsByPath.has(file)) return 'open';
    const maxBytes = this.unitFor(file).settings.index.maxFileSizeKB * 1024;
    let result: ScanResult;
    try {
      result = scanBuffer(file, buf, { maxBytes });
    } catch (e) {
      this.hooks.log(`extracting facts of ${file} failed: ${(e as Error).stack ?? e}`);
      result = { kind: 'skipped', reason: `internal error: ${(e as Error).message}` };
    }
    return this.applyScan(file, result);
  }

  /** A file disappeared from disk (or left the index scope). */
  removeDiskFile(file: string): void {
    if (this.docsByPath.has(file)) return;
    for (const unit of this.units.values()) {
      if (unit.diskFiles.delete(file) || unit.index.facts(file)) {
        unit.index.remove(file);
        unit.dirty = true;
      }
    }
  }

  /** A Makefile or btf.h changed: kernel versions and flag tables may have moved. */
  kernelFilesChanged(): void {
    forgetKbuildReaders();
    this.reconfigure();
  }

  /** A header changed that other files' macros may come from: drop cached header tables, rebuild models. */
  headerChanged(file: string): void {
    for (const unit of this.units.values()) {
      if (unit.root && !inside(file, unit.root)) continue;
      if (!unit.index.facts(file)) {
        unit.index.remove(file); // forgets the cached macro table of the header
        unit.index.reconfigure(unit.index.kernel, unit.settings);
        unit.dirty = true;
      }
    }
  }

  /** The document a URI names, refreshed; undefined for unknown documents. */
  fresh(uri: string): DocState | undefined {
    const d = this.docs.get(uri);
    if (!d) return undefined;
    this.sync();
    return d;
  }

  isFileDoc(d: DocState): boolean {
    return isFileUri(d.uri);
  }
}
