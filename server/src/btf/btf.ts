import { ByteReader, readCString } from './bytes';
import { BtfError } from './errors';

/** BTF kind numbers (the 5-bit field in bits 24..28 of a type's info word). */
export const BTF_KIND = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

const KIND_NAMES = [
  'void', 'int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const', 'restrict',
  'func', 'func_proto', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64',
] as const;
export type BtfKindName = (typeof KIND_NAMES)[number];

export const BTF_MAGIC = 0xeb9f;
const HEADER_MIN_SIZE = 24;
const TYPE_HEADER_SIZE = 12;

export interface BtfMember {
  name: string;
  type: number;
  /** Offset of the member from the start of the struct, in bits. */
  bitOffset: number;
  /** Width of a bitfield (only recorded when the struct's kind_flag is set), else 0. */
  bitfieldSize: number;
}
export interface BtfParam { name: string; type: number }
export interface BtfEnumValue { name: string; value: number }
export interface BtfEnum64Value { name: string; value: bigint }
export interface BtfDatasecVar { type: number; offset: number; size: number }

/** FUNC linkage (vlen of a FUNC) and VAR linkage values. */
export const BTF_FUNC_LINKAGE = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;

export type BtfType =
  | { kind: 'void'; id: 0; name: '' }
  | {
    kind: 'int'; id: number; name: string; size: number;
    encoding: { signed: boolean; char: boolean; bool: boolean }; bitOffset: number; bits: number;
  }
  | { kind: 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict'; id: number; name: string; type: number }
  /** attribute: kind_flag set, a type attribute such as address_space(1) rather than btf_type_tag. */
  | { kind: 'type_tag'; id: number; name: string; type: number; attribute: boolean }
  | { kind: 'array'; id: number; name: string; elemType: number; indexType: number; nelems: number }
  | { kind: 'struct' | 'union'; id: number; name: string; size: number; members: BtfMember[] }
  | { kind: 'enum'; id: number; name: string; size: number; signed: boolean; values: BtfEnumValue[] }
  | { kind: 'enum64'; id: number; name: string; size: number; signed: boolean; values: BtfEnum64Value[] }
  /** A forward declaration: union when kind_flag is set, else struct. */
  | { kind: 'fwd'; id: number; name: string; union: boolean }
  /** type is the FUNC_PROTO id; linkage is BTF_FUNC_LINKAGE. */
  | { kind: 'func'; id: number; name: string; type: number; linkage: number }
  /** A trailing parameter with type 0 and no name marks varargs; it is not listed in params. */
  | { kind: 'func_proto'; id: number; name: string; returnType: number; params: BtfParam[]; variadic: boolean }
  | { kind: 'var'; id: number; name: string; type: number; linkage: number }
  | { kind: 'datasec'; id: number; name: string; size: number; vars: BtfDatasecVar[] }
  | { kind: 'float'; id: number; name: string; size: number }
  /** componentIdx -1 tags the type itself; otherwise a member or parameter index. attribute: kind_flag set. */
  | { kind: 'decl_tag'; id: number; name: string; type: number; componentIdx: number; attribute: boolean };

export type BtfTypeOf<K extends BtfKindName> = Extract<BtfType, { kind: K }>;

export interface BtfDeclTag {
  /** The DECL_TAG's own type id. */
  id: number;
  name: string;
  componentIdx: number;
  attribute: boolean;
}

export interface BtfParseOptions {
  /** For split BTF (a module's .BTF): the BTF it extends, usually vmlinux. */
  base?: Btf;
}

/** Bytes that follow the 12-byte common header, by kind; -1 for an unknown kind. */
function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case BTF_KIND.INT: return 4;
    case BTF_KIND.ARRAY: return 12;
    case BTF_KIND.STRUCT: case BTF_KIND.UNION: return vlen * 12;
    case BTF_KIND.ENUM: return vlen * 8;
    case BTF_KIND.FUNC_PROTO: return vlen * 8;
    case BTF_KIND.VAR: return 4;
    case BTF_KIND.DATASEC: return vlen * 12;
    case BTF_KIND.DECL_TAG: return 4;
    case BTF_KIND.ENUM64: return vlen * 12;
    case BTF_KIND.PTR: case BTF_KIND.FWD: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST:
    case BTF_KIND.RESTRICT: case BTF_KIND.FUNC: case BTF_KIND.FLOAT: case BTF_KIND.TYPE_TAG:
      return 0;
    default: return -1;
  }
}

/**
 * A parsed BTF blob. Construction makes one pass that records where each type starts (types are variable
 * length, so this is the minimum); names, type records, the FUNC-name map and the decl-tag index are built on
 * first use. Split BTF: ids continue after the base's last id, string offsets after the base's string section.
 */
