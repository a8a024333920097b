// `kfunc-lsp verify`: the fixture tree in test/verify/tree against BTF blobs and ELF files built here, each agreeing
// or disagreeing with the source on purpose (contracts §2.4).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/src/cli/main';
import { initParser } from '../../server/src/parse/treeSitter';
import { BtfBuilder, buildElf, set8Words, u32Words } from '../helpers/btfWriter';

const TREE = path.join(__dirname, 'tree');
const tmp = mkdtempSync(path.join(tmpdir(), 'kfunc-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initParser();
});

interface KernelOptions {
  /** pahole ≥ 1.27: every kfunc FUNC carries a `bpf_kfunc` decl tag. */
  declTags?: boolean;
  /** resolve_btfids rewrote bpf_demo_implicit (BPF-visible proto + generated bpf_demo_implicit_impl). */
  rewrite?: boolean;
  /** ... but left out the generated `_impl`. */
  implMissing?: boolean;
  /** bpf_demo_sum's second parameter lost its `__k` suffix. */
  renameParam?: boolean;
  /** bpf_demo_sum's first parameter became u64. */
  changeType?: boolean;
  /** CONFIG_DEMO_EXTRA=y: bpf_demo_extra is built. */
  withExtra?: boolean;
  /** A kfunc the source does not have. */
  btfOnly?: boolean;
  /** Flag words in .BTF_ids, by kfunc name (default: what the source says). */
  flags?: Record<string, number>;
}

const KF_ACQUIRE = 1;
const KF_RELEASE = 2;
const KF_RET_NULL = 4;
const KF_IMPLICIT_ARGS = 1 << 16;

/** A "vmlinux" BTF with the fixture's kfuncs, spelled the way GCC + pahole write them. */
function kernelBtf(o: KernelOptions) {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const u32 = b.typedef('u32', b.int('unsigned int', 4));
  const u64 = b.typedef('u64', b.int('long long unsigned int', 8));
  const ulong = b.int('long unsigned int', 8); // GCC's spelling of `unsigned long`
  const constCharPtr = b.ptr(b.const(b.int('char', 1, { char: true, signed: true })));
  const task = b.ptr(b.struct('task_struct', 64, []));
  const aux = b.ptr(b.struct('bpf_prog_aux', 64, []));
  const ids: Record<string, number> = {};
  const kfunc = (name: string, proto: number) => (ids[name] = b.func(name, proto));
  kfunc('bpf_demo_acquire', b.funcProto(task, [['p', task]]));
  kfunc('bpf_demo_release', b.funcProto(0, [['p', task]]));
  kfunc('bpf_demo_sum', b.funcProto(int, [['a', o.changeType ? u64 : u32], [o.renameParam ? 'b' : 'b__k', u64]]));
  kfunc('bpf_demo_len', b.funcProto(ulong, [['s__str', constCharPtr]]));
  if (o.rewrite) {
    kfunc('bpf_demo_implicit', b.funcProto(int, [['a', int]]));
    if (!o.implMissing) b.func('bpf_demo_implicit_impl', b.funcProto(int, [['a', int], ['aux', aux]]));
  } else {
    kfunc('bpf_demo_implicit', b.funcProto(int, [['a', int], ['aux', aux]]));
  }
  if (o.withExtra) kfunc('bpf_demo_extra', b.funcProto(int, []));
  if (o.btfOnly) kfunc('bpf_demo_btf_only', b.funcProto(0, []));
  b.func('schedule', b.funcProto(0, []));
  if (o.declTags) for (const id of Object.values(ids)) b.declTag('bpf_kfunc', id);
  return { b, ids, u32 };
}

const SOURCE_FLAGS: Record<string, number> = {
  bpf_demo_acquire: KF_ACQUIRE | KF_RET_NULL,
  bpf_demo_release: KF_RELEASE,
  bpf_demo_implicit: KF_IMPLICIT_ARGS,
};

/** The .BTF_ids section: one BTF_KFUNCS set, entries sorted by id like resolve_btfids leaves them. */
function btfIds(ids: Record<string, number>, flags: Record<string, number> = {}): Uint8Array {
  const entries = Object.entries(ids)
    .map(([name, id]) => [id, flags[name] ?? SOURCE_FLAGS[name] ?? 0] as [number, number])
    .sort((x, y) => x[0] - y[0]);
  return u32Words('le', set8Words(1, entries));
}

function vmlinuxElf(o: KernelOptions): Uint8Array {
  const { b, ids } = kernelBtf(o);
  return buildElf({
    sections: [{ name: '.BTF', data: b.build() }, { name: '.BTF_ids', data: btfIds(ids, o.flags) }],
    symbols: [{ name: '__BTF_ID__set8__demo_kfunc_ids', section: '.BTF_ids', value: 0 }],
  });
}

