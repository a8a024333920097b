/*
 * Test-only writers for BTF blobs and minimal ELF files, written from the format descriptions so tests can build
 * exactly the input they need (either byte order, split BTF, stripped or symbol-carrying ELF, corrupt data).
 */

export type Endian = 'le' | 'be';

const KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11,
  FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

/** Growable byte sink with fixed endianness. */
class ByteSink {
  private chunks: number[] = [];
  constructor(readonly endian: Endian) {}
  get length(): number { return this.chunks.length; }
  u8(v: number): this { this.chunks.push(v & 0xff); return this; }
  u16(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.chunks.push(...(this.endian === 'le' ? b : b.reverse()));
    return this;
  }
  u32(v: number): this {
    const x = v >>> 0;
    const b = [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];
    this.chunks.push(...(this.endian === 'le' ? b : b.reverse()));
    return this;
  }
  u64(v: bigint | number): this {
    const x = BigInt.asUintN(64, BigInt(v));
    const lo = Number(x & 0xffffffffn);
    const hi = Number(x >> 32n);
    return this.endian === 'le' ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(data: ArrayLike<number>): this { for (let i = 0; i < data.length; i++) this.chunks.push(data[i]); return this; }
  padTo(alignment: number): this { while (this.chunks.length % alignment !== 0) this.chunks.push(0); return this; }
  toUint8Array(): Uint8Array { return Uint8Array.from(this.chunks); }
}

/** u32 words in the given byte order (e.g. .BTF_ids contents). */
export function u32Words(endian: Endian, words: readonly number[]): Uint8Array {
  const sink = new ByteSink(endian);
  for (const w of words) sink.u32(w);
  return sink.toUint8Array();
}

/** Words of a btf_id_set8: cnt, flags, then {id, flags} pairs as given (not sorted here). */
export function set8Words(setFlags: number, entries: ReadonlyArray<readonly [id: number, flags: number]>): number[] {
  return [entries.length, setFlags, ...entries.flatMap(([id, flags]) => [id, flags])];
}

export interface RawTypeSpec {
  /** A name (interned when the type is added) or a raw name_off. */
  name?: string | number;
  kind: number;
  vlen?: number;
  kflag?: boolean;
  sizeOrType?: number;
  /** Extra u32 words after the 12-byte header. */
  extra?: number[];
}

/**
 * Builds a BTF blob. Type ids are handed out in call order starting at 1 (or after the base's ids for split
 * BTF), so a type can refer to a later one by computing `nextId + k`. For split BTF, finish adding to the base
 * before creating the split builder: its first id and string offset are fixed at construction.
 */
export class BtfBuilder {
  readonly endian: Endian;
  readonly startId: number;
  readonly startStrOff: number;
  private readonly types: RawTypeSpec[] = [];
  private readonly stringBytes: number[];
  private readonly stringOffsets: Map<string, number>;
  private readonly base: BtfBuilder | undefined;

  constructor(options: { endian?: Endian; base?: BtfBuilder } = {}) {
    this.base = options.base;
    // Base BTF starts its strings with "" at offset 0; split BTF (like libbpf writes it) starts empty and uses the base's "".
    this.stringBytes = this.base ? [] : [0];
    this.stringOffsets = this.base ? new Map() : new Map([['', 0]]);
    this.endian = options.endian ?? options.base?.endian ?? 'le';
    this.startId = this.base ? this.base.nextId : 1;
    this.startStrOff = this.base ? this.base.startStrOff + this.base.stringBytes.length : 0;
  }

  get nextId(): number { return this.startId + this.types.length; }

  /** Offset of a string, added once; base strings are reused by split BTF like pahole does. */
  str(s: string): number {
    const inBase = this.base?.lookupStr(s);
    if (inBase !== undefined) return inBase;
    let local = this.stringOffsets.get(s);
    if (local === undefined) {
      local = this.stringBytes.length;
      this.stringBytes.push(...new TextEncoder().encode(s), 0);
      this.stringOffsets.set(s, local);
    }
    return this.startStrOff + local;
  }

  private lookupStr(s: string): number | undefined {
    const inBase = this.base?.lookupStr(s);
    if (inBase !== undefined) return inBase;
    const local = this.stringOffsets.get(s);
    return local === undefined ? undefined : this.startStrOff + local;
  }

  /** Appends a type record verbatim (names resolved to offsets); returns its id. */
  raw(spec: RawTypeSpec): number {
    // Intern now: strings added at build time would shift a split blob's offsets after the fact.
    this.types.push({ ...spec, name: typeof spec.name === 'string' ? this.str(spec.name) : spec.name ?? 0 });
    return this.nextId - 1;
  }