export class Btf {
  readonly base: Btf | undefined;
  /** First type id defined by this blob (1 for base BTF). */
  readonly startId: number;
  /** One past the last type id, counting the base's ids (and void, id 0). */
  readonly typeCount: number;
  /** First string offset that belongs to this blob's own string section. */
  readonly startStrOff: number;
  readonly littleEndian: boolean;

  private readonly types: ByteReader;
  private readonly strings: Uint8Array;
  private readonly offsets: Uint32Array;
  private readonly kinds: Uint8Array;
  private readonly typeCache = new Map<number, BtfType>();
  private funcIndex: Map<string, number[]> | undefined;
  private declTagIndex: Map<number, BtfDeclTag[]> | undefined;

  private constructor(bytes: Uint8Array, base: Btf | undefined) {
    if (bytes.length < HEADER_MIN_SIZE) throw new BtfError(`BTF: ${bytes.length} bytes is too short for a header`);
    const magicLe = bytes[0] | (bytes[1] << 8);
    if (magicLe === BTF_MAGIC) this.littleEndian = true;
    else if (magicLe === ((BTF_MAGIC >> 8) | ((BTF_MAGIC & 0xff) << 8))) this.littleEndian = false;
    else throw new BtfError(`BTF: bad magic 0x${magicLe.toString(16)}`);
    const header = new ByteReader(bytes, this.littleEndian, 'BTF');
    const version = header.u8(2, 'version');
    if (version !== 1) throw new BtfError(`BTF: unsupported version ${version}`);
    const hdrLen = header.u32(4, 'hdr_len');
    if (hdrLen < HEADER_MIN_SIZE) throw new BtfError(`BTF: header length ${hdrLen} is too small`);
    const typeOff = header.u32(8, 'type_off');
    const typeLen = header.u32(12, 'type_len');
    const strOff = header.u32(16, 'str_off');
    const strLen = header.u32(20, 'str_len');
    if (typeOff % 4 !== 0) throw new BtfError(`BTF: type section offset ${typeOff} is not 4-byte aligned`);
    this.types = new ByteReader(header.slice(hdrLen + typeOff, typeLen, 'type section'), this.littleEndian, 'BTF types');
    this.strings = header.slice(hdrLen + strOff, strLen, 'string section');
    if (strLen > 0 && this.strings[strLen - 1] !== 0) throw new BtfError('BTF: string section does not end with NUL');
    if (!base && (strLen === 0 || this.strings[0] !== 0)) throw new BtfError('BTF: string section must start with an empty string');

    this.base = base;
    this.startId = base ? base.typeCount : 1;
    this.startStrOff = base ? base.startStrOff + base.strings.length : 0;
    [this.offsets, this.kinds] = this.indexTypes();
    this.typeCount = this.startId + this.offsets.length;
  }

  static parse(bytes: Uint8Array, options: BtfParseOptions = {}): Btf {
    return new Btf(bytes, options.base);
  }

  /** True when the blob starts with the BTF magic in either byte order. */
  static isBtf(bytes: Uint8Array): boolean {
    if (bytes.length < 2) return false;
    const magic = bytes[0] | (bytes[1] << 8);
    return magic === BTF_MAGIC || magic === 0x9feb;
  }

  /** Number of types this blob itself defines. */
  get ownTypeCount(): number {
    return this.offsets.length;
  }

  /** Walks the type section once, recording each type's offset and kind; checks every record fits. */
  private indexTypes(): [Uint32Array, Uint8Array] {
    const r = this.types;
    let offsets = new Uint32Array(1024);
    let kinds = new Uint8Array(1024);
    let count = 0;
    let at = 0;
    while (at < r.length) {
      r.check(at, TYPE_HEADER_SIZE, `type #${this.startId + count}`);
      const info = r.u32(at + 4);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const extra = extraSize(kind, vlen);
      if (extra < 0) throw new BtfError(`BTF: type #${this.startId + count} has unknown kind ${kind}`);
      r.check(at, TYPE_HEADER_SIZE + extra, `type #${this.startId + count} (${KIND_NAMES[kind]}, vlen ${vlen})`);
      if (count === offsets.length) {
        const grownOffsets = new Uint32Array(count * 2);
        grownOffsets.set(offsets);
        offsets = grownOffsets;
        const grownKinds = new Uint8Array(count * 2);
        grownKinds.set(kinds);
        kinds = grownKinds;
      }
      offsets[count] = at;
      kinds[count] = kind;
      count++;
      at += TYPE_HEADER_SIZE + extra;
    }
    return [offsets.subarray(0, count), kinds.subarray(0, count)];
  }

  /** The string at a BTF string offset (base offsets are resolved in the base). */
  str(offset: number): string {
    if (offset < this.startStrOff) {
      if (!this.base) throw new BtfError(`BTF: string offset ${offset} is negative`);
      return this.base.str(offset);
    }
    return readCString(this.strings, offset - this.startStrOff, 'BTF strings');
  }

