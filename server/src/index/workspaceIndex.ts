/**
 * The workspace index: facts per file, kept up to date one file at a time, and the joined kfunc model, rebuilt
 * from the facts (no reparsing) the first time it is asked for after a change.
 */
import path from 'node:path';
import type { Settings } from '../config';
import type { FileFacts, PendingMacro, SetEntry } from '../facts/types';
import { makeEntry, expandInvocation } from '../parse/btfSets';
import { buildMacroTable, type MacroDef, type MacroTable } from '../parse/macros';
import { depthAt, isCode, scanSource } from '../parse/scanner';
import { type FlagTable, flagsForVersion, flagsFromBtfHeader } from '../kernel/flags';
import { findKernelTree, type KernelTree, type KernelVersion, NEWEST_KNOWN, parseVersion } from '../kernel/version';
import { buildModel } from '../model/join';
import type { KfuncModel, ModelContext } from '../model/types';

export type ReadText = (file: string) => string | undefined;

export interface KernelInfo {
  /** Top-level directory of the kernel tree, when one was found. */
  root: string | null;
  version: KernelVersion;
  /** Where the version came from. */
  versionSource: 'setting' | 'Makefile' | 'default';
  flags: FlagTable;
}

/**
 * The kernel a set of paths belongs to: version from the setting, the tree's Makefile or the newest known.
 * `found`: the tree already located by the caller (the language server looks only inside workspace folders).
 */
export function resolveKernel(start: string, settings: Settings, readText: ReadText, found?: KernelTree): KernelInfo {
  const tree = found ?? findKernelTree(start);
  const root = tree.root ?? (start ? path.resolve(start) : null);
  return kernelInfo(root, tree.version, root ? readText(path.join(root, 'include/linux/btf.h')) : undefined, settings);
}

/** The kernel of a tree, from its Makefile version and its include/linux/btf.h text (either may be missing). */
export function kernelInfo(root: string | null, treeVersion: KernelVersion | null, btfH: string | undefined, settings: Settings): KernelInfo {
  const configured = settings.kernelVersion !== 'auto' ? parseVersion(settings.kernelVersion) : undefined;
  const version = configured ?? treeVersion ?? NEWEST_KNOWN;
  const versionSource = configured ? 'setting' : treeVersion ? 'Makefile' : 'default';
  const fromHeader = btfH ? flagsFromBtfHeader(btfH) : undefined;
  // A tree's own btf.h is authoritative unless the user asked for another version.
  const flags: FlagTable =
    fromHeader && fromHeader.size > 0 && !configured
      ? { flags: fromHeader, source: 'btf.h' }
      : { flags: flagsForVersion(version), source: 'built-in' };
  return { root, version, versionSource, flags };
}

/** What the index keeps of a header read for macro expansion or prototype lookups. */
interface HeaderInfo {
  table: MacroTable;
  /** Candidate paths of the headers it includes. */
  includes: string[];
  /** Names written as `name(` at file scope: prototypes (and function-like macros' uses, harmlessly). */
  functionNames: Set<string>;
}