let counter = 0;
function write(bytes: Uint8Array, name = 'vmlinux'): string {
  const file = path.join(tmp, `${name}.${counter++}`);
  writeFileSync(file, bytes);
  return file;
}

async function verify(...argv: string[]) {
  let out = '';
  const err: string[] = [];
  const code = await runCli(['verify', ...argv], { out: (t) => (out += t), err: (l) => void err.push(l) });
  const json = argv.includes('--json') && out ? JSON.parse(out) : null;
  return { code, out, err: err.join('\n'), json };
}

describe('verify: vmlinux ELF with .BTF_ids', () => {
  it('agrees with the source: decl tags, rewritten KF_IMPLICIT_ARGS kfunc, GCC integer spellings', async () => {
    const r = await verify('--json', '--btf', write(vmlinuxElf({ declTags: true, rewrite: true })), TREE);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      schema: 1,
      btf: { kind: 'elf', declTags: true, btfIds: true, kfuncs: 5, matchedBy: 'kfunc-list' },
      kernelVersion: '7.0',
      matched: 5,
      mismatches: [],
      onlyInBtf: [],
    });
    // Not built here: a kfunc under a config option, and a module's kfunc.
    expect(r.json.onlyInSource).toEqual([
      { name: 'bpf_demo_extra', file: 'kernel/bpf/demo.c', guard: 'CONFIG_DEMO_EXTRA', reason: 'under #if CONFIG_DEMO_EXTRA' },
      { name: 'bpf_demo_mod_mark', file: 'net/demo/demo_mod.c', guard: null },
    ]);
  });

  it('text output: a summary with the verdict', async () => {
    const r = await verify('--btf', write(vmlinuxElf({ declTags: true, rewrite: true })), TREE);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ELF, \.BTF_ids: yes, bpf_kfunc decl tags: yes, 5 kfuncs listed; source: kernel 7\.0/);
    expect(r.out).toMatch(/matched 5 source kfunc\(s\) with the BTF: 0 mismatches/);
    expect(r.out).toMatch(/only in source \(2\)/);
    expect(r.out).toMatch(/verify: OK: 0 mismatches, 2 only in source, 0 only in BTF/);
  });

  it('a renamed parameter is a prototype mismatch (names carry verifier suffixes)', async () => {
    const r = await verify('--json', '--btf', write(vmlinuxElf({ declTags: true, rewrite: true, renameParam: true })), TREE);
    expect(r.code).toBe(1);
    expect(r.json.mismatches).toEqual([{
      name: 'bpf_demo_sum', kind: 'prototype',
      source: 'int bpf_demo_sum(u32 a, u64 b__k)', btf: 'int bpf_demo_sum(u32 a, u64 b)',
      file: 'kernel/bpf/demo.c', line: 21, detail: ['parameter 2 name: b__k → b'],
    }]);
  });

  it('a changed parameter type is a prototype mismatch', async () => {
    const r = await verify('--json', '--btf', write(vmlinuxElf({ declTags: true, rewrite: true, changeType: true })), TREE);
    expect(r.code).toBe(1);
    expect(r.json.mismatches).toMatchObject([{
      name: 'bpf_demo_sum', kind: 'prototype', btf: 'int bpf_demo_sum(u64 a, u64 b__k)', detail: ['parameter 1 (a) type: u32 → u64'],
    }]);
  });

  it('different flags in .BTF_ids are a flags mismatch, named by set', async () => {
    const r = await verify('--json', '--btf', write(vmlinuxElf({ declTags: true, rewrite: true, flags: { bpf_demo_acquire: KF_ACQUIRE } })), TREE);
    expect(r.code).toBe(1);
    expect(r.json.mismatches).toEqual([{
      name: 'bpf_demo_acquire', kind: 'flags', source: 'KF_ACQUIRE | KF_RET_NULL', btf: 'KF_ACQUIRE',
      file: 'kernel/bpf/demo.c', line: 12, set: 'demo_kfunc_ids', detail: ["not in the BTF's flag word: KF_RET_NULL"],
    }]);
  });

  it('KF_IMPLICIT_ARGS without the rewrite (old pahole, no decl tags): implicit-not-rewritten', async () => {
    const r = await verify('--json', '--btf', write(vmlinuxElf({ declTags: false, rewrite: false })), TREE);
    expect(r.code).toBe(1);
    expect(r.json.btf).toMatchObject({ declTags: false, btfIds: true });
    expect(r.json.mismatches).toMatchObject([{
      name: 'bpf_demo_implicit', kind: 'implicit-not-rewritten',
      source: 'int bpf_demo_implicit(int a)', btf: 'int bpf_demo_implicit(int a, struct bpf_prog_aux *aux)',
    }]);
    expect(r.json.mismatches[0].detail.join(' ')).toMatch(/pahole/);
    expect(r.json.notes.join(' ')).toMatch(/1 KF_IMPLICIT_ARGS kfunc\(s\) in the source cannot have been rewritten/);
  });

  it('the rewrite without the generated `_impl`: prototype mismatch on <name>_impl', async () => {
    const r = await verify('--json', '--btf', write(vmlinuxElf({ declTags: true, rewrite: true, implMissing: true })), TREE);
    expect(r.code).toBe(1);
    expect(r.json.mismatches).toMatchObject([{
      name: 'bpf_demo_implicit_impl', kind: 'prototype', source: 'int bpf_demo_implicit_impl(int a, struct bpf_prog_aux *aux)', btf: '(no FUNC in BTF)',
    }]);
  });

  it('kfuncs on one side only are listed; they fail the run only with --strict', async () => {
    const file = write(vmlinuxElf({ declTags: true, rewrite: true, withExtra: true, btfOnly: true }));
    const r = await verify('--json', '--btf', file, path.join(TREE, 'kernel'));
    expect(r.code).toBe(0);
    expect(r.json.matched).toBe(6);
    expect(r.json.onlyInSource).toEqual([]);
    expect(r.json.onlyInBtf).toEqual([{ name: 'bpf_demo_btf_only' }]);
    const strict = await verify('--json', '--strict', '--btf', file, path.join(TREE, 'kernel'));
    expect(strict.code).toBe(1);
    const text = await verify('--strict', '--btf', file, path.join(TREE, 'kernel'));
    expect(text.out).toMatch(/verify: FAIL: 0 mismatches, 0 only in source, 1 only in BTF \(--strict/);
  });
});

