import { readFileSync } from 'node:fs';
import { Btf } from './btf';
import { BTF_SET8_KFUNCS, readBtfIdSets, type BtfIdSet8, type BtfIdSets } from './btfIds';
import { ElfFile, isElf } from './elf';
import { BtfError } from './errors';
import { renderFunction, type RenderedPrototype } from './render';

/*
 * kfuncs as the built kernel sees them. A FUNC is a kfunc when pahole tagged it `bpf_kfunc` (pahole ≥ 1.27) or
 * when it is listed in a kfunc set8 in .BTF_ids: sets with BTF_SET8_KFUNCS on ≥ 6.9, every set8 before that
 * flag existed. Older pahole (Debian 12 builds with 1.24) writes no tags, so .BTF_ids is the only source there.
 */

export const DECL_TAG_KFUNC = 'bpf_kfunc';
export const DECL_TAG_FASTCALL = 'bpf_fastcall';

export interface KfuncParam { name: string; type: string }
export interface KfuncSetRef {
  /** Set name (null when found in a stripped file). */
  name: string | null;
  /** The KF_* flags of this kfunc's entry in that set. */
  flags: number;
}

export interface BtfKfunc {
  name: string;
  /** FUNC type id (in the loaded BTF or its base). */
  id: number;
  ret: string;
  params: KfuncParam[];
  variadic?: true;
  /** Flags of the first set (in section order) listing the kfunc; null when no set lists it. */
  flags: number | null;
  sets: KfuncSetRef[];
  /** Has a `bpf_fastcall` decl tag. */
  fastcall: boolean;
  /** Has a `bpf_kfunc` decl tag. */
  declTagged: boolean;
}

export interface LoadedBtf {
  kind: 'elf' | 'raw';
  /** Some FUNC carries a `bpf_kfunc` decl tag (component_idx -1). */
  declTags: boolean;
  /** The file has a .BTF_ids section and it was read. */
  btfIds: boolean;
  kfuncs: BtfKfunc[];
  btf: Btf;
  elf: ElfFile | null;
  /** Every set8 in .BTF_ids (kfunc sets and others), in section order. */
  sets: BtfIdSet8[];
  setsFoundBy: 'symbols' | 'shape' | null;
}

export interface LoadOptions {
  /** vmlinux BTF, needed for a module (.ko or /sys/kernel/btf/<module>) whose BTF is split. */
  base?: Btf;
}

const ET_REL = 1;

/** Loads a vmlinux/.ko ELF or a raw BTF blob (path or bytes) and lists its kfuncs. */
export function loadBtfFile(source: string | Uint8Array, options: LoadOptions = {}): LoadedBtf {
  const bytes = typeof source === 'string' ? readFileSync(source) : source;
  const label = typeof source === 'string' ? source : 'input';
  if (Btf.isBtf(bytes)) {
    const btf = parseBtf(bytes, options.base, label, true);
    return finish('raw', btf, null, null);
  }
  if (!isElf(bytes)) throw new BtfError(`${label}: ${describeUnknownFormat(bytes)}`);
  const elf = ElfFile.parse(bytes);
  const btfSection = elf.section('.BTF');
  if (!btfSection) throw new BtfError(`${label}: ELF file has no .BTF section (built without CONFIG_DEBUG_INFO_BTF?)`);
  const btf = parseBtf(elf.sectionData(btfSection), options.base, label, elf.fileType === ET_REL);
  const idSets = readBtfIdSets(elf, (id) => btf.isFunc(id));
  return finish('elf', btf, elf, idSets);
}

/** mayBeSplit: a .ko, or raw BTF (which may be /sys/kernel/btf/<module>); a failure then hints at the base. */
function parseBtf(bytes: Uint8Array, base: Btf | undefined, label: string, mayBeSplit: boolean): Btf {
  try {
    return Btf.parse(bytes, { base });
  } catch (error) {
    if (error instanceof BtfError && !base && mayBeSplit) {
      throw new BtfError(`${label}: ${error.message} (module BTF is split: pass the vmlinux BTF as base)`);
    }
    throw error;
  }
}

function finish(kind: 'elf' | 'raw', btf: Btf, elf: ElfFile | null, idSets: BtfIdSets | null): LoadedBtf {
  const sets = idSets?.sets ?? [];
  return {
    kind,
    declTags: hasKfuncDeclTags(btf),
    btfIds: idSets !== null,
    kfuncs: collectKfuncs(btf, sets),
    btf,
    elf,
    sets,
    setsFoundBy: idSets?.foundBy ?? null,
  };
}