  int(name: string, size: number, opts: { signed?: boolean; char?: boolean; bool?: boolean; bits?: number; bitOffset?: number } = {}): number {
    const encoding = (opts.signed ? 1 : 0) | (opts.char ? 2 : 0) | (opts.bool ? 4 : 0);
    const data = (encoding << 24) | ((opts.bitOffset ?? 0) << 16) | (opts.bits ?? size * 8);
    return this.raw({ name, kind: KIND.INT, sizeOrType: size, extra: [data] });
  }
  ptr(type: number): number { return this.raw({ kind: KIND.PTR, sizeOrType: type }); }
  typedef(name: string, type: number): number { return this.raw({ name, kind: KIND.TYPEDEF, sizeOrType: type }); }
  const(type: number): number { return this.raw({ kind: KIND.CONST, sizeOrType: type }); }
  volatile(type: number): number { return this.raw({ kind: KIND.VOLATILE, sizeOrType: type }); }
  restrict(type: number): number { return this.raw({ kind: KIND.RESTRICT, sizeOrType: type }); }
  typeTag(name: string, type: number, attribute = false): number {
    return this.raw({ name, kind: KIND.TYPE_TAG, kflag: attribute, sizeOrType: type });
  }
  array(elemType: number, indexType: number, nelems: number): number {
    return this.raw({ kind: KIND.ARRAY, extra: [elemType, indexType, nelems] });
  }
  struct(name: string, size: number, members: Array<{ name: string; type: number; bitOffset: number; bitfieldSize?: number }>, union = false): number {
    const kflag = members.some((m) => m.bitfieldSize !== undefined);
    const extra = members.flatMap((m) => [this.str(m.name), m.type, kflag ? ((m.bitfieldSize ?? 0) << 24) | m.bitOffset : m.bitOffset]);
    return this.raw({ name, kind: union ? KIND.UNION : KIND.STRUCT, vlen: members.length, kflag, sizeOrType: size, extra });
  }
  union(name: string, size: number, members: Array<{ name: string; type: number; bitOffset: number }>): number {
    return this.struct(name, size, members, true);
  }
  enum(name: string, size: number, values: Array<[string, number]>, signed = false): number {
    return this.raw({ name, kind: KIND.ENUM, vlen: values.length, kflag: signed, sizeOrType: size, extra: values.flatMap(([n, v]) => [this.str(n), v >>> 0]) });
  }
  enum64(name: string, size: number, values: Array<[string, bigint]>, signed = false): number {
    const extra = values.flatMap(([n, v]) => {
      const u = BigInt.asUintN(64, v);
      return [this.str(n), Number(u & 0xffffffffn), Number(u >> 32n)];
    });
    return this.raw({ name, kind: KIND.ENUM64, vlen: values.length, kflag: signed, sizeOrType: size, extra });
  }
  fwd(name: string, union = false): number { return this.raw({ name, kind: KIND.FWD, kflag: union }); }
  funcProto(returnType: number, params: Array<[string, number]>, variadic = false): number {
    const all = variadic ? [...params, ['', 0] as [string, number]] : params;
    return this.raw({ kind: KIND.FUNC_PROTO, vlen: all.length, sizeOrType: returnType, extra: all.flatMap(([n, t]) => [this.str(n), t]) });
  }
  func(name: string, proto: number, linkage = 1): number {
    return this.raw({ name, kind: KIND.FUNC, vlen: linkage, sizeOrType: proto });
  }
  var(name: string, type: number, linkage = 1): number { return this.raw({ name, kind: KIND.VAR, sizeOrType: type, extra: [linkage] }); }
  datasec(name: string, size: number, vars: Array<{ type: number; offset: number; size: number }>): number {
    return this.raw({ name, kind: KIND.DATASEC, vlen: vars.length, sizeOrType: size, extra: vars.flatMap((v) => [v.type, v.offset, v.size]) });
  }
  float(name: string, size: number): number { return this.raw({ name, kind: KIND.FLOAT, sizeOrType: size }); }
  declTag(name: string, target: number, componentIdx = -1, attribute = false): number {
    return this.raw({ name, kind: KIND.DECL_TAG, kflag: attribute, sizeOrType: target, extra: [componentIdx >>> 0] });
  }

