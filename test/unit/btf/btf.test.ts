import { describe, expect, it } from 'vitest';
import { Btf, BTF_KIND } from '../../../server/src/btf/btf';
import { BtfError } from '../../../server/src/btf/errors';
import { BtfBuilder, type Endian } from '../../helpers/btfWriter';

/** One type of every kind, with the kind_flag variants that change meaning. */
function everyKind(endian: Endian) {
  const b = new BtfBuilder({ endian });
  const ids = {
    int: b.int('int', 4, { signed: true }),
    uchar: b.int('unsigned char', 1, { char: true }),
    bool: b.int('_Bool', 1, { bool: true }),
    bitsInt: b.int('odd', 4, { bits: 3, bitOffset: 2 }),
    ptr: 0, array: 0, struct: 0, bitfields: 0, union: 0, enumU: 0, enumS: 0, fwdS: 0, fwdU: 0, typedef: 0,
    volatile: 0, const: 0, restrict: 0, proto: 0, varProto: 0, func: 0, staticFunc: 0, var: 0, datasec: 0,
    float: 0, tag: 0, attrTag: 0, typeTag: 0, attrTypeTag: 0, enum64: 0,
  };
  ids.ptr = b.ptr(ids.int);
  ids.array = b.array(ids.int, ids.int, 4);
  ids.struct = b.struct('pair', 8, [{ name: 'a', type: ids.int, bitOffset: 0 }, { name: 'b', type: ids.ptr, bitOffset: 32 }]);
  ids.bitfields = b.struct('flags', 4, [{ name: 'x', type: ids.int, bitOffset: 0, bitfieldSize: 3 }, { name: 'y', type: ids.int, bitOffset: 3, bitfieldSize: 5 }]);
  ids.union = b.union('either', 4, [{ name: 'i', type: ids.int, bitOffset: 0 }]);
  ids.enumU = b.enum('color', 4, [['RED', 0], ['BIG', 0xfffffffe]]);
  ids.enumS = b.enum('delta', 4, [['NEG', -2]], true);
  ids.fwdS = b.fwd('later_struct');
  ids.fwdU = b.fwd('later_union', true);
  ids.typedef = b.typedef('u32', ids.int);
  ids.volatile = b.volatile(ids.int);
  ids.const = b.const(ids.int);
  ids.restrict = b.restrict(ids.ptr);
  ids.proto = b.funcProto(ids.int, [['x', ids.int], ['p', ids.ptr]]);
  ids.varProto = b.funcProto(0, [['fmt', ids.ptr]], true);
  ids.func = b.func('do_thing', ids.proto, 1);
  ids.staticFunc = b.func('do_thing', ids.varProto, 0);
  ids.var = b.var('counter', ids.int, 1);
  ids.datasec = b.datasec('.data', 16, [{ type: ids.var, offset: 8, size: 4 }]);
  ids.float = b.float('double', 8);
  ids.tag = b.declTag('bpf_kfunc', ids.func, -1);
  ids.attrTag = b.declTag('aligned(8)', ids.struct, 1, true);
  ids.typeTag = b.typeTag('rcu', ids.int);
  ids.attrTypeTag = b.typeTag('address_space(1)', ids.int, true);
  ids.enum64 = b.enum64('wide', 8, [['HUGE', 0xfedcba9876543210n], ['MINUS', -5n]], true);
  return { bytes: b.build(), ids };
}

