/**
 * Indexes whole trees for the CLI: walk, prefilter, extract facts from the files that mention a kfunc marker, then
 * look for definitions of registered names that no marked file defines (before 6.3 kfuncs carried no tag, so
 * net/ipv4/tcp_cong.c has no marker at all and is found only this way).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config';
import { emptyFacts, extractFacts } from '../facts/extract';
import { type KernelInfo, type ReadText, resolveKernel, WorkspaceIndex } from '../index/workspaceIndex';
import { decodeSource, hasKfuncMarker, walkSourceFiles } from './sourceFiles';

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

/** Names registered in a kfunc set (or dtor list) of the index for which no definition was found. */
export function undefinedRegisteredNames(index: WorkspaceIndex): Set<string> {
  const out = new Set<string>();
  for (const k of index.model.kfuncs.values()) if (!k.definition) out.add(k.name);
  return out;
}

/** Does `text` contain `name` followed by '(' (a candidate definition or prototype)? */
function mentionsCall(buf: Buffer, names: Set<string>): string[] {
  const hits: string[] = [];
  for (const n of names) {
    let i = buf.indexOf(n);
    while (i !== -1) {
      const after = buf[i + n.length];
      const before = i > 0 ? buf[i - 1] : 32;
      const wordBefore = (before >= 48 && before <= 57) || (before >= 65 && before <= 90) || (before >= 97 && before <= 122) || before === 95;
      if (!wordBefore && (after === 40 || after === 32 || after === 9 || after === 10)) {
        hits.push(n);
        break;
      }
      i = buf.indexOf(n, i + n.length);
    }
  }
  return hits;
}

/** Where sources come from: the file system for trees on disk, git blobs for `diff --git`. */
export interface SourceTree {
  /** Candidate .c/.h files, already filtered by the walk's excludes. */
  files: string[];
  read(file: string): Buffer | undefined;
  readText: ReadText;
  /** Problems met while listing (unreadable directories). */
  notes: IndexNote[];
}

/** The .c/.h files under `paths` on disk. */
export function fileSystemTree(paths: string[], settings: Settings): SourceTree {
  const notes: IndexNote[] = [];
  const files: string[] = [];
  for (const p of paths) {
    files.push(...walkSourceFiles(path.resolve(p), { exclude: settings.index.exclude }, (file, message) => notes.push({ file, message })));
  }
  const read = (file: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      notes.push({ file, message: `cannot read: ${(e as Error).message}` });
      return undefined;
    }
  };
  return { files, read, readText: readTextFile, notes };
}

export function indexPaths(paths: string[], settings: Settings): IndexResult {
  const kernel = resolveKernel(paths[0] ?? '.', settings, readTextFile);
  return indexTree(fileSystemTree(paths, settings), kernel, settings);
}

/** Prefilter, extract, join: the index of one source tree. */
export function indexTree(tree: SourceTree, kernel: KernelInfo, settings: Settings): IndexResult {
  const notes = tree.notes;
  const index = new WorkspaceIndex(kernel, settings, tree.readText);
  const maxBytes = settings.index.maxFileSizeKB * 1024;
  const unmarked: string[] = [];
  let parsed = 0;
  for (const file of tree.files) {
    const buf = tree.read(file);
    if (!buf) continue;
    if (!hasKfuncMarker(buf)) {
      if (file.endsWith('.c')) unmarked.push(file);
      continue;
    }
    const decoded = decodeSource(buf, maxBytes);
    if ('skipped' in decoded) {
      notes.push({ file, message: `skipped: ${decoded.skipped}` });
      index.update(emptyFacts(file, decoded.skipped));
      continue;
    }
    index.update(extractFacts(file, decoded.text));
    parsed++;
  }

  // Second pass, only when something registered has no definition yet.
  const missing = undefinedRegisteredNames(index);
  if (missing.size > 0) {
    for (const file of unmarked) {
      const buf = tree.read(file);
      if (!buf) continue;
      const hits = mentionsCall(buf, missing);
      if (hits.length === 0) continue;
      const decoded = decodeSource(buf, maxBytes);
      if ('skipped' in decoded) continue;
      const facts = extractFacts(file, decoded.text, { wantNames: new Set(hits) });
      if (facts.functions.some((f) => f.kind === 'definition')) {
        index.update(facts);
        parsed++;
      }
    }
  }
  return { index, filesSeen: tree.files.length, filesParsed: parsed, notes };
}
