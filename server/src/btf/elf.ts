import { ByteReader, readCString } from './bytes';
import { BtfError } from './errors';

/** Section types this reader cares about (ELF gABI values). */
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHT_SYMTAB_SHNDX = 18;

const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  /** Virtual address when loaded (0 in relocatable objects such as .ko files). Kernel addresses need 64 bits. */
  addr: bigint;
  /** File offset and size of the section's bytes. */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  /** st_value: an address in executables, a section-relative offset in relocatable objects. */
  value: bigint;
  size: number;
  /** STT_* (low nibble of st_info). */
  type: number;
  /** STB_* (high nibble of st_info). */
  bind: number;
  /** Index of the section the symbol is defined in (SHN_XINDEX already resolved); 0 when undefined. */
  sectionIndex: number;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/** Field offsets that differ between ELF32 and ELF64. */
interface ElfLayout {
  shoff: number; shentsize: number; shnum: number; shstrndx: number;
  sectionHeaderSize: number; symbolSize: number;
}
const LAYOUT32: ElfLayout = { shoff: 32, shentsize: 46, shnum: 48, shstrndx: 50, sectionHeaderSize: 40, symbolSize: 16 };
const LAYOUT64: ElfLayout = { shoff: 40, shentsize: 58, shnum: 60, shstrndx: 62, sectionHeaderSize: 64, symbolSize: 24 };

/** An ELF file read from memory: section headers eagerly (they are few), symbols on first use. */
export class ElfFile {
  readonly sections: readonly ElfSection[];
  private readonly reader: ByteReader;
  private readonly layout: ElfLayout;
  private symbolCache: ElfSymbol[] | undefined;

  private constructor(
    readonly bytes: Uint8Array,
    readonly is64: boolean,
    readonly littleEndian: boolean,
  ) {
    this.reader = new ByteReader(bytes, littleEndian, 'ELF');
    this.layout = is64 ? LAYOUT64 : LAYOUT32;
    this.sections = this.readSections();
  }

  static parse(bytes: Uint8Array): ElfFile {
    if (bytes.length < 16 || !isElf(bytes)) throw new BtfError('ELF: bad magic (not an ELF file)');
    const elfClass = bytes[4];
    const data = bytes[5];
    if (elfClass !== 1 && elfClass !== 2) throw new BtfError(`ELF: unknown class ${elfClass}`);
    if (data !== 1 && data !== 2) throw new BtfError(`ELF: unknown data encoding ${data}`);
    return new ElfFile(bytes, elfClass === 2, data === 1);
  }

  /** e_type: 1 relocatable (.ko), 2 executable (vmlinux), 3 shared. */
  get fileType(): number {
    return this.reader.u16(16, 'e_type');
  }

