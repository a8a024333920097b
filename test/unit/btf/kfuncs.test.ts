import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Btf } from '../../../server/src/btf/btf';
import { BtfError } from '../../../server/src/btf/errors';
import { collectKfuncs, findFunction, kfuncSets, kfuncSummary, loadBtfFile } from '../../../server/src/btf/kfuncs';
import { BtfBuilder, buildElf, set8Words, u32Words } from '../../helpers/btfWriter';

/** A tiny "vmlinux": a few kfuncs and ordinary functions, optionally decl-tagged like pahole ≥ 1.27 does. */
function vmlinuxBtf(options: { declTags: boolean }) {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const task = b.ptr(b.struct('task_struct', 64, []));
  const u32 = b.typedef('u32', b.int('unsigned int', 4));
  const fn = {
    acquire: b.func('bpf_task_acquire', b.funcProto(task, [['p', task]])),
    release: b.func('bpf_task_release', b.funcProto(0, [['p', task]])),
    fastcallFn: b.func('bpf_get_cpu_nr', b.funcProto(u32, [])),
    fmodret: b.func('update_socket_protocol', b.funcProto(int, [['family', int], ['type', int], ['protocol', int]])),
    plain: b.func('schedule', b.funcProto(0, [])),
    tagOnly: b.func('bpf_tag_only', b.funcProto(0, [['x', u32]])),
  };
  if (options.declTags) {
    for (const id of [fn.acquire, fn.release, fn.fastcallFn, fn.tagOnly]) b.declTag('bpf_kfunc', id);
    b.declTag('bpf_fastcall', fn.fastcallFn);
    b.declTag('bpf_kfunc', fn.plain, 0); // a tag on a parameter, not on the function: not a kfunc
  }
  return { b, fn, int, bytes: b.build() };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'kfunc-btf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loadBtfFile', () => {
  it('raw BTF with decl tags (like /sys/kernel/btf/vmlinux)', () => {
    const { bytes } = vmlinuxBtf({ declTags: true });
    const file = path.join(tmp, 'vmlinux.btf');
    writeFileSync(file, bytes);
    const loaded = loadBtfFile(file);
    expect(loaded.kind).toBe('raw');
    expect(loaded.declTags).toBe(true);
    expect(loaded.btfIds).toBe(false);
    expect(loaded.elf).toBeNull();
    expect(loaded.kfuncs.map((k) => k.name)).toEqual(['bpf_get_cpu_nr', 'bpf_tag_only', 'bpf_task_acquire', 'bpf_task_release']);
    const acquire = loaded.kfuncs.find((k) => k.name === 'bpf_task_acquire')!;
    expect(acquire).toMatchObject({
      ret: 'struct task_struct *', params: [{ name: 'p', type: 'struct task_struct *' }],
      flags: null, sets: [], fastcall: false, declTagged: true,
    });
    expect(acquire).not.toHaveProperty('variadic');
    expect(loaded.kfuncs.find((k) => k.name === 'bpf_get_cpu_nr')).toMatchObject({ ret: 'u32', params: [], fastcall: true });
  });

  it('stripped ELF without decl tags (pahole < 1.27): kfuncs from KFUNCS-flagged sets only', () => {
    const { bytes, fn } = vmlinuxBtf({ declTags: false });
    const ids = [
      ...set8Words(1, [[fn.acquire, 133], [fn.release, 2]]), // generic_btf_ids
      ...set8Words(0, [[fn.fmodret, 0]]), // a non-kfunc set8 (fmodret ids)
      ...set8Words(1, [[fn.acquire, 5], [fn.fastcallFn, 0]]),
    ];
    const elf = buildElf({ sections: [{ name: '.BTF', data: bytes }, { name: '.BTF_ids', data: u32Words('le', ids) }] });
    const loaded = loadBtfFile(elf);
    expect(loaded).toMatchObject({ kind: 'elf', declTags: false, btfIds: true, setsFoundBy: 'shape' });
    expect(loaded.sets).toHaveLength(3);
    expect(kfuncSummary(loaded)).toEqual({
      declTags: false,
      btfIds: true,
      kfuncs: [
        { name: 'bpf_get_cpu_nr', id: fn.fastcallFn, ret: 'u32', params: [], flags: 0, sets: [{ name: null, flags: 0 }], fastcall: false, declTagged: false },
        {
          name: 'bpf_task_acquire', id: fn.acquire, ret: 'struct task_struct *', params: [{ name: 'p', type: 'struct task_struct *' }],
          flags: 133, sets: [{ name: null, flags: 133 }, { name: null, flags: 5 }], fastcall: false, declTagged: false,
        },
        {
          name: 'bpf_task_release', id: fn.release, ret: 'void', params: [{ name: 'p', type: 'struct task_struct *' }],
          flags: 2, sets: [{ name: null, flags: 2 }], fastcall: false, declTagged: false,
        },
      ],
    });
  });

  it('kernels before BTF_SET8_KFUNCS (< 6.9): every set8 is a kfunc set', () => {
    const { bytes, fn } = vmlinuxBtf({ declTags: false });
    const elf = buildElf({
      sections: [{ name: '.BTF', data: bytes }, { name: '.BTF_ids', data: u32Words('le', set8Words(0, [[fn.acquire, 133], [fn.plain, 0]])), addr: 0x1000n }],
      symbols: [{ name: '__BTF_ID__set8__generic_btf_ids', section: '.BTF_ids', value: 0x1000 }],
    });
    const loaded = loadBtfFile(elf);
    expect(loaded.setsFoundBy).toBe('symbols');
    expect(loaded.kfuncs.map((k) => [k.name, k.flags, k.sets])).toEqual([
      ['bpf_task_acquire', 133, [{ name: 'generic_btf_ids', flags: 133 }]],
      ['schedule', 0, [{ name: 'generic_btf_ids', flags: 0 }]],
    ]);
  });

  it('decl tags and sets together: the union, with set flags on tagged kfuncs', () => {
    const { bytes, fn } = vmlinuxBtf({ declTags: true });
    const elf = buildElf({ sections: [{ name: '.BTF', data: bytes }, { name: '.BTF_ids', data: u32Words('le', set8Words(1, [[fn.acquire, 133], [fn.fmodret, 0]])) }] });
    const loaded = loadBtfFile(elf);
    expect(loaded.declTags).toBe(true);
    expect(loaded.kfuncs.map((k) => [k.name, k.declTagged, k.flags])).toEqual([
      ['bpf_get_cpu_nr', true, null],
      ['bpf_tag_only', true, null],
      ['bpf_task_acquire', true, 133],
      ['bpf_task_release', true, null],
      ['update_socket_protocol', false, 0],
    ]);
  });

  it('a module: split BTF on the vmlinux base, set named by its symbol', () => {
    const { b: base, int } = vmlinuxBtf({ declTags: false });
    const vmlinux = Btf.parse(base.build());
    const mod = new BtfBuilder({ base });
    const sock = mod.ptr(mod.struct('sock', 8, []));
    const bbrMain = mod.func('bbr_main', mod.funcProto(0, [['sk', sock], ['flag', int]]));
    const bbrInit = mod.func('bbr_init', mod.funcProto(0, [['sk', sock]]));
    const ko = buildElf({
      fileType: 1,
      sections: [{ name: '.BTF', data: mod.build() }, { name: '.BTF_ids', data: u32Words('le', set8Words(1, [[bbrMain, 0], [bbrInit, 0]])) }],
      symbols: [{ name: '__BTF_ID__set8__tcp_bbr_check_kfunc_ids', section: '.BTF_ids', value: 0 }],
    });
    const loaded = loadBtfFile(ko, { base: vmlinux });
    expect(loaded.kfuncs.map((k) => k.name)).toEqual(['bbr_init', 'bbr_main']);
    expect(loaded.kfuncs[0]).toMatchObject({ params: [{ name: 'sk', type: 'struct sock *' }], sets: [{ name: 'tcp_bbr_check_kfunc_ids', flags: 0 }] });
    expect(loaded.kfuncs[1].params).toEqual([{ name: 'sk', type: 'struct sock *' }, { name: 'flag', type: 'int' }]);
    expect(() => loadBtfFile(ko)).toThrow(/pass the vmlinux BTF as base/);
  });

  it('raw module BTF (/sys/kernel/btf/<module>) with decl tags, on the vmlinux base', () => {
    const { b: base, int } = vmlinuxBtf({ declTags: true });
    const vmlinux = Btf.parse(base.build());
    const mod = new BtfBuilder({ base });
    const lookup = mod.func('bpf_skb_ct_lookup', mod.funcProto(int, [['opts__sz', int]]));
    mod.declTag('bpf_kfunc', lookup);
    const loaded = loadBtfFile(mod.build(), { base: vmlinux });
    expect(loaded.kind).toBe('raw');
    // Only the module's own kfuncs: the base's tagged functions belong to vmlinux.
    expect(loaded.kfuncs.map((k) => k.name)).toEqual(['bpf_skb_ct_lookup']);
    expect(() => loadBtfFile(mod.build())).toThrow(/pass the vmlinux BTF as base/);
  });

  it('variadic kfuncs are marked', () => {
    const b = new BtfBuilder();
    const fmt = b.ptr(b.const(b.int('char', 1, { char: true })));
    const f = b.func('bpf_printk_like', b.funcProto(0, [['fmt', fmt]], true));
    b.declTag('bpf_kfunc', f);
    expect(loadBtfFile(b.build()).kfuncs[0]).toMatchObject({ variadic: true, params: [{ name: 'fmt', type: 'const char *' }] });
  });

  it('explains inputs it cannot read', () => {
    expect(() => loadBtfFile(Uint8Array.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1]))).toThrow(/xz-compressed/);
    expect(() => loadBtfFile(Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toThrow(/zstd/);
    const bzImage = new Uint8Array(0x300);
    bzImage.set([0x48, 0x64, 0x72, 0x53], 0x202);
    expect(() => loadBtfFile(bzImage)).toThrow(/bzImage/);
    expect(() => loadBtfFile(Uint8Array.from([1, 2, 3]))).toThrow(BtfError);
    expect(() => loadBtfFile(buildElf({ sections: [{ name: '.text', data: new Uint8Array(4) }] }))).toThrow(/no \.BTF section/);
  });
});

