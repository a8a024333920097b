import { describe, expect, it } from 'vitest';
import { Btf } from '../../../server/src/btf/btf';
import { readBtfIdSets, scanSet8s } from '../../../server/src/btf/btfIds';
import { ElfFile } from '../../../server/src/btf/elf';
import { BtfError } from '../../../server/src/btf/errors';
import { BtfBuilder, buildElf, set8Words, u32Words, type Endian } from '../../helpers/btfWriter';

/** int (1), a prototype (2), FUNCs f0…f9 (3…12) and two structs (13, 14): small ids, so ids can pose as counts. */
function fixtureBtf(endian: Endian = 'le') {
  const b = new BtfBuilder({ endian });
  const int = b.int('int', 4, { signed: true });
  const proto = b.funcProto(int, []);
  const f = Array.from({ length: 10 }, (_, i) => b.func(`f${i}`, proto));
  const structs = [b.struct('task_struct', 8, []), b.struct('cgroup', 8, [])];
  return { bytes: b.build(), f, structs, btf: Btf.parse(b.build()) };
}

const { btf, f, structs } = fixtureBtf();
const isFunc = (id: number) => btf.isFunc(id);
const scan = (words: number[], endian: Endian = 'le') => scanSet8s(u32Words(endian, words), endian === 'le', isFunc);

describe('set8 by symbols', () => {
  for (const endian of ['le', 'be'] as const) {
    it(`names sets from __BTF_ID__set8__ symbols in a vmlinux-like ELF (${endian})`, () => {
      const addr = 0xffffffff82b6f868n;
      const words = [
        ...[f[0], f[1]], // a BTF_ID_LIST before the sets
        ...set8Words(1, [[f[2], 133], [f[5], 0]]),
        ...set8Words(0, [[f[7], 4]]),
      ];
      const elf = ElfFile.parse(buildElf({
        endian,
        sections: [{ name: '.BTF_ids', data: u32Words(endian, words), addr }],
        symbols: [
          { name: '__BTF_ID__set8__generic_btf_ids', section: '.BTF_ids', value: addr + 8n, size: 24 },
          { name: '__BTF_ID__set8__old_style', section: '.BTF_ids', value: addr + 32n, size: 16 },
          { name: '__BTF_ID__func__f0__1', section: '.BTF_ids', value: addr, size: 4 },
        ],
      }));
      const result = readBtfIdSets(elf, isFunc)!;
      expect(result.foundBy).toBe('symbols');
      expect(result.sets).toEqual([
        { name: 'generic_btf_ids', offset: 8, flags: 1, entries: [{ id: f[2], flags: 133 }, { id: f[5], flags: 0 }], unresolved: 0 },
        { name: 'old_style', offset: 32, flags: 0, entries: [{ id: f[7], flags: 4 }], unresolved: 0 },
      ]);
    });
  }

  it('uses section-relative symbol values in a relocatable .ko and counts unresolved (0) ids', () => {
    const words = [0xdead, ...set8Words(1, [[0, 0], [f[3], 2]])];
    const elf = ElfFile.parse(buildElf({
      fileType: 1,
      sections: [{ name: '.BTF_ids', data: u32Words('le', words) }],
      symbols: [{ name: '__BTF_ID__set8__mod_ids', section: '.BTF_ids', value: 4 }],
    }));
    expect(readBtfIdSets(elf, isFunc)).toEqual({
      foundBy: 'symbols',
      sets: [{ name: 'mod_ids', offset: 4, flags: 1, entries: [{ id: f[3], flags: 2 }], unresolved: 1 }],
    });
  });

  it('a set symbol whose count runs past the section is a BtfError', () => {
    const elf = ElfFile.parse(buildElf({
      sections: [{ name: '.BTF_ids', data: u32Words('le', [50, 1, f[0], 0]) }],
      symbols: [{ name: '__BTF_ID__set8__broken', section: '.BTF_ids', value: 0 }],
    }));
    expect(() => readBtfIdSets(elf, isFunc)).toThrow(BtfError);
  });

  it('no .BTF_ids section: null', () => {
    const elf = ElfFile.parse(buildElf({ sections: [{ name: '.BTF', data: new Uint8Array(4) }] }));
    expect(readBtfIdSets(elf, isFunc)).toBeNull();
  });
});