  get machine(): number {
    return this.reader.u16(18, 'e_machine');
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The bytes of a section (a view, no copy). NOBITS sections (.bss) have no file bytes: an empty array. */
  sectionData(sectionOrName: ElfSection | string): Uint8Array {
    const section = typeof sectionOrName === 'string' ? this.section(sectionOrName) : sectionOrName;
    if (!section) throw new BtfError(`ELF: no section named ${String(sectionOrName)}`);
    if (section.type === SHT_NOBITS) return new Uint8Array(0);
    return this.reader.slice(section.offset, section.size, `bytes of section ${section.name || section.index}`);
  }

  get hasSymbolTable(): boolean {
    return this.sections.some((s) => s.type === SHT_SYMTAB);
  }

  /** All .symtab symbols (index 0, the null symbol, left out). Empty when the file is stripped. */
  symbols(): readonly ElfSymbol[] {
    this.symbolCache ??= this.readSymbols(() => true);
    return this.symbolCache;
  }

  /** Symbols whose name starts with prefix; compares raw bytes first so huge tables are not fully decoded. */
  symbolsWithPrefix(prefix: string): ElfSymbol[] {
    if (this.symbolCache) return this.symbolCache.filter((s) => s.name.startsWith(prefix));
    const wanted = new TextEncoder().encode(prefix);
    return this.readSymbols((strings, offset) => {
      if (offset + wanted.length > strings.length) return false;
      for (let i = 0; i < wanted.length; i++) if (strings[offset + i] !== wanted[i]) return false;
      return true;
    });
  }

  /**
   * Where a symbol lies inside its section: value minus the section's load address (in .ko files both are
   * section-relative, sh_addr being 0). Null when it lies outside the section or the section is unknown.
   */
  symbolOffsetInSection(symbol: ElfSymbol, section?: ElfSection): number | null {
    const target = section ?? this.sections[symbol.sectionIndex];
    if (!target) return null;
    const offset = symbol.value - target.addr;
    if (offset < 0n || offset > BigInt(target.size)) return null;
    return Number(offset);
  }

  private readSections(): ElfSection[] {
    const r = this.reader;
    const l = this.layout;
    const shoff = this.is64 ? r.u64AsNumber(l.shoff, 'e_shoff') : r.u32(l.shoff, 'e_shoff');
    if (shoff === 0) return [];
    const shentsize = r.u16(l.shentsize, 'e_shentsize');
    if (shentsize < l.sectionHeaderSize) throw new BtfError(`ELF: section header size ${shentsize} is too small`);
    let shnum = r.u16(l.shnum, 'e_shnum');
    let shstrndx = r.u16(l.shstrndx, 'e_shstrndx');
    // Extended numbering: the real counts live in section header 0.
    if (shnum === 0 || shstrndx === SHN_XINDEX) {
      const first = this.readSectionHeader(shoff, 0);
      if (shnum === 0) shnum = first.size;
      if (shstrndx === SHN_XINDEX) shstrndx = first.link;
    }
    r.check(shoff, shnum * shentsize, 'section header table');
    const headers: ElfSection[] = [];
    const nameOffsets: number[] = [];
    for (let i = 0; i < shnum; i++) {
      headers.push(this.readSectionHeader(shoff + i * shentsize, i));
      nameOffsets.push(r.u32(shoff + i * shentsize, 'sh_name'));
    }
    // Without a usable name table the sections stay unnamed (and so cannot be found by name).
    if (shstrndx === SHN_UNDEF || shstrndx >= headers.length) return headers;
    const names = r.slice(headers[shstrndx].offset, headers[shstrndx].size, 'section name table');
    return headers.map((h, i) => ({ ...h, name: nameOffsets[i] === 0 ? '' : readCString(names, nameOffsets[i], 'ELF section names') }));
  }

  private readSectionHeader(at: number, index: number): ElfSection {
    const name = ''; // filled in once the name table is known
    const r = this.reader;
    if (this.is64) {
      return {
        index, name,
        type: r.u32(at + 4, 'sh_type'),
        flags: r.u64(at + 8, 'sh_flags'),
        addr: r.u64(at + 16, 'sh_addr'),
        offset: r.u64AsNumber(at + 24, 'sh_offset'),
        size: r.u64AsNumber(at + 32, 'sh_size'),
        link: r.u32(at + 40, 'sh_link'),
        info: r.u32(at + 44, 'sh_info'),
        entsize: r.u64AsNumber(at + 56, 'sh_entsize'),
      };
    }
    return {
      index, name,
      type: r.u32(at + 4, 'sh_type'),
      flags: BigInt(r.u32(at + 8, 'sh_flags')),
      addr: BigInt(r.u32(at + 12, 'sh_addr')),
      offset: r.u32(at + 16, 'sh_offset'),
      size: r.u32(at + 20, 'sh_size'),
      link: r.u32(at + 24, 'sh_link'),
      info: r.u32(at + 28, 'sh_info'),
      entsize: r.u32(at + 36, 'sh_entsize'),
    };
  }

  private readSymbols(keep: (strings: Uint8Array, nameOffset: number) => boolean): ElfSymbol[] {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) return [];
    const strtab = this.sections[symtab.link];
    if (!strtab || strtab.type !== SHT_STRTAB) throw new BtfError(`ELF: .symtab links to section ${symtab.link}, which is not a string table`);
    const strings = this.sectionData(strtab);
    const data = this.sectionData(symtab);
    const entrySize = symtab.entsize || this.layout.symbolSize;
    if (entrySize < this.layout.symbolSize) throw new BtfError(`ELF: symbol entry size ${entrySize} is too small`);
    const extendedIndexes = this.extendedSectionIndexes(symtab.index);
    const r = new ByteReader(data, this.littleEndian, 'ELF .symtab');
    const count = Math.floor(data.length / entrySize);
    const out: ElfSymbol[] = [];
    for (let i = 1; i < count; i++) {
      const at = i * entrySize;
      const nameOffset = r.u32(at, 'st_name');
      if (!keep(strings, nameOffset)) continue;
      const info = this.is64 ? r.u8(at + 4) : r.u8(at + 12);
      let sectionIndex = this.is64 ? r.u16(at + 6) : r.u16(at + 14);
      if (sectionIndex === SHN_XINDEX && extendedIndexes) sectionIndex = extendedIndexes.u32(i * 4, 'extended section index');
      else if (sectionIndex >= SHN_LORESERVE) sectionIndex = SHN_UNDEF; // ABS, COMMON: not inside a section
      out.push({
        name: nameOffset === 0 ? '' : readCString(strings, nameOffset, 'ELF symbol names'),
        value: this.is64 ? r.u64(at + 8, 'st_value') : BigInt(r.u32(at + 4, 'st_value')),
        size: this.is64 ? r.u64AsNumber(at + 16, 'st_size') : r.u32(at + 8, 'st_size'),
        type: info & 0xf,
        bind: info >> 4,
        sectionIndex,
      });
    }
    return out;
  }

  private extendedSectionIndexes(symtabIndex: number): ByteReader | undefined {
    const shndx = this.sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtabIndex);
    return shndx ? new ByteReader(this.sectionData(shndx), this.littleEndian, 'ELF .symtab_shndx') : undefined;
  }
}
