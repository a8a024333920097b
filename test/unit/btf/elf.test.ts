import { describe, expect, it } from 'vitest';
import { ElfFile, isElf } from '../../../server/src/btf/elf';
import { BtfError } from '../../../server/src/btf/errors';
import { buildElf, type Endian } from '../../helpers/btfWriter';

const variants: Array<{ endian: Endian; elfClass: 32 | 64 }> = [
  { endian: 'le', elfClass: 64 }, { endian: 'be', elfClass: 64 }, { endian: 'le', elfClass: 32 }, { endian: 'be', elfClass: 32 },
];

describe('ElfFile', () => {
  for (const { endian, elfClass } of variants) {
    it(`reads sections, addresses and symbols (ELF${elfClass} ${endian})`, () => {
      const addr = elfClass === 64 ? 0xffffffff82b6f868n : 0xc1000000n;
      const bytes = buildElf({
        endian, elfClass,
        sections: [
          { name: '.text', data: Uint8Array.from([1, 2, 3]) },
          { name: '.BTF_ids', data: Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]), addr },
        ],
        symbols: [
          { name: 'global_fn', section: '.text', value: 1, size: 2, type: 2, bind: 1 },
          { name: '__BTF_ID__set8__my_set', section: '.BTF_ids', value: addr + 4n, size: 4 },
        ],
      });
      const elf = ElfFile.parse(bytes);
      expect(elf.is64).toBe(elfClass === 64);
      expect(elf.littleEndian).toBe(endian === 'le');
      expect(elf.fileType).toBe(2);
      expect(elf.sections.map((s) => s.name)).toEqual(['', '.text', '.BTF_ids', '.symtab', '.strtab', '.shstrtab']);
      expect([...elf.sectionData('.BTF_ids')]).toEqual([9, 8, 7, 6, 5, 4, 3, 2]);
      const ids = elf.section('.BTF_ids')!;
      expect(ids.addr).toBe(addr);
      expect(elf.hasSymbolTable).toBe(true);
      const symbols = elf.symbols();
      expect(symbols.map((s) => s.name)).toEqual(['__BTF_ID__set8__my_set', 'global_fn']);
      const set = symbols[0];
      expect(set.sectionIndex).toBe(ids.index);
      expect(set.size).toBe(4);
      expect(elf.symbolOffsetInSection(set)).toBe(4);
      const fn = symbols[1];
      expect(fn).toMatchObject({ type: 2, bind: 1, value: 1n, size: 2 });
      expect(elf.symbolsWithPrefix('__BTF_ID__').map((s) => s.name)).toEqual(['__BTF_ID__set8__my_set']);
    });
  }

  it('treats a file without .symtab as stripped', () => {
    const elf = ElfFile.parse(buildElf({ sections: [{ name: '.BTF', data: new Uint8Array(4) }] }));
    expect(elf.hasSymbolTable).toBe(false);
    expect(elf.symbols()).toEqual([]);
    expect(elf.symbolsWithPrefix('x')).toEqual([]);
  });

  it('maps a symbol outside its section to null', () => {
    const bytes = buildElf({
      sections: [{ name: '.BTF_ids', data: new Uint8Array(8), addr: 0x1000n }],
      symbols: [{ name: 'below', section: '.BTF_ids', value: 0xff0 }, { name: 'above', section: '.BTF_ids', value: 0x1010 }],
    });
    const elf = ElfFile.parse(bytes);
    expect(elf.symbols().map((s) => elf.symbolOffsetInSection(s))).toEqual([null, null]);
  });

  it('recognises ELF magic', () => {
    expect(isElf(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2]))).toBe(true);
    expect(isElf(Uint8Array.from([0x7f, 0x45, 0x4c]))).toBe(false);
    expect(isElf(Uint8Array.from([0x9f, 0xeb, 1, 0]))).toBe(false);
  });

  describe('rejects broken input with BtfError', () => {
    const good = buildElf({
      sections: [{ name: '.BTF', data: new Uint8Array(16) }],
      symbols: [{ name: 's', section: '.BTF', value: 0 }],
    });

    it('bad magic, class and data encoding', () => {
      expect(() => ElfFile.parse(Uint8Array.from([1, 2, 3]))).toThrow(BtfError);
      const badClass = good.slice(); badClass[4] = 3;
      expect(() => ElfFile.parse(badClass)).toThrow(/class/);
      const badData = good.slice(); badData[5] = 0;
      expect(() => ElfFile.parse(badData)).toThrow(/data encoding/);
    });

    it('section header table past the end of the file', () => {
      expect(() => ElfFile.parse(good.subarray(0, good.length - 10))).toThrow(/section header table/);
    });

    it('section bytes past the end of the file', () => {
      const elf = ElfFile.parse(good);
      const btf = elf.section('.BTF')!;
      // Grow the section's sh_size (ELF64 LE: header at shoff + index*64, sh_size at +32) beyond the file.
      const shoff = Number(new DataView(good.buffer).getBigUint64(40, true));
      const patched = good.slice();
      new DataView(patched.buffer).setBigUint64(shoff + btf.index * 64 + 32, 1n << 40n, true);
      expect(() => ElfFile.parse(patched).sectionData('.BTF')).toThrow(BtfError);
    });

    it('every truncation either parses or throws BtfError', () => {
      for (let length = 0; length < good.length; length++) {
        try {
          const elf = ElfFile.parse(good.subarray(0, length));
          for (const s of elf.sections) elf.sectionData(s);
          elf.symbols();
        } catch (error) {
          expect(error).toBeInstanceOf(BtfError);
        }
      }
    });
  });
});