/** The set8 sets that register kfuncs: those flagged BTF_SET8_KFUNCS, or all of them on kernels before the flag. */
export function kfuncSets(sets: readonly BtfIdSet8[]): BtfIdSet8[] {
  const flagged = sets.filter((s) => (s.flags & BTF_SET8_KFUNCS) !== 0);
  return flagged.length > 0 ? flagged : [...sets];
}

function hasKfuncDeclTags(btf: Btf): boolean {
  for (const tags of btf.declTags().values()) {
    if (tags.some((t) => t.name === DECL_TAG_KFUNC && t.componentIdx === -1)) return true;
  }
  return false;
}

function hasFuncTag(btf: Btf, id: number, tag: string): boolean {
  return btf.declTagsOf(id).some((t) => t.name === tag && t.componentIdx === -1);
}

/** kfuncs of one BTF (own types only for split BTF): decl-tagged FUNCs ∪ FUNCs in kfunc sets, sorted by name. */
export function collectKfuncs(btf: Btf, sets: readonly BtfIdSet8[]): BtfKfunc[] {
  const byName = new Map<string, BtfKfunc>();
  const add = (id: number): BtfKfunc => {
    const name = btf.nameOf(id);
    let kfunc = byName.get(name);
    if (!kfunc) {
      kfunc = describeKfunc(btf, id);
      byName.set(name, kfunc);
    }
    return kfunc;
  };
  for (const [target, tags] of btf.declTags()) {
    if (btf.isFunc(target) && tags.some((t) => t.name === DECL_TAG_KFUNC && t.componentIdx === -1)) add(target);
  }
  for (const set of kfuncSets(sets)) {
    for (const entry of set.entries) {
      if (!btf.isFunc(entry.id)) continue; // symbol-named sets are not shape-checked; skip non-FUNC ids
      const kfunc = add(entry.id);
      kfunc.sets.push({ name: set.name, flags: entry.flags });
      kfunc.flags ??= entry.flags;
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function describeKfunc(btf: Btf, id: number): BtfKfunc {
  const proto = renderFunction(btf, id);
  return {
    name: proto.name,
    id,
    ret: proto.ret,
    params: proto.params,
    ...(proto.variadic ? { variadic: true as const } : {}),
    flags: null,
    sets: [],
    fastcall: hasFuncTag(btf, id, DECL_TAG_FASTCALL),
    declTagged: hasFuncTag(btf, id, DECL_TAG_KFUNC),
  };
}

export interface BtfFunctionInfo {
  id: number;
  prototype: RenderedPrototype;
  /** Names of decl tags on the function itself (component_idx -1). */
  tags: string[];
}

/** A FUNC by name (this BTF first, then its base), rendered; null when absent. For `verify`. */
export function findFunction(btf: Btf, name: string): BtfFunctionInfo | null {
  const id = btf.findFunc(name);
  if (id === undefined) return null;
  return {
    id,
    prototype: renderFunction(btf, id),
    tags: btf.declTagsOf(id).filter((t) => t.componentIdx === -1).map((t) => t.name),
  };
}

/** The JSON-friendly part of a LoadedBtf (what scripts print). */
export function kfuncSummary(loaded: LoadedBtf): Pick<LoadedBtf, 'declTags' | 'btfIds' | 'kfuncs'> {
  return { declTags: loaded.declTags, btfIds: loaded.btfIds, kfuncs: loaded.kfuncs };
}

function describeUnknownFormat(bytes: Uint8Array): string {
  const startsWith = (...magic: number[]) => magic.every((b, i) => bytes[i] === b);
  if (startsWith(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz-compressed; decompress it first';
  if (startsWith(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd-compressed; decompress it first';
  if (startsWith(0x1f, 0x8b)) return 'gzip-compressed; decompress it first';
  if (bytes.length > 0x206 && bytes[0x202] === 0x48 && bytes[0x203] === 0x64 && bytes[0x204] === 0x72 && bytes[0x205] === 0x53) {
    return 'an x86 bzImage (vmlinuz); extract vmlinux from it first';
  }
  return 'neither an ELF file nor raw BTF';
}