  /** Kind number of a type id without decoding it (0 for void). */
  kindOf(id: number): number {
    if (id === 0) return BTF_KIND.UNKN;
    if (id < this.startId) {
      if (!this.base) throw new BtfError(`BTF: type id ${id} is out of range`);
      return this.base.kindOf(id);
    }
    this.checkId(id);
    return this.kinds[id - this.startId];
  }

  /** True when id names a FUNC here or in the base. Out-of-range ids are simply not FUNCs. */
  isFunc(id: number): boolean {
    return Number.isInteger(id) && id > 0 && id < this.typeCount && this.kindOf(id) === BTF_KIND.FUNC;
  }

  /** The type's own name ('' for anonymous types and void). */
  nameOf(id: number): string {
    if (id === 0) return '';
    if (id < this.startId) return this.requireBase(id).nameOf(id);
    this.checkId(id);
    return this.str(this.types.u32(this.offsets[id - this.startId]));
  }

  type(id: number): BtfType {
    if (id === 0) return { kind: 'void', id: 0, name: '' };
    if (id < this.startId) return this.requireBase(id).type(id);
    this.checkId(id);
    let cached = this.typeCache.get(id);
    if (!cached) {
      cached = this.decode(id);
      this.typeCache.set(id, cached);
    }
    return cached;
  }

  /** A type that must be of the given kind (throws otherwise). */
  typeOfKind<K extends BtfKindName>(id: number, kind: K): BtfTypeOf<K> {
    const t = this.type(id);
    if (t.kind !== kind) throw new BtfError(`BTF: type #${id} is ${t.kind}, expected ${kind}`);
    return t as BtfTypeOf<K>;
  }

  /** FUNCs defined in this blob (not the base), by name. Static functions can share a name, hence arrays. */
  funcsByName(): ReadonlyMap<string, readonly number[]> {
    if (!this.funcIndex) {
      const index = new Map<string, number[]>();
      for (let i = 0; i < this.kinds.length; i++) {
        if (this.kinds[i] !== BTF_KIND.FUNC) continue;
        const id = this.startId + i;
        const name = this.nameOf(id);
        const ids = index.get(name);
        if (ids) ids.push(id);
        else index.set(name, [id]);
      }
      this.funcIndex = index;
    }
    return this.funcIndex;
  }

  /** The first FUNC with this name: this blob first, then the base. */
  findFunc(name: string): number | undefined {
    return this.funcsByName().get(name)?.[0] ?? this.base?.findFunc(name);
  }

  /** Decl tags that point at a type (from this blob and the base). */
  declTagsOf(id: number): readonly BtfDeclTag[] {
    const own = this.declTags().get(id) ?? [];
    const inherited = this.base && id < this.startId ? this.base.declTagsOf(id) : [];
    return inherited.length === 0 ? own : [...inherited, ...own];
  }

  /** All decl tags defined in this blob, keyed by the id they point at. */
  declTags(): ReadonlyMap<number, readonly BtfDeclTag[]> {
    if (!this.declTagIndex) {
      const index = new Map<number, BtfDeclTag[]>();
      for (let i = 0; i < this.kinds.length; i++) {
        if (this.kinds[i] !== BTF_KIND.DECL_TAG) continue;
        const tag = this.typeOfKind(this.startId + i, 'decl_tag');
        const entry: BtfDeclTag = { id: tag.id, name: tag.name, componentIdx: tag.componentIdx, attribute: tag.attribute };
        const list = index.get(tag.type);
        if (list) list.push(entry);
        else index.set(tag.type, [entry]);
      }
      this.declTagIndex = index;
    }
    return this.declTagIndex;
  }

