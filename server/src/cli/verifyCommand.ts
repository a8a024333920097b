/**
 * `kfunc-lsp verify --btf FILE [--base-btf VMLINUX] [--strict] [--json] PATH...` (contracts §2.4): the source's kfuncs
 * against a built kernel's BTF (vmlinux ELF, raw BTF such as /sys/kernel/btf/vmlinux, or a module .ko on its base).
 * Exit 1 on a mismatch (and with --strict on kfuncs found on one side only), 2 on usage or unreadable input.
 */
import { reportNotes } from './notes';
import { existsSync, readFileSync } from 'node:fs';
import { BtfError } from '../btf/errors';
import { ElfFile, isElf } from '../btf/elf';
import { loadBtfFile, type LoadedBtf } from '../btf/kfuncs';
import type { Btf } from '../btf/btf';
import { formatVerifyText } from '../compare/format';
import { verify } from '../compare/verify';
import { relativizer } from '../output/protos';
import { indexPaths } from '../workspace/indexPaths';
import { formatOption, type ParsedArgs, UsageError } from './args';
import type { CliIo } from './io';
import { settingsFor } from './settings';

const ET_REL = 1;

/** An ELF relocatable object (a .ko): its BTF is split on top of vmlinux BTF. */
function isModuleElf(bytes: Uint8Array): boolean {
  if (!isElf(bytes)) return false;
  try {
    return ElfFile.parse(bytes).fileType === ET_REL;
  } catch {
    return false;
  }
}

function fileOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`${name} needs a file`);
  if (!existsSync(value)) throw new UsageError(`${name}: no such file: ${value}`);
  return value;
}

/** Loads --btf (and --base-btf); BtfError becomes a UsageError-free message with exit 2 at the caller. */
export function loadForVerify(btfFile: string, baseFile: string | undefined): LoadedBtf {
  let base: Btf | undefined;
  if (baseFile) base = loadBtfFile(baseFile).btf;
  const bytes = readFileSync(btfFile);
  if (!base && isModuleElf(bytes)) {
    throw new UsageError(`${btfFile} is a kernel module: its BTF is split on top of the vmlinux BTF; pass --base-btf VMLINUX `
      + '(the vmlinux ELF of the same build, or /sys/kernel/btf/vmlinux on the running kernel)');
  }
  try {
    return loadBtfFile(bytes, { base });
  } catch (e) {
    if (e instanceof BtfError) throw new BtfError(`${btfFile}: ${e.message.replace(/^input: /, '')}`);
    throw e;
  }
}

/** `--exclude GLOB` (repeatable) adds to the index's exclude patterns. */
export function addExcludes(args: ParsedArgs, exclude: string[]): void {
  for (const g of args.repeated.get('--exclude') ?? []) exclude.push(g);
}

export async function verifyCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const format = formatOption(args, ['text', 'json'], 'text');
  const btfFile = fileOption(args, '--btf');
  if (!btfFile) throw new UsageError('verify needs --btf FILE (a vmlinux ELF, raw BTF such as /sys/kernel/btf/vmlinux, or a .ko with --base-btf)');
  const baseFile = fileOption(args, '--base-btf');
  const strict = args.options.has('--strict');

  let loaded: LoadedBtf;
  try {
    loaded = loadForVerify(btfFile, baseFile);
  } catch (e) {
    if (e instanceof BtfError) {
      io.err(`kfunc-lsp: ${e.message}`);
      return 2;
    }
    throw e;
  }

  const settings = settingsFor(args, args.paths[0], io.err);
  addExcludes(args, settings.index.exclude);
  const result = await indexPaths(args.paths, settings, { cache: !args.options.has('--no-cache') });
  reportNotes(result.notes, io);
  const report = verify({ model: result.index.model, loaded, btfFile, baseFile, rel: relativizer(args.paths[0]) });

  if (format === 'json') io.out(`${JSON.stringify(report, null, 2)}\n`);
  else io.out(formatVerifyText(report, strict));
  const oneSided = report.onlyInSource.length + report.onlyInBtf.length;
  return report.mismatches.length > 0 || (strict && oneSided > 0) ? 1 : 0;
}
