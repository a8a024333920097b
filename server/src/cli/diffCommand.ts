/**
 * `kfunc-lsp diff [--json] [--strict] OLD NEW` and `kfunc-lsp diff --git REV1 REV2 [PATH...]` (contracts §2.5): kfunc
 * API changes between two source trees (or files, or built kernels' BTF files), or between two revisions of the git
 * checkout around the current directory (read from git objects, no checkout). Exit 0; with --strict, 1 when a
 * change is breaking; 2 on usage or unreadable input.
 */
import { reportNotes } from './notes';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { Btf } from '../btf/btf';
import { BtfError } from '../btf/errors';
import { isElf } from '../btf/elf';
import { loadBtfFile } from '../btf/kfuncs';
import { diffSnapshots } from '../compare/diff';
import { formatDiffText } from '../compare/format';
import { snapshotFromBtf, snapshotFromModel, type ApiSnapshot } from '../compare/shapes';
import { relativizer } from '../output/protos';
import { initParser } from '../parse/treeSitter';
import { GitError, indexGitRevisions } from '../workspace/gitTree';
import { indexPaths } from '../workspace/indexPaths';
import { formatOption, type ParsedArgs, UsageError } from './args';
import type { CliIo } from './io';
import { settingsFor } from './settings';
import { addExcludes } from './verifyCommand';

/** A built kernel's BTF (vmlinux ELF or raw BTF) rather than source. */
function isBtfFile(file: string): boolean {
  if (!statSync(file).isFile() || /\.[ch]$/.test(file)) return false;
  const head = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return isElf(head) || Btf.isBtf(head);
}

async function sourceSnapshot(target: string, args: ParsedArgs, io: CliIo): Promise<ApiSnapshot> {
  if (isBtfFile(target)) {
    try {
      return snapshotFromBtf(loadBtfFile(target));
    } catch (e) {
      if (e instanceof BtfError) throw new UsageError(`${target}: ${e.message}`);
      throw e;
    }
  }
  const settings = settingsFor(args, target, io.err);
  addExcludes(args, settings.index.exclude);
  const result = await indexPaths([target], settings, { cache: !args.options.has('--no-cache') });
  reportNotes(result.notes, io);
  // Paths relative to the tree given (a file: its directory), so that the same file compares equal on both sides.
  const base = statSync(target).isDirectory() ? target : path.dirname(target);
  return snapshotFromModel(result.index.model, relativizer(base));
}

async function gitSnapshots(args: ParsedArgs, io: CliIo): Promise<{ old: ApiSnapshot; new: ApiSnapshot; oldPath: string; newPath: string }> {
  const first = args.options.get('--git') as string;
  let rev1 = first;
  let rev2: string | undefined;
  let limits = args.paths;
  const range = /^(.+?)\.\.\.?(.+)$/.exec(first);
  if (range) [, rev1, rev2] = range;
  else [rev2, ...limits] = args.paths;
  if (!rev2) throw new UsageError('diff --git needs two revisions: --git REV1 REV2 [PATH...] (or --git REV1..REV2)');
  for (const p of limits) if (!existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
  const cwd = process.cwd();
  const settings = settingsFor(args, cwd, io.err);
  addExcludes(args, settings.index.exclude);
  try {
    const [a, b] = await indexGitRevisions(cwd, [rev1, rev2], limits, settings);
    const rel = relativizer(a.ref.top);
    return {
      old: snapshotFromModel(a.index.model, rel),
      new: snapshotFromModel(b.index.model, rel),
      oldPath: `${rev1} (${a.ref.commit.slice(0, 12)})`,
      newPath: `${rev2} (${b.ref.commit.slice(0, 12)})`,
    };
  } catch (e) {
    if (e instanceof GitError) throw new UsageError(e.message);
    throw e;
  }
}

export async function diffCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const format = formatOption(args, ['text', 'json'], 'text');
  await initParser();
  let input;
  if (args.options.has('--git')) {
    input = await gitSnapshots(args, io);
  } else {
    if (args.paths.length !== 2) throw new UsageError('diff needs OLD and NEW (trees, files or BTF files), or --git REV1 REV2 [PATH...]');
    const [oldPath, newPath] = args.paths;
    for (const p of args.paths) if (!existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
    input = { old: await sourceSnapshot(oldPath, args, io), new: await sourceSnapshot(newPath, args, io), oldPath, newPath };
  }
  const report = diffSnapshots(input);
  io.out(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatDiffText(report));
  return args.options.has('--strict') && report.summary.breaking > 0 ? 1 : 0;
}
