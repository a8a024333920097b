import { ByteReader } from './bytes';
import type { ElfFile, ElfSection } from './elf';

/*
 * `.BTF_ids` holds the id lists the kernel looks up at run time; resolve_btfids writes the BTF ids in after
 * linking. kfunc sets are `btf_id_set8`: u32 cnt, u32 flags (BTF_SET8_KFUNCS on ≥6.9), then cnt × {u32 id,
 * u32 flags}, sorted by id. With a symbol table each set is named by a `__BTF_ID__set8__<name>` symbol; a
 * stripped image (Debian's vmlinuz payload) has no symbols, so the sets are recognised by their shape.
 */

export const BTF_IDS_SECTION = '.BTF_ids';
export const BTF_SET8_KFUNCS = 1 << 0;
const SET8_SYMBOL_PREFIX = '__BTF_ID__set8__';
/** KF_* flags use the low bits (bit 17 is the highest seen); anything above this is not a flag word. */
const MAX_ENTRY_FLAGS = 1 << 20;

export interface BtfIdSet8Entry { id: number; flags: number }

export interface BtfIdSet8 {
  /** The set's C name, from its symbol; null when found by shape in a stripped file. */
  name: string | null;
  /** Offset of the set header inside .BTF_ids. */
  offset: number;
  /** Header flags (BTF_SET8_KFUNCS). */
  flags: number;
  /** Resolved entries in section order (ascending ids). */
  entries: BtfIdSet8Entry[];
  /** Entries resolve_btfids left at id 0 (function missing from BTF); not listed in entries. */
  unresolved: number;
}

export interface BtfIdSets {
  sets: BtfIdSet8[];
  foundBy: 'symbols' | 'shape';
}

/** Decides whether a number is a FUNC id in the BTF that .BTF_ids refers to (own or base for a module). */
export type IsFuncId = (id: number) => boolean;

/**
 * All set8 sets of an ELF file's .BTF_ids; null when the file has no .BTF_ids. Symbols are used when the file
 * has set8 symbols, otherwise the sets are found by shape.
 */
export function readBtfIdSets(elf: ElfFile, isFuncId: IsFuncId): BtfIdSets | null {
  const section = elf.section(BTF_IDS_SECTION);
  if (!section) return null;
  const bytes = elf.sectionData(section);
  const bySymbols = findSet8sBySymbols(elf, section, bytes);
  if (bySymbols.length > 0) return { sets: bySymbols, foundBy: 'symbols' };
  return { sets: scanSet8s(bytes, elf.littleEndian, isFuncId), foundBy: 'shape' };
}

/** Sets named by `__BTF_ID__set8__<name>` symbols inside the section, in section order. */
export function findSet8sBySymbols(elf: ElfFile, section: ElfSection, bytes: Uint8Array): BtfIdSet8[] {
  const reader = new ByteReader(bytes, elf.littleEndian, BTF_IDS_SECTION);
  const sets: BtfIdSet8[] = [];
  for (const symbol of elf.symbolsWithPrefix(SET8_SYMBOL_PREFIX)) {
    if (symbol.sectionIndex !== section.index) continue;
    const offset = elf.symbolOffsetInSection(symbol, section);
    if (offset === null) continue;
    sets.push({ name: symbol.name.slice(SET8_SYMBOL_PREFIX.length), offset, ...readSet8(reader, offset) });
  }
  return sets.sort((a, b) => a.offset - b.offset);
}

/** Reads the set8 at offset: header and its cnt pairs (bounds-checked; throws BtfError when cut off). */
export function readSet8(reader: ByteReader, offset: number): Omit<BtfIdSet8, 'name' | 'offset'> {
  const count = reader.u32(offset, 'set8 cnt');
  const flags = reader.u32(offset + 4, 'set8 flags');
  reader.check(offset + 8, count * 8, `set8 with ${count} entries`);
  const entries: BtfIdSet8Entry[] = [];
  let unresolved = 0;
  for (let i = 0; i < count; i++) {
    const id = reader.u32(offset + 8 + i * 8);
    if (id === 0) unresolved++;
    else entries.push({ id, flags: reader.u32(offset + 12 + i * 8) });
  }
  return { flags, entries, unresolved };
}

/**
 * Finds set8 sets by shape in a section without symbols. At each 4-byte-aligned offset it tries a header
 * (cnt ≥ 1, flags 0 or BTF_SET8_KFUNCS) followed by cnt pairs whose ids are FUNC ids in strictly ascending order
 * and whose flag words look like KF_* flags; an accepted set is skipped over as a whole.
 *
 * Look-alikes it must refuse (all of them are runs of BTF ids with no flag words):
 * - BTF_ID_LIST (u32 ids in source order): read as pairs, the even words are rarely ascending, and a header
 *   needs a word ≤ 1 in second place, which a list only has where an entry is unused or unresolved (0).
 * - btf_id_set (sorted `cnt, id, id, …`): its first id sits where the header flags would be, so it only looks
 *   like a header when that id is unresolved (0); the "pairs" are then consecutive ids.
 * In both, the words read as flags are BTF ids. Real flag words are small KF_* bitmasks that are almost never
 * also FUNC ids, so a run whose every flag word is a FUNC id is refused. (The cost: a real set whose every
 * entry's flags happen to equal some FUNC id is missed; no 6.12 set comes close.)
 */
export function scanSet8s(bytes: Uint8Array, littleEndian: boolean, isFuncId: IsFuncId): BtfIdSet8[] {
  const reader = new ByteReader(bytes, littleEndian, BTF_IDS_SECTION);
  const sets: BtfIdSet8[] = [];
  for (let offset = 0; offset + 8 <= bytes.length;) {
    const end = set8EndIfPlausible(reader, offset, isFuncId);
    if (end === null) {
      offset += 4;
      continue;
    }
    sets.push({ name: null, offset, ...readSet8(reader, offset) });
    offset = end;
  }
  return sets;
}

/** End offset of a plausible set8 starting at offset, or null. */
function set8EndIfPlausible(reader: ByteReader, offset: number, isFuncId: IsFuncId): number | null {
  const count = reader.u32(offset);
  const flags = reader.u32(offset + 4);
  if (count < 1 || (flags !== 0 && flags !== BTF_SET8_KFUNCS)) return null;
  const end = offset + 8 + count * 8;
  if (end > reader.length) return null;
  let previousId = 0;
  let everyFlagWordIsAFuncId = true;
  for (let at = offset + 8; at < end; at += 8) {
    const id = reader.u32(at);
    const entryFlags = reader.u32(at + 4);
    if (id <= previousId || !isFuncId(id) || entryFlags >= MAX_ENTRY_FLAGS) return null;
    if (!isFuncId(entryFlags)) everyFlagWordIsAFuncId = false;
    previousId = id;
  }
  return everyFlagWordIsAFuncId ? null : end;
}