describe('lower-level helpers', () => {
  it('findFunction renders a FUNC by name with its tags; null when absent', () => {
    const { bytes, fn } = vmlinuxBtf({ declTags: true });
    const btf = Btf.parse(bytes);
    expect(findFunction(btf, 'bpf_get_cpu_nr')).toEqual({
      id: fn.fastcallFn,
      prototype: { name: 'bpf_get_cpu_nr', ret: 'u32', params: [], variadic: false, text: 'u32 bpf_get_cpu_nr(void)' },
      tags: ['bpf_kfunc', 'bpf_fastcall'],
    });
    expect(findFunction(btf, 'schedule')?.tags).toEqual([]);
    expect(findFunction(btf, 'nope')).toBeNull();
  });

  it('kfuncSets prefers flagged sets and falls back to all', () => {
    const set = (flags: number) => ({ name: null, offset: 0, flags, entries: [], unresolved: 0 });
    expect(kfuncSets([set(0), set(1)]).map((s) => s.flags)).toEqual([1]);
    expect(kfuncSets([set(0), set(0)])).toHaveLength(2);
    expect(kfuncSets([])).toEqual([]);
  });

  it('collectKfuncs skips set ids that are not FUNCs', () => {
    const { bytes, fn } = vmlinuxBtf({ declTags: false });
    const btf = Btf.parse(bytes);
    const kfuncs = collectKfuncs(btf, [{ name: 'x', offset: 0, flags: 1, entries: [{ id: 1, flags: 0 }, { id: fn.plain, flags: 4 }], unresolved: 0 }]);
    expect(kfuncs.map((k) => [k.name, k.flags])).toEqual([['schedule', 4]]);
  });
});