describe('Btf', () => {
  for (const endian of ['le', 'be'] as const) {
    it(`parses every kind (${endian})`, () => {
      const { bytes, ids } = everyKind(endian);
      const btf = Btf.parse(bytes);
      expect(btf.littleEndian).toBe(endian === 'le');
      expect(btf.startId).toBe(1);
      expect(btf.typeCount).toBe(ids.enum64 + 1);
      expect(btf.type(0)).toEqual({ kind: 'void', id: 0, name: '' });
      expect(btf.type(ids.int)).toMatchObject({ kind: 'int', name: 'int', size: 4, bits: 32, bitOffset: 0, encoding: { signed: true, char: false, bool: false } });
      expect(btf.type(ids.uchar)).toMatchObject({ encoding: { signed: false, char: true, bool: false }, bits: 8 });
      expect(btf.type(ids.bool)).toMatchObject({ encoding: { bool: true } });
      expect(btf.type(ids.bitsInt)).toMatchObject({ bits: 3, bitOffset: 2 });
      expect(btf.type(ids.ptr)).toEqual({ kind: 'ptr', id: ids.ptr, name: '', type: ids.int });
      expect(btf.type(ids.array)).toMatchObject({ kind: 'array', elemType: ids.int, indexType: ids.int, nelems: 4 });
      expect(btf.type(ids.struct)).toMatchObject({
        kind: 'struct', name: 'pair', size: 8,
        members: [{ name: 'a', type: ids.int, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: ids.ptr, bitOffset: 32, bitfieldSize: 0 }],
      });
      // kind_flag on a struct splits the member offset into bit offset (low 24) and bitfield size (high 8).
      expect(btf.type(ids.bitfields)).toMatchObject({
        members: [{ name: 'x', bitOffset: 0, bitfieldSize: 3 }, { name: 'y', bitOffset: 3, bitfieldSize: 5 }],
      });
      expect(btf.type(ids.union)).toMatchObject({ kind: 'union', name: 'either', members: [{ name: 'i' }] });
      expect(btf.type(ids.enumU)).toMatchObject({ kind: 'enum', signed: false, values: [{ name: 'RED', value: 0 }, { name: 'BIG', value: 0xfffffffe }] });
      expect(btf.type(ids.enumS)).toMatchObject({ kind: 'enum', signed: true, values: [{ name: 'NEG', value: -2 }] });
      expect(btf.type(ids.fwdS)).toMatchObject({ kind: 'fwd', name: 'later_struct', union: false });
      expect(btf.type(ids.fwdU)).toMatchObject({ kind: 'fwd', union: true });
      expect(btf.type(ids.typedef)).toMatchObject({ kind: 'typedef', name: 'u32', type: ids.int });
      expect(btf.type(ids.volatile)).toMatchObject({ kind: 'volatile', type: ids.int });
      expect(btf.type(ids.const)).toMatchObject({ kind: 'const', type: ids.int });
      expect(btf.type(ids.restrict)).toMatchObject({ kind: 'restrict', type: ids.ptr });
      expect(btf.type(ids.proto)).toMatchObject({ kind: 'func_proto', returnType: ids.int, variadic: false, params: [{ name: 'x', type: ids.int }, { name: 'p', type: ids.ptr }] });
      expect(btf.type(ids.varProto)).toMatchObject({ returnType: 0, variadic: true, params: [{ name: 'fmt' }] });
      expect(btf.type(ids.func)).toMatchObject({ kind: 'func', name: 'do_thing', type: ids.proto, linkage: 1 });
      expect(btf.type(ids.staticFunc)).toMatchObject({ linkage: 0 });
      expect(btf.type(ids.var)).toMatchObject({ kind: 'var', name: 'counter', type: ids.int, linkage: 1 });
      expect(btf.type(ids.datasec)).toMatchObject({ kind: 'datasec', name: '.data', size: 16, vars: [{ type: ids.var, offset: 8, size: 4 }] });
      expect(btf.type(ids.float)).toMatchObject({ kind: 'float', name: 'double', size: 8 });
      expect(btf.type(ids.tag)).toMatchObject({ kind: 'decl_tag', name: 'bpf_kfunc', type: ids.func, componentIdx: -1, attribute: false });
      expect(btf.type(ids.attrTag)).toMatchObject({ componentIdx: 1, attribute: true });
      expect(btf.type(ids.typeTag)).toMatchObject({ kind: 'type_tag', name: 'rcu', attribute: false });
      expect(btf.type(ids.attrTypeTag)).toMatchObject({ kind: 'type_tag', attribute: true });
      expect(btf.type(ids.enum64)).toMatchObject({ kind: 'enum64', signed: true, values: [{ name: 'HUGE', value: BigInt.asIntN(64, 0xfedcba9876543210n) }, { name: 'MINUS', value: -5n }] });
      expect(btf.kindOf(ids.datasec)).toBe(BTF_KIND.DATASEC);
    });
  }

  it('unsigned ENUM64 keeps values above 2^63', () => {
    const b = new BtfBuilder();
    const id = b.enum64('big', 8, [['TOP', 0xffffffffffffffffn]]);
    expect(Btf.parse(b.build()).type(id)).toMatchObject({ signed: false, values: [{ value: 0xffffffffffffffffn }] });
  });

  it('indexes FUNCs by name (keeping static duplicates) and decl tags by target', () => {
    const { bytes, ids } = everyKind('le');
    const btf = Btf.parse(bytes);
    expect(btf.funcsByName().get('do_thing')).toEqual([ids.func, ids.staticFunc]);
    expect(btf.findFunc('do_thing')).toBe(ids.func);
    expect(btf.findFunc('missing')).toBeUndefined();
    expect(btf.declTagsOf(ids.func)).toEqual([{ id: ids.tag, name: 'bpf_kfunc', componentIdx: -1, attribute: false }]);
    expect(btf.declTagsOf(ids.struct)).toEqual([{ id: ids.attrTag, name: 'aligned(8)', componentIdx: 1, attribute: true }]);
    expect(btf.declTagsOf(ids.int)).toEqual([]);
    expect(btf.isFunc(ids.func)).toBe(true);
    expect(btf.isFunc(ids.proto)).toBe(false);
    expect(btf.isFunc(0)).toBe(false);
    expect(btf.isFunc(99999)).toBe(false);
    expect([...btf.idsOfKind(BTF_KIND.FUNC)]).toEqual([ids.func, ids.staticFunc]);
  });

  describe('split BTF', () => {
    function baseAndModule(endian: Endian) {
      const base = new BtfBuilder({ endian });
      const int = base.int('int', 4, { signed: true });
      const task = base.struct('task_struct', 8, []);
      const taskPtr = base.ptr(task);
      const baseFunc = base.func('vmlinux_fn', base.funcProto(int, []));
      base.str('shared_name');
      const mod = new BtfBuilder({ base });
      const proto = mod.funcProto(taskPtr, [['p', taskPtr], ['n', int]]);
      const modFunc = mod.func('mod_fn', proto);
      const modTag = mod.declTag('bpf_kfunc', modFunc);
      const reused = mod.typedef('shared_name', int);
      return { base: base.build(), mod: mod.build(), ids: { int, taskPtr, baseFunc, proto, modFunc, modTag, reused }, modStart: mod.startId };
    }

    for (const endian of ['le', 'be'] as const) {
      it(`continues ids and string offsets after the base (${endian})`, () => {
        const { base, mod, ids, modStart } = baseAndModule(endian);
        const vmlinux = Btf.parse(base);
        const module = Btf.parse(mod, { base: vmlinux });
        expect(module.startId).toBe(vmlinux.typeCount);
        expect(module.startId).toBe(modStart);
        expect(module.ownTypeCount).toBe(4);
        expect(module.typeCount).toBe(vmlinux.typeCount + 4);
        expect(module.startStrOff).toBeGreaterThan(0);
        expect(module.type(ids.modFunc)).toMatchObject({ kind: 'func', name: 'mod_fn', type: ids.proto });
        expect(module.type(ids.proto)).toMatchObject({ returnType: ids.taskPtr, params: [{ name: 'p', type: ids.taskPtr }, { name: 'n', type: ids.int }] });
        // A name stored once in the base string section, referenced from the module.
        expect(module.nameOf(ids.reused)).toBe('shared_name');
        // Base types are reachable through the module.
        expect(module.type(ids.int)).toMatchObject({ kind: 'int', name: 'int' });
        expect(module.isFunc(ids.baseFunc)).toBe(true);
        expect(module.funcsByName().has('vmlinux_fn')).toBe(false);
        expect(module.findFunc('vmlinux_fn')).toBe(ids.baseFunc);
        expect(module.findFunc('mod_fn')).toBe(ids.modFunc);
        expect(module.declTagsOf(ids.modFunc).map((t) => t.name)).toEqual(['bpf_kfunc']);
        expect(vmlinux.declTags().size).toBe(0);
      });
    }

    it('a module blob without its base is rejected, not misread', () => {
      const { mod } = baseAndModule('le');
      expect(() => Btf.parse(mod)).toThrow(BtfError);
    });

    it('rejects a reference past the last type', () => {
      const base = new BtfBuilder();
      base.int('int', 4);
      const mod = new BtfBuilder({ base });
      const bad = mod.ptr(mod.nextId + 5);
      const module = Btf.parse(mod.build(), { base: Btf.parse(base.build()) });
      expect(() => module.type(bad)).toThrow(/missing type/);
      expect(() => module.type(module.typeCount)).toThrow(/out of range/);
    });
  });

  describe('corrupt input gives BtfError', () => {
    const { bytes } = everyKind('le');

    it('bad magic, version and header length', () => {
      expect(() => Btf.parse(Uint8Array.from([0x9f, 0xeb]))).toThrow(/too short/);
      const badMagic = bytes.slice(); badMagic[0] = 0;
      expect(() => Btf.parse(badMagic)).toThrow(/magic/);
      const badVersion = bytes.slice(); badVersion[2] = 2;
      expect(() => Btf.parse(badVersion)).toThrow(/version/);
      const shortHeader = bytes.slice(); shortHeader[4] = 8;
      expect(() => Btf.parse(shortHeader)).toThrow(/header length/);
    });

    it('sections that run past the end', () => {
      const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
      const longTypes = bytes.slice(); view(longTypes).setUint32(12, 1 << 30, true);
      expect(() => Btf.parse(longTypes)).toThrow(/type section/);
      const longStrings = bytes.slice(); view(longStrings).setUint32(20, bytes.length, true);
      expect(() => Btf.parse(longStrings)).toThrow(/string section/);
    });

    it('an unknown kind and a record cut in half', () => {
      const b = new BtfBuilder();
      b.int('int', 4);
      b.raw({ kind: 25 });
      expect(() => Btf.parse(b.build())).toThrow(/unknown kind 25/);
      const c = new BtfBuilder();
      c.raw({ kind: BTF_KIND.STRUCT, vlen: 1000 }); // promises 12 000 bytes of members that are not there
      expect(() => Btf.parse(c.build())).toThrow(/STRUCT|struct/);
    });

    it('a name offset outside the string section', () => {
      const b = new BtfBuilder();
      const id = b.raw({ kind: BTF_KIND.INT, sizeOrType: 4, extra: [32] });
      const blob = b.build();
      // name_off of the first type: header (24) + 0.
      new DataView(blob.buffer).setUint32(24, 5000, true);
      const btf = Btf.parse(blob);
      expect(() => btf.nameOf(id)).toThrow(BtfError);
      expect(() => btf.type(id)).toThrow(BtfError);
    });

    it('never throws anything but BtfError on truncations and byte flips', () => {
      let state = 12345;
      const random = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
      const exercise = (blob: Uint8Array) => {
        try {
          const btf = Btf.parse(blob);
          for (let id = 0; id < btf.typeCount; id++) btf.type(id);
          btf.funcsByName();
          btf.declTags();
        } catch (error) {
          expect(error).toBeInstanceOf(BtfError);
        }
      };
      for (let length = 0; length <= bytes.length; length += 3) exercise(bytes.subarray(0, length));
      for (let round = 0; round < 500; round++) {
        const blob = bytes.slice();
        for (let flips = 0; flips < 3; flips++) blob[Math.floor(random() * blob.length)] = Math.floor(random() * 256);
        exercise(blob);
      }
    });
  });
});
