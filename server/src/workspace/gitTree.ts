/**
 * A SourceTree over the blobs of one git revision, for `diff --git REV1 REV2`: no checkout, nothing written.
 *
 * `git grep -l` over the revision does the marker prefilter (the same markers as the file-system walk), one
 * `git cat-file --batch` call reads every marked blob, and headers the index asks for later (include/linux/btf.h,
 * X-macro lists) are read one at a time. The kernel version comes from the revision's Makefile and the flag table
 * from its include/linux/btf.h. Definitions of registered names in files without a marker (pre-6.3 kfuncs in
 * net/ipv4/tcp_cong.c) are found with a second `git grep -w` for exactly those names.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Settings } from '../config';
import { type KernelInfo, kernelInfo } from '../index/workspaceIndex';
import { versionFromMakefile } from '../kernel/version';
import { indexTree, type IndexResult, type SourceTree } from './indexPaths';
import { PathFilter } from './sourceFiles';

export class GitError extends Error {}

/** The literal markers of sourceFiles.hasKfuncMarker, as fixed-string patterns for git grep. */
const MARKERS = ['__bpf_kfunc', 'register_btf_', 'BTF_ID_FLAGS', 'BTF_KFUNCS_START', 'BTF_SET8_START'];
const MAX_BUFFER = 1 << 30;

function git(cwd: string, args: string[], input?: string): { status: number; stdout: Buffer; stderr: string } {
  const res = spawnSync('git', args, { cwd, input, maxBuffer: MAX_BUFFER, stdio: ['pipe', 'pipe', 'pipe'] });
  if (res.error) throw new GitError(`cannot run git: ${res.error.message}`);
  return { status: res.status ?? 1, stdout: res.stdout, stderr: res.stderr.toString().trim() };
}

/** The top-level directory of the git checkout that contains `cwd`. */
export function gitTopLevel(cwd: string): string {
  const res = git(cwd, ['rev-parse', '--show-toplevel']);
  if (res.status !== 0) throw new GitError(`${path.resolve(cwd)} is not inside a git checkout (${res.stderr})`);
  return res.stdout.toString().trim();
}

/** The commit a revision names (so later commands see the same tree even if a branch moves). */
export function resolveCommit(top: string, rev: string): string {
  const res = git(top, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  if (res.status !== 0) throw new GitError(`unknown revision ${rev}`);
  return res.stdout.toString().trim();
}

/** Pathspecs for source files (`.c`/`.h`, or just `.c`) under the limit paths (repository-relative), or the whole tree. */
function sourcePathspecs(limits: string[], exts: string[] = ['c', 'h']): string[] {
  const all = exts.map((e) => `*.${e}`);
  if (limits.length === 0) return all;
  return limits.flatMap((p) => {
    const clean = p.replace(/\/+$/, '');
    if (clean === '' || clean === '.') return all;
    if (/\.[ch]$/.test(clean)) return exts.includes(clean.slice(-1)) ? [clean] : [];
    return all.map((g) => `${clean}/${g}`);
  });
}

/** `git cat-file --batch` output: `<sha> blob <size>\n<bytes>\n` per object, `<name> missing\n` for absent ones. */
function parseBatch(out: Buffer, names: string[]): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  let at = 0;
  for (const name of names) {
    const eol = out.indexOf(10, at);
    if (eol === -1) break;
    const header = out.toString('latin1', at, eol);
    at = eol + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) continue; // "<name> missing" / "ambiguous"
    const size = Number(m[2]);
    if (m[1] === 'blob') blobs.set(name, out.subarray(at, at + size));
    at += size + 1;
  }
  return blobs;
}

/** A revision located in a checkout: the top-level directory, the commit, and limits relative to the top. */
export interface GitRevisionRef {
  top: string;
  rev: string;
  commit: string;
  /** Repository-relative limit paths (empty: the whole tree). */
  limits: string[];
}

export function locateRevision(cwd: string, rev: string, limits: string[]): GitRevisionRef {
  const top = gitTopLevel(cwd);
  const commit = resolveCommit(top, rev);
  const relLimits = limits.map((p) => {
    const rel = path.relative(top, path.resolve(cwd, p)).split(path.sep).join('/');
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new GitError(`${p} is outside the git checkout ${top}`);
    return rel;
  });
  return { top, rev, commit, limits: relLimits };
}

function grepArgs(ref: GitRevisionRef, patternArgs: string[], exts?: string[]): string[] {
  return ['grep', '-l', '-z', '-I', '--no-color', ...patternArgs, ref.commit, '--', ...sourcePathspecs(ref.limits, exts)];
}

function grepOutput(ref: GitRevisionRef, stdout: Buffer): string[] {
  const prefix = `${ref.commit}:`;
  return stdout.toString('utf8').split('\0').filter(Boolean).map((n) => (n.startsWith(prefix) ? n.slice(prefix.length) : n));
}

const MARKER_ARGS = MARKERS.flatMap((m) => ['-F', '-e', m]);

/**
 * The repository-relative .c/.h files of a revision that mention a kfunc marker. Asynchronous so that the greps of
 * both sides of a diff run at the same time (each inflates every blob of its tree).
 */