describe('verify: raw BTF', () => {
  it('with decl tags (like /sys/kernel/btf/vmlinux): prototypes checked, flags not', async () => {
    const { b } = kernelBtf({ declTags: true, rewrite: true });
    const r = await verify('--json', '--btf', write(b.build(), 'raw'), TREE);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ btf: { kind: 'raw', declTags: true, btfIds: false, matchedBy: 'kfunc-list' }, matched: 5, mismatches: [] });
    expect(r.json.notes).toContain('no .BTF_ids section (raw BTF): flags not checked');
  });

  it('with neither decl tags nor .BTF_ids (an older kernel): matched to FUNCs by name', async () => {
    const { b } = kernelBtf({ declTags: false, rewrite: true, renameParam: true, btfOnly: true });
    const r = await verify('--json', '--btf', write(b.build(), 'raw'), TREE);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ btf: { kfuncs: 0, matchedBy: 'name' }, matched: 5, onlyInBtf: [] });
    expect(r.json.mismatches.map((m: { name: string; kind: string }) => [m.name, m.kind])).toEqual([['bpf_demo_sum', 'prototype']]);
  });
});

describe('verify: a module .ko (split BTF)', () => {
  function moduleFiles() {
    const { b: base, u32 } = kernelBtf({ declTags: false, rewrite: true });
    const vmlinux = write(base.build(), 'vmlinux-base');
    const mod = new BtfBuilder({ base });
    const skb = mod.ptr(mod.struct('sk_buff', 232, []));
    const ret = mod.int('int', 4, { signed: true });
    const mark = mod.func('bpf_demo_mod_mark', mod.funcProto(ret, [['skb', skb], ['mark', u32]]));
    const ko = buildElf({
      fileType: 1,
      sections: [{ name: '.BTF', data: mod.build() }, { name: '.BTF_ids', data: u32Words('le', set8Words(1, [[mark, 0]])) }],
      symbols: [{ name: '__BTF_ID__set8__demo_mod_kfunc_ids', section: '.BTF_ids', value: 0 }],
    });
    return { vmlinux, ko: write(ko, 'demo_mod.ko') };
  }

  it('verifies against its source on the vmlinux base', async () => {
    const { vmlinux, ko } = moduleFiles();
    const r = await verify('--json', '--btf', ko, '--base-btf', vmlinux, path.join(TREE, 'net/demo'));
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      btf: { kind: 'elf', base: vmlinux, kfuncs: 1 }, matched: 1, mismatches: [], onlyInSource: [], onlyInBtf: [],
    });
  });

  it('without --base-btf: a clear error, exit 2', async () => {
    const { ko } = moduleFiles();
    const r = await verify('--btf', ko, path.join(TREE, 'net/demo'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is a kernel module: its BTF is split on top of the vmlinux BTF; pass --base-btf VMLINUX/);
  });
});

describe('verify: usage and input errors', () => {
  it('needs --btf', async () => {
    const r = await verify(TREE);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/verify needs --btf FILE/);
  });

  it('a file that is neither ELF nor BTF: exit 2 with the reason', async () => {
    const r = await verify('--btf', write(new TextEncoder().encode('hello, not BTF'), 'junk'), TREE);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/neither an ELF file nor raw BTF/);
  });
});