describe('set8 by shape (stripped files)', () => {
  it('finds the same sets as the symbols, without names', () => {
    const words = [
      structs[0], 0, // BTF_ID_LIST of structs with an unused entry
      ...set8Words(1, [[f[2], 133], [f[5], 0], [f[6], 5]]),
      structs[1],
      ...set8Words(1, [[f[1], 16]]),
    ];
    const elf = ElfFile.parse(buildElf({ sections: [{ name: '.BTF_ids', data: u32Words('le', words) }] }));
    const result = readBtfIdSets(elf, isFunc)!;
    expect(result.foundBy).toBe('shape');
    expect(result.sets).toEqual([
      { name: null, offset: 8, flags: 1, entries: [{ id: f[2], flags: 133 }, { id: f[5], flags: 0 }, { id: f[6], flags: 5 }], unresolved: 0 },
      { name: null, offset: 44, flags: 1, entries: [{ id: f[1], flags: 16 }], unresolved: 0 },
    ]);
  });

  it('reads big-endian sections and pre-6.9 sets (header flags 0)', () => {
    const sets = scan(set8Words(0, [[f[0], 1], [f[9], 0]]), 'be');
    expect(sets).toHaveLength(1);
    expect(sets[0]).toMatchObject({ flags: 0, entries: [{ id: f[0], flags: 1 }, { id: f[9], flags: 0 }] });
  });

  it('finds adjacent sets and skips over an accepted set (its pairs are not re-read as headers)', () => {
    // Inside the first set the pair (f0 = 3, 0) looks like a header with cnt 3; skipping the set avoids it.
    const words = [...set8Words(1, [[f[0], 0], [f[1], 1], [f[2], 0], [f[4], 0]]), ...set8Words(1, [[f[8], 2]])];
    expect(scan(words).map((s) => [s.offset, s.entries.length])).toEqual([[0, 4], [40, 1]]);
  });

  describe('near-misses that must not be taken for set8', () => {
    it('a BTF_ID_LIST of FUNC ids that happens to read as header + ascending pairs', () => {
      // A list entry equal to 3 followed by an unused slot, then funcs: naively cnt 3, flags 0, ids ascending.
      const list = [3, 0, f[2], f[1], f[4], f[3], f[6], f[5]];
      expect(scan(list)).toEqual([]);
    });

    it('a BTF_ID_LIST of FUNC ids in source (unsorted) order', () => {
      expect(scan([2, 0, f[5], 0, f[3], 0])).toEqual([]);
    });

    it('a plain btf_id_set (cnt + sorted ids, no flags)', () => {
      expect(scan([3, f[1], f[4], f[7]])).toEqual([]);
    });

    it('a plain btf_id_set whose first id is unresolved (0), followed by more FUNC ids', () => {
      // cnt 3, ids [0, f1, f2], then a BTF_ID_LIST [f3, f4, f5, f6]: header (3, 0) and ascending "pairs".
      expect(scan([3, 0, f[1], f[2], f[3], f[4], f[5], f[6]])).toEqual([]);
    });

    it('unsorted ids', () => {
      expect(scan(set8Words(1, [[f[5], 0], [f[3], 0]]))).toEqual([]);
    });

    it('a repeated id', () => {
      expect(scan(set8Words(1, [[f[5], 0], [f[5], 1]]))).toEqual([]);
    });

    it('header flags word 2', () => {
      expect(scan(set8Words(2, [[f[1], 0], [f[2], 0]]))).toEqual([]);
    });

    it('an entry flags word of 2^20 or more', () => {
      expect(scan(set8Words(1, [[f[1], 0], [f[2], 1 << 20]]))).toEqual([]);
    });

    it('ids that are not FUNCs (struct ids) or out of range', () => {
      expect(scan(set8Words(1, [[structs[0], 0], [structs[1], 0]]))).toEqual([]);
      expect(scan(set8Words(1, [[f[1], 0], [5000, 0]]))).toEqual([]);
    });

    it('a count that runs past the section', () => {
      expect(scan([3, 1, f[1], 0, f[2], 0])).toEqual([]);
    });

    it('but a real set right after a near-miss is still found', () => {
      const words = [3, f[1], f[4], f[7], ...set8Words(1, [[f[2], 0], [f[3], 4]])];
      expect(scan(words).map((s) => s.offset)).toEqual([16]);
    });
  });

  it('split BTF: module sets may name module and base FUNC ids', () => {
    const base = new BtfBuilder();
    const int = base.int('int', 4);
    const baseFunc = base.func('vmlinux_fn', base.funcProto(int, []));
    const mod = new BtfBuilder({ base });
    const modFuncs = [mod.func('bbr_init', mod.funcProto(0, [])), mod.func('bbr_main', mod.funcProto(0, []))];
    const module = Btf.parse(mod.build(), { base: Btf.parse(base.build()) });
    const sets = scanSet8s(u32Words('le', set8Words(1, [[baseFunc, 0], [modFuncs[0], 0], [modFuncs[1], 0]])), true, (id) => module.isFunc(id));
    expect(sets[0].entries.map((e) => e.id)).toEqual([baseFunc, ...modFuncs]);
  });

  it('never throws on arbitrary words', () => {
    let state = 7;
    const random = () => (state = (state * 1103515245 + 12345) >>> 0);
    for (let round = 0; round < 200; round++) {
      const words = Array.from({ length: 1 + (random() % 40) }, () => [0, 1, 2, f[random() % 10], random()][random() % 5]);
      expect(() => scan(words)).not.toThrow();
      // A section that is not a multiple of 4 bytes long.
      expect(() => scanSet8s(u32Words('le', words).subarray(1), true, isFunc)).not.toThrow();
    }
  });
});