export function grepMarked(ref: GitRevisionRef): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', grepArgs(ref, MARKER_ARGS), { cwd: ref.top, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => reject(new GitError(`cannot run git: ${e.message}`)));
    child.on('close', (code) => {
      if ((code ?? 2) > 1) reject(new GitError(`git grep failed: ${Buffer.concat(err).toString().trim()}`));
      else resolve(grepOutput(ref, Buffer.concat(out)));
    });
  });
}

export interface GitRevisionTree {
  ref: GitRevisionRef;
  tree: SourceTree;
  kernel: KernelInfo;
  /** Reads blobs of `<top>/<path>` files of this revision in one git call. */
  readMany(files: string[]): Map<string, Buffer>;
  /** Repository-relative .c files under the limits whose text contains one of the words. */
  grepWords(words: string[]): string[];
}

/**
 * Opens one revision over the marked files `grepMarked` found. Files are named `<top>/<path>`, so paths made
 * relative to the top come out repository-relative; the version and flag table come from the top of the tree.
 */
export function openGitRevision(ref: GitRevisionRef, marked: string[], settings: Settings): GitRevisionTree {
  const { top, commit, rev } = ref;
  const abs = (rel: string) => `${top}/${rel}`;
  const relOf = (file: string) => (file.startsWith(`${top}/`) ? file.slice(top.length + 1) : null);
  const filter = new PathFilter(settings.index.exclude);
  const kept = (rel: string) => {
    const segments = rel.split('/');
    if (segments.slice(0, -1).some((s) => s === 'progs' || s === 'node_modules' || s === '.git')) return false;
    return !filter.excluded(abs(rel), top, false);
  };

  const readMany = (files: string[]): Map<string, Buffer> => {
    const rels = files.map(relOf).filter((r): r is string => r !== null);
    if (rels.length === 0) return new Map();
    const names = rels.map((r) => `${commit}:${r}`);
    const res = git(top, ['cat-file', '--batch'], `${names.join('\n')}\n`);
    if (res.status !== 0) throw new GitError(`git cat-file failed: ${res.stderr}`);
    const byName = parseBatch(res.stdout, names);
    const out = new Map<string, Buffer>();
    rels.forEach((r, i) => {
      const blob = byName.get(names[i]);
      if (blob) out.set(abs(r), blob);
    });
    return out;
  };

  const textCache = new Map<string, string | undefined>();
  const readText = (file: string): string | undefined => {
    if (textCache.has(file)) return textCache.get(file);
    const rel = relOf(path.resolve(file));
    let text: string | undefined;
    if (rel !== null) {
      const res = git(top, ['cat-file', 'blob', `${commit}:${rel}`]);
      text = res.status === 0 ? res.stdout.toString('utf8') : undefined;
    }
    textCache.set(file, text);
    return text;
  };

  const files = marked.filter(kept).sort().map(abs);
  const blobs = readMany(files);
  const notes: SourceTree['notes'] = [];
  const tree: SourceTree = {
    files,
    read: (file) => {
      const blob = blobs.get(file);
      if (!blob) notes.push({ file, message: `cannot read ${file} at ${rev}` });
      return blob;
    },
    readText,
    notes,
  };

  const makefile = readText(abs('Makefile'));
  const kernel = kernelInfo(top, makefile ? (versionFromMakefile(makefile) ?? null) : null, readText(abs('include/linux/btf.h')), settings);

  const grepWords = (words: string[]): string[] => {
    if (words.length === 0) return [];
    const pathspecs = sourcePathspecs(ref.limits, ['c']);
    if (pathspecs.length === 0) return [];
    const res = git(top, grepArgs(ref, ['-w', ...words.flatMap((w) => ['-F', '-e', w])], ['c']));
    if (res.status > 1) throw new GitError(`git grep failed: ${res.stderr}`);
    return grepOutput(ref, res.stdout).filter((r) => r.endsWith('.c') && kept(r));
  };
  // Second pass: the .c files `git grep -w` finds for the names, read in one batch.
  tree.candidatesFor = (names) => {
    const candidates = grepWords(names).map(abs).filter((f) => !blobs.has(f));
    for (const [file, blob] of readMany(candidates)) blobs.set(file, blob);
    return candidates;
  };
  return { ref, tree, kernel, readMany, grepWords };
}

export type GitIndexResult = IndexResult & { ref: GitRevisionRef };

/** Indexes one revision like indexPaths indexes a tree; no checkout needed. */
export function indexGitRevision(ref: GitRevisionRef, marked: string[], settings: Settings): GitIndexResult {
  const g = openGitRevision(ref, marked, settings);
  return { ...indexTree(g.tree, g.kernel, settings), ref };
}

/** Several revisions of the checkout around `cwd` (the marker greps run concurrently), indexed in order. */
export async function indexGitRevisions(cwd: string, revs: string[], limits: string[], settings: Settings): Promise<GitIndexResult[]> {
  const refs = revs.map((rev) => locateRevision(cwd, rev, limits));
  const marked = await Promise.all(refs.map(grepMarked));
  return refs.map((ref, i) => indexGitRevision(ref, marked[i], settings));
}