/** Names followed by '(' in code at brace depth 0. */
function fileScopeCallNames(scan: ReturnType<typeof scanSource>): Set<string> {
  const out = new Set<string>();
  const re = /\b([A-Za-z_]\w*)\s*\(/g;
  for (let m = re.exec(scan.text); m; m = re.exec(scan.text)) {
    if (isCode(scan, m.index) && depthAt(scan, m.index) === 0) out.add(m[1]);
  }
  return out;
}

export class WorkspaceIndex {
  private readonly files = new Map<string, FileFacts>();
  private cached: KfuncModel | undefined;
  private lastModel: KfuncModel | undefined;
  private readonly headerMacros = new Map<string, HeaderInfo | null>();
  /** declaredInIncludes: the headers each file reaches, for its include list; dropped when a header table goes. */
  private readonly declaredMemo = new Map<string, { facts: FileFacts; key: string; headers: HeaderInfo[] }>();
  /** resolvePending answers by invocation (facts objects of unchanged files survive edits elsewhere). */
  private pendingMemo = new WeakMap<PendingMacro, SetEntry[]>();

  constructor(
    public kernel: KernelInfo,
    public settings: Settings,
    private readonly readText: ReadText,
  ) {}

  get size(): number {
    return this.files.size;
  }

  facts(file: string): FileFacts | undefined {
    return this.files.get(file);
  }

  allFacts(): IterableIterator<FileFacts> {
    return this.files.values();
  }

  /** Replaces one file's facts; only the join is redone, lazily. */
  update(facts: FileFacts): void {
    this.files.set(facts.path, facts);
    if (this.headerMacros.delete(facts.path)) this.headersChanged();
    this.cached = undefined;
  }

  remove(file: string): void {
    if (this.files.delete(file)) this.cached = undefined;
    if (this.headerMacros.delete(file)) this.headersChanged();
    this.declaredMemo.delete(file);
  }

  /** New settings or kernel: the facts stay, the model is rebuilt. */
  reconfigure(kernel: KernelInfo, settings: Settings): void {
    this.kernel = kernel;
    this.settings = settings;
    this.cached = undefined;
    this.headersChanged(); // include candidates depend on the kernel root
  }

  /** A header table went (or the kernel root moved): what was looked up through headers is looked up again. */
  private headersChanged(): void {
    this.declaredMemo.clear();
    this.pendingMemo = new WeakMap();
  }

  get model(): KfuncModel {
    if (!this.cached) {
      const ctx: ModelContext = { version: this.kernel.version, flags: this.kernel.flags, settings: this.settings };
      // The previous model lends the kfuncs whose inputs did not change (see buildModel).
      this.cached = buildModel(this.files.values(), ctx, (file, pending) => this.resolvePending(file, pending), this.lastModel);
      this.lastModel = this.cached;
    }
    return this.cached;
  }

  /**
   * Candidate files for an `#include` written in `from`. Never an absolute path, nor one outside the kernel tree:
   * what a source file names must not make kfunc-lsp read elsewhere (`#include "/etc/passwd"`, `"../../../x.h"`).
   */
  private includeCandidates(from: string, inc: { path: string; system: boolean }): string[] {
    const root = this.kernel.root;
    const out: string[] = [];
    if (path.isAbsolute(inc.path)) return out;
    if (!inc.system) out.push(path.resolve(path.dirname(from), inc.path));
    if (root) {
      out.push(path.join(root, 'include', inc.path), path.join(root, 'include/uapi', inc.path));
      return out.filter((c) => c.startsWith(root.endsWith(path.sep) ? root : root + path.sep));
    }
    return out;
  }

  private headerTable(file: string): HeaderInfo | null {
    if (this.headerMacros.has(file)) return this.headerMacros.get(file)!;
    const text = this.readText(file);
    let value: HeaderInfo | null = null;
    if (text !== undefined) {
      const scan = scanSource(text);
      const includes = scan.directives
        .filter((d) => d.keyword === 'include')
        .map((d) => /^([<"])([^>"]+)[>"]/.exec(d.body))
        .filter((m): m is RegExpExecArray => m !== null)
        .flatMap((m) => this.includeCandidates(file, { path: m[2], system: m[1] === '<' }));
      value = { table: buildMacroTable(scan.directives, text), includes, functionNames: fileScopeCallNames(scan) };
    }
    this.headerMacros.set(file, value);
    return value;
  }

  /** Headers reachable from `file`'s includes, breadth first, `depth` levels deep. */
  private includedHeaders(file: FileFacts, depth: number): HeaderInfo[] {
    const out: HeaderInfo[] = [];
    const seen = new Set<string>();
    let frontier = file.includes.flatMap((inc) => this.includeCandidates(file.path, inc));
    for (let level = 0; level < depth && frontier.length; level++) {
      const next: string[] = [];
      for (const candidate of frontier) {
        if (seen.has(candidate)) continue;
        seen.add(candidate);
        const h = this.headerTable(candidate);
        if (!h) continue;
        out.push(h);
        next.push(...h.includes);
      }
      frontier = next;
    }
    return out;
  }

  /** Does a header that `file` includes (three levels deep) declare `name`? */
  declaredInIncludes(file: string, name: string): boolean {
    const facts = this.files.get(file);
    if (!facts) return false;
    // The headers of a file are looked up once per include list (rules ask after every edit, per kfunc).
    let memo = this.declaredMemo.get(file);
    if (!memo || (memo.facts !== facts && memo.key !== JSON.stringify(facts.includes))) {
      memo = { facts, key: JSON.stringify(facts.includes), headers: this.includedHeaders(facts, 3) };
      this.declaredMemo.set(file, memo);
    } else memo.facts = facts;
    return memo.headers.some((h) => h.functionNames.has(name));
  }

  /**
   * Expands an X-macro invocation found in a set (`XDP_METADATA_KFUNC_xxx`) with the file's definitions in effect
   * there, then the definitions of the headers it includes (two levels deep, as far as the tree has them).
   */
  private resolvePending(file: FileFacts, pending: PendingMacro): SetEntry[] {
    let entries = this.pendingMemo.get(pending);
    if (!entries) {
      entries = this.resolvePendingNow(file, pending);
      this.pendingMemo.set(pending, entries);
    }
    return entries;
  }

  private resolvePendingNow(file: FileFacts, pending: PendingMacro): SetEntry[] {
    const local = new Map<string, MacroDef>(pending.localDefs.map((d) => [d.name, { ...d, offset: 0 }]));
    const headers = this.includedHeaders(file, 2).map((h) => h.table);
    const lookup = (name: string): MacroDef | undefined => {
      const l = local.get(name);
      if (l) return l;
      for (const t of headers) {
        const d = t.at(name, Number.MAX_SAFE_INTEGER);
        if (d) return d;
      }
      return undefined;
    };
    const out: SetEntry[] = [];
    for (const e of expandInvocation(pending.text, lookup)) {
      const entry =
        e.macro === 'BTF_ID_UNUSED'
          ? undefined
          : makeEntry(e.args, pending.span, pending.span, pending.guard, pending.name);
      if (entry) out.push(entry);
    }
    return out;
  }
}