  /** Ids of this blob's own types of one kind, in id order. */
  *idsOfKind(kind: number): Generator<number> {
    for (let i = 0; i < this.kinds.length; i++) if (this.kinds[i] === kind) yield this.startId + i;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < this.startId || id >= this.typeCount) {
      throw new BtfError(`BTF: type id ${id} is out of range (${this.startId}..${this.typeCount - 1})`);
    }
  }

  private requireBase(id: number): Btf {
    if (!this.base || id < 0) throw new BtfError(`BTF: type id ${id} is out of range`);
    return this.base;
  }

  /** A referenced id must exist (void allowed) so that later lookups cannot wander off. */
  private ref(id: number, what: string, from: number): number {
    if (id >= this.typeCount) throw new BtfError(`BTF: type #${from} ${what} refers to missing type #${id}`);
    return id;
  }

  private decode(id: number): BtfType {
    const r = this.types;
    const at = this.offsets[id - this.startId];
    const name = this.str(r.u32(at));
    const info = r.u32(at + 4);
    const kindFlag = (info >>> 31) === 1;
    const vlen = info & 0xffff;
    const sizeOrType = r.u32(at + 8);
    const body = at + TYPE_HEADER_SIZE;
    const kind = this.kinds[id - this.startId];
    switch (kind) {
      case BTF_KIND.INT: {
        const data = r.u32(body);
        const encoding = (data >>> 24) & 0x0f;
        return {
          kind: 'int', id, name, size: sizeOrType,
          encoding: { signed: (encoding & 1) !== 0, char: (encoding & 2) !== 0, bool: (encoding & 4) !== 0 },
          bitOffset: (data >>> 16) & 0xff, bits: data & 0xff,
        };
      }
      case BTF_KIND.PTR: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST: case BTF_KIND.RESTRICT:
        return { kind: KIND_NAMES[kind] as 'ptr', id, name, type: this.ref(sizeOrType, 'target', id) };
      case BTF_KIND.TYPE_TAG:
        return { kind: 'type_tag', id, name, type: this.ref(sizeOrType, 'target', id), attribute: kindFlag };
      case BTF_KIND.ARRAY:
        return {
          kind: 'array', id, name,
          elemType: this.ref(r.u32(body), 'element', id), indexType: this.ref(r.u32(body + 4), 'index', id),
          nelems: r.u32(body + 8),
        };
      case BTF_KIND.STRUCT: case BTF_KIND.UNION: {
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++) {
          const m = body + i * 12;
          const offset = r.u32(m + 8);
          members.push({
            name: this.str(r.u32(m)), type: this.ref(r.u32(m + 4), `member ${i}`, id),
            bitOffset: kindFlag ? offset & 0xffffff : offset, bitfieldSize: kindFlag ? offset >>> 24 : 0,
          });
        }
        return { kind: kind === BTF_KIND.STRUCT ? 'struct' : 'union', id, name, size: sizeOrType, members };
      }
      case BTF_KIND.ENUM: {
        const values: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++) {
          const v = body + i * 8;
          values.push({ name: this.str(r.u32(v)), value: kindFlag ? r.i32(v + 4) : r.u32(v + 4) });
        }
        return { kind: 'enum', id, name, size: sizeOrType, signed: kindFlag, values };
      }
      case BTF_KIND.ENUM64: {
        const values: BtfEnum64Value[] = [];
        for (let i = 0; i < vlen; i++) {
          const v = body + i * 12;
          const raw = (BigInt(r.u32(v + 8)) << 32n) | BigInt(r.u32(v + 4));
          values.push({ name: this.str(r.u32(v)), value: kindFlag ? BigInt.asIntN(64, raw) : raw });
        }
        return { kind: 'enum64', id, name, size: sizeOrType, signed: kindFlag, values };
      }
      case BTF_KIND.FWD:
        return { kind: 'fwd', id, name, union: kindFlag };
      case BTF_KIND.FUNC:
        return { kind: 'func', id, name, type: this.ref(sizeOrType, 'prototype', id), linkage: vlen };
      case BTF_KIND.FUNC_PROTO: {
        const params: BtfParam[] = [];
        let variadic = false;
        for (let i = 0; i < vlen; i++) {
          const p = body + i * 8;
          const nameOff = r.u32(p);
          const type = this.ref(r.u32(p + 4), `parameter ${i}`, id);
          if (type === 0 && nameOff === 0 && i === vlen - 1) variadic = true;
          else params.push({ name: this.str(nameOff), type });
        }
        return { kind: 'func_proto', id, name, returnType: this.ref(sizeOrType, 'return type', id), params, variadic };
      }
      case BTF_KIND.VAR:
        return { kind: 'var', id, name, type: this.ref(sizeOrType, 'type', id), linkage: r.u32(body) };
      case BTF_KIND.DATASEC: {
        const vars: BtfDatasecVar[] = [];
        for (let i = 0; i < vlen; i++) {
          const v = body + i * 12;
          vars.push({ type: this.ref(r.u32(v), `variable ${i}`, id), offset: r.u32(v + 4), size: r.u32(v + 8) });
        }
        return { kind: 'datasec', id, name, size: sizeOrType, vars };
      }
      case BTF_KIND.FLOAT:
        return { kind: 'float', id, name, size: sizeOrType };
      case BTF_KIND.DECL_TAG:
        return {
          kind: 'decl_tag', id, name, type: this.ref(sizeOrType, 'target', id), componentIdx: r.i32(body), attribute: kindFlag,
        };
      default:
        throw new BtfError(`BTF: type #${id} has unknown kind ${kind}`);
    }
  }
}

export function btfKindName(kind: number): BtfKindName | undefined {
  return KIND_NAMES[kind];
}