  /** The blob: 24-byte header, type section, string section. */
  build(): Uint8Array {
    const typeSink = new ByteSink(this.endian);
    for (const t of this.types) {
      const info = ((t.kflag ? 1 : 0) << 31) | ((t.kind & 0x1f) << 24) | ((t.vlen ?? 0) & 0xffff);
      typeSink.u32(t.name as number).u32(info).u32(t.sizeOrType ?? 0);
      for (const w of t.extra ?? []) typeSink.u32(w);
    }
    const typeBytes = typeSink.toUint8Array();
    const sink = new ByteSink(this.endian);
    sink.u16(0xeb9f).u8(1).u8(0).u32(24).u32(0).u32(typeBytes.length).u32(typeBytes.length).u32(this.stringBytes.length);
    return sink.bytes(typeBytes).bytes(this.stringBytes).toUint8Array();
  }
}

export interface ElfSectionSpec {
  name: string;
  data: Uint8Array;
  /** sh_type; PROGBITS (1) by default. */
  type?: number;
  addr?: bigint;
}
export interface ElfSymbolSpec {
  name: string;
  /** Name of the section it is defined in. */
  section: string;
  value: bigint | number;
  size?: number;
  /** STT_*; NOTYPE (0) by default. */
  type?: number;
  /** STB_*; LOCAL (0) by default. */
  bind?: number;
}
export interface ElfSpec {
  endian?: Endian;
  elfClass?: 32 | 64;
  /** e_type: ET_REL 1 (.ko), ET_EXEC 2 (vmlinux, default). */
  fileType?: number;
  sections: ElfSectionSpec[];
  /** When given (even empty), .symtab and .strtab are written. */
  symbols?: ElfSymbolSpec[];
}

/** A minimal ELF: header, section contents, .shstrtab, optional .symtab/.strtab, section header table. */
export function buildElf(spec: ElfSpec): Uint8Array {
  const endian = spec.endian ?? 'le';
  const is64 = (spec.elfClass ?? 64) === 64;
  const headerSize = is64 ? 64 : 52;
  const sectionHeaderSize = is64 ? 64 : 40;

  const sections: Array<Required<Omit<ElfSectionSpec, 'addr'>> & { addr: bigint; link: number; info: number; entsize: number }> =
    spec.sections.map((s) => ({ name: s.name, data: s.data, type: s.type ?? 1, addr: s.addr ?? 0n, link: 0, info: 0, entsize: 0 }));
  if (spec.symbols) {
    const strtab = new ByteSink(endian).u8(0);
    const symtab = new ByteSink(endian);
    symtab.bytes(new Uint8Array(is64 ? 24 : 16)); // null symbol
    const ordered = [...spec.symbols].sort((a, b) => (a.bind ?? 0) - (b.bind ?? 0)); // locals first
    for (const sym of ordered) {
      const nameOffset = strtab.length;
      strtab.bytes(new TextEncoder().encode(sym.name)).u8(0);
      const sectionIndex = spec.sections.findIndex((s) => s.name === sym.section) + 1;
      if (sectionIndex === 0) throw new Error(`symbol ${sym.name}: no section ${sym.section}`);
      const info = ((sym.bind ?? 0) << 4) | (sym.type ?? 0);
      if (is64) symtab.u32(nameOffset).u8(info).u8(0).u16(sectionIndex).u64(sym.value).u64(sym.size ?? 0);
      else symtab.u32(nameOffset).u32(Number(sym.value)).u32(sym.size ?? 0).u8(info).u8(0).u16(sectionIndex);
    }
    const firstGlobal = 1 + ordered.filter((s) => (s.bind ?? 0) === 0).length;
    const strtabIndex = sections.length + 2; // after .symtab itself (indexes count the null section)
    sections.push({ name: '.symtab', data: symtab.toUint8Array(), type: 2, addr: 0n, link: strtabIndex, info: firstGlobal, entsize: is64 ? 24 : 16 });
    sections.push({ name: '.strtab', data: strtab.toUint8Array(), type: 3, addr: 0n, link: 0, info: 0, entsize: 0 });
  }
  const shstrtab = new ByteSink(endian).u8(0);
  const nameOffsets = [...sections.map((s) => s.name), '.shstrtab'].map((name) => {
    const offset = shstrtab.length;
    shstrtab.bytes(new TextEncoder().encode(name)).u8(0);
    return offset;
  });
  sections.push({ name: '.shstrtab', data: shstrtab.toUint8Array(), type: 3, addr: 0n, link: 0, info: 0, entsize: 0 });

  const out = new ByteSink(endian);
  out.bytes(new Uint8Array(headerSize));
  const offsets = sections.map((s) => {
    out.padTo(8);
    const offset = out.length;
    out.bytes(s.data);
    return offset;
  });
  out.padTo(8);
  const shoff = out.length;
  out.bytes(new Uint8Array(sectionHeaderSize)); // null section
  sections.forEach((s, i) => {
    if (is64) {
      out.u32(nameOffsets[i]).u32(s.type).u64(0).u64(s.addr).u64(offsets[i]).u64(s.data.length)
        .u32(s.link).u32(s.info).u64(1).u64(s.entsize);
    } else {
      out.u32(nameOffsets[i]).u32(s.type).u32(0).u32(Number(s.addr)).u32(offsets[i]).u32(s.data.length)
        .u32(s.link).u32(s.info).u32(1).u32(s.entsize);
    }
  });
  const bytes = out.toUint8Array();
  // ELF header, written last now that the offsets are known.
  const header = new ByteSink(endian);
  header.bytes([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, endian === 'le' ? 1 : 2, 1, 0]).bytes(new Uint8Array(8));
  header.u16(spec.fileType ?? 2).u16(62).u32(1);
  if (is64) header.u64(0).u64(0).u64(shoff);
  else header.u32(0).u32(0).u32(shoff);
  header.u32(0).u16(headerSize).u16(0).u16(0).u16(sectionHeaderSize).u16(sections.length + 1).u16(sections.length);
  bytes.set(header.toUint8Array(), 0);
  return bytes;
}
