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
import { decodeSource, hasKfuncMarker, PathFilter } from '../workspace/sourceFiles';
import { computeLineStarts, isFileUri, uriToPath } from './positions';
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

function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

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
    if (!this.readable(file)) return undefined;
    try {
      const st = statSync(file);
      if (!st.isFile() || st.size > 16 * 1024 * 1024) return undefined;
      const decoded = decodeSource(readFileSync(file), 16 * 1024 * 1024);
      return 'text' in decoded ? decoded.text : undefined;
    } catch {
      return undefined;
    }
  };

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
        d.facts = extractFacts(d.path, text, { allFunctions: true, parse: this.trees.parser(d.uri) });
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
   * from scratch (error recovery can differ), so its facts converge to what a fresh start would see. True when the
   * facts changed.
   */
  canonicalize(d: DocState): boolean {
    if (this.docs.get(d.uri) !== d) return false;
    this.refresh(d);
    if (d.skipped || !this.trees.incrementalWithErrors(d.uri)) return false;
    const before = JSON.stringify(d.facts);
    this.trees.drop(d.uri);
    d.factsVersion = -1;
    const dirty = d.unit.dirty;
    this.refresh(d);
    if (JSON.stringify(d.facts) === before) {
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
   * Indexes one file read from disk (unless it is open: the editor's text wins). `missing` names registered
   * kfuncs without a definition: an unmarked .c file is kept only when it defines one of them.
   */
  indexDiskFile(file: string, buf: Buffer, missing?: ReadonlySet<string>): 'parsed' | 'skipped' | 'unmarked' | 'open' {
    if (this.docsByPath.has(file)) return 'open';
    const unit = this.unitFor(file);
    const maxBytes = unit.settings.index.maxFileSizeKB * 1024;
    const marked = hasKfuncMarker(buf);
    if (!marked && !missing) {
      if (unit.diskFiles.delete(file)) {
        unit.index.remove(file);
        unit.dirty = true;
      }
      return 'unmarked';
    }
    const decoded = decodeSource(buf, maxBytes);
    if ('skipped' in decoded) {
      unit.index.update(emptyFacts(file, decoded.skipped));
      unit.diskFiles.add(file);
      unit.dirty = true;
      return 'skipped';
    }
    let facts: FileFacts;
    try {
      facts = marked
        ? extractFacts(file, decoded.text, { parseTimeoutMs: PARSE_TIMEOUT_MS })
        : extractFacts(file, decoded.text, { wantNames: missing, parseTimeoutMs: PARSE_TIMEOUT_MS });
    } catch (e) {
      this.hooks.log(`extracting facts of ${file} failed: ${(e as Error).stack ?? e}`);
      facts = emptyFacts(file, `internal error: ${(e as Error).message}`);
    }
    if (!marked && !facts.functions.some((f) => f.kind === 'definition')) return 'unmarked';
    unit.index.update(facts);
    unit.diskFiles.add(file);
    unit.dirty = true;
    return 'parsed';
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
