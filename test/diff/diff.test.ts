// `kfunc-lsp diff`: pairs of fixture trees (test/fixtures/diff/<case>/{old,new}), the same pair as two commits of a
// temporary git repository (`--git`), and two BTF files (contracts §2.5).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/src/cli/main';
import { initParser } from '../../server/src/parse/treeSitter';
import { BtfBuilder, buildElf, set8Words, u32Words } from '../helpers/btfWriter';

const FIXTURES = path.join(__dirname, '../fixtures/diff');
const tmp = mkdtempSync(path.join(tmpdir(), 'kfunc-diff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(async () => {
  await initParser();
});

async function diff(...argv: string[]) {
  let out = '';
  const err: string[] = [];
  const code = await runCli(['diff', ...argv], { out: (t) => (out += t), err: (l) => void err.push(l) });
  const json = argv.includes('--json') && code !== 2 ? JSON.parse(out) : null;
  return { code, out, err: err.join('\n'), json };
}

const pair = (name: string) => [path.join(FIXTURES, name, 'old'), path.join(FIXTURES, name, 'new')];

/** kind → [name, breaking] rows, for compact assertions. */
function changesByKind(json: { changed: Array<{ name: string; changes: Array<{ kind: string; breaking: boolean }> }> }) {
  const out: Record<string, Array<[string, boolean]>> = {};
  for (const c of json.changed) for (const x of c.changes) (out[x.kind] ??= []).push([c.name, x.breaking]);
  return out;
}

describe('diff: two trees', () => {
  it('reports every kind of change, and which ones break programs', async () => {
    const r = await diff('--json', ...pair('changes'));
    expect(r.code).toBe(0);
    const j = r.json;
    expect(j.schema).toBe(1);
    expect(j.old).toMatchObject({ kernelVersion: '6.12', kfuncs: 10 });
    expect(j.added).toEqual([{ name: 'bpf_demo_new', file: 'kernel/bpf/demo.c', prototype: 'int bpf_demo_new(int x)' }]);
    expect(j.removed).toEqual([{ name: 'bpf_demo_gone', file: 'kernel/bpf/demo.c', prototype: 'void bpf_demo_gone(void)', breaking: true }]);
    expect(changesByKind(j)).toEqual({
      prototype: [['bpf_demo_names', false], ['bpf_demo_sum', true]],
      flags: [['bpf_demo_acquire', true], ['bpf_demo_relax', false]],
      progTypes: [['bpf_demo_trace', false], ['bpf_demo_xdp', true]],
      guard: [['bpf_demo_guarded', false]],
      file: [['bpf_demo_moved', false]],
    });
    const sum = j.changed.find((c: { name: string }) => c.name === 'bpf_demo_sum');
    expect(sum).toEqual({
      name: 'bpf_demo_sum', breaking: true, file: 'kernel/bpf/demo.c',
      changes: [{
        kind: 'prototype', old: 'int bpf_demo_sum(u32 a, u64 b__k)', new: 'int bpf_demo_sum(u32 a, u64 b)', breaking: true,
        detail: ['parameter 2 name: b__k → b', 'parameter 2: the verifier reads __k → (no suffix)'],
      }],
    });
    const acquire = j.changed.find((c: { name: string }) => c.name === 'bpf_demo_acquire').changes[0];
    expect(acquire).toEqual({
      kind: 'flags', old: 'KF_ACQUIRE | KF_TRUSTED_ARGS', new: 'KF_ACQUIRE | KF_RET_NULL | KF_TRUSTED_ARGS', breaking: true,
      detail: ['KF_RET_NULL added: restricts callers'],
    });
    const xdp = j.changed.find((c: { name: string }) => c.name === 'bpf_demo_xdp').changes[0];
    expect(xdp).toMatchObject({ old: 'BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_XDP', new: 'BPF_PROG_TYPE_XDP', detail: ['no longer callable from BPF_PROG_TYPE_SCHED_CLS'] });
    const moved = j.changed.find((c: { name: string }) => c.name === 'bpf_demo_moved').changes[0];
    expect(moved).toEqual({ kind: 'file', old: 'kernel/bpf/demo.c', new: 'kernel/bpf/moved.c', breaking: false });
    expect(j.summary).toEqual({ added: 1, removed: 1, changed: 8, breaking: 4, likelyRenames: 0 });
  });

  it('text output is grouped by kind and marks breaking changes', async () => {
    const r = await diff(...pair('changes'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1 added, 1 removed, 8 changed; 4 breaking/);
    const order = ['removed (1):', 'added (1):', 'prototype changes', 'flag changes', 'program type changes', 'guard changes', 'moved to another file'];
    const at = order.map((h) => r.out.indexOf(h));
    expect(at.every((x) => x >= 0)).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
    expect(r.out).toContain('  ! bpf_demo_sum  kernel/bpf/demo.c\n      old: int bpf_demo_sum(u32 a, u64 b__k)\n      new: int bpf_demo_sum(u32 a, u64 b)');
    expect(r.out).toMatch(/ {4}bpf_demo_names {2}kernel\/bpf\/demo\.c/); // a rename without suffix change: no '!'
    expect(r.out).toMatch(/ {4}bpf_demo_guarded +CONFIG_DEMO_A → CONFIG_DEMO_B/);
  });

  it('--strict exits 1 when a change is breaking', async () => {
    expect((await diff('--strict', ...pair('changes'))).code).toBe(1);
    const same = pair('changes')[0];
    expect((await diff('--strict', same, same)).code).toBe(0);
  });

  it('6.19 → 7.0: the `_impl` migration and other renames, __opt → __nullable, trusted arguments by default', async () => {
    const r = await diff('--json', ...pair('to-7.0'));
    const j = r.json;
    expect(j.removed.map((k: { name: string; likelyRenamedTo?: string }) => [k.name, k.likelyRenamedTo])).toEqual([
      ['bpf_demo_old_name', 'bpf_demo_new_name'],
      ['bpf_wq_set_callback_impl', 'bpf_wq_set_callback'],
    ]);
    const wq = j.added.find((k: { name: string }) => k.name === 'bpf_wq_set_callback');
    expect(wq).toMatchObject({
      prototype: 'int bpf_wq_set_callback(struct bpf_wq *wq, int (*callback_fn)(void *, int *, void *), unsigned int flags)',
      likelyRenameOf: 'bpf_wq_set_callback_impl',
    });
    expect(wq.renameReason).toMatch(/_impl/);
    expect(changesByKind(j)).toEqual({
      prototype: [['bpf_demo_buf', true]],
      flags: [['bpf_demo_trusted', false], ['bpf_demo_untrusted', true]],
    });
    const untrusted = j.changed.find((c: { name: string }) => c.name === 'bpf_demo_untrusted').changes[0];
    expect(untrusted.detail.join(' ')).toMatch(/7\.0 made trusted arguments the default/);
    expect(j.summary).toMatchObject({ likelyRenames: 2, breaking: 4 });
  });

  it('finds definitions in files without a kfunc marker (6.1 trees: untagged kfuncs)', async () => {
    const r = await diff('--json', ...pair('untagged'));
    expect(r.json.old.kernelVersion).toBe('6.1');
    expect(r.json.changed).toEqual([{
      name: 'tcp_demo_cwnd', breaking: true, file: 'net/ipv4/tcp_cong.c',
      changes: [{
        kind: 'prototype', old: 'void tcp_demo_cwnd(struct sock *sk, u32 acked)', new: 'void tcp_demo_cwnd(struct sock *sk, u32 ack, u32 acked)',
        breaking: true, detail: ['parameter count: 2 → 3; new: u32 ack'],
      }],
    }]);
  });

  it('usage errors exit 2', async () => {
    expect((await diff(pair('changes')[0])).code).toBe(2);
    expect((await diff(pair('changes')[0], path.join(tmp, 'missing'))).code).toBe(2);
  });
});

describe('diff --git', () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=kfunc-lsp test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

  /** A repository with the old tree as the first commit and the new tree as the second. */
  function repoOf(name: string): string {
    const repo = mkdtempSync(path.join(tmp, `${name}-`));
    git(repo, 'init', '-q');
    const [oldTree, newTree] = pair(name);
    cpSync(oldTree, repo, { recursive: true });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'old');
    git(repo, 'rm', '-q', '-r', '.');
    cpSync(newTree, repo, { recursive: true });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'new');
    return repo;
  }

  async function inDir<T>(dir: string, f: () => Promise<T>): Promise<T> {
    const before = process.cwd();
    process.chdir(dir);
    try {
      return await f();
    } finally {
      process.chdir(before);
    }
  }

  const strip = (j: { old: unknown; new: unknown }) => ({ ...j, old: null, new: null });

  it('reads both revisions from git objects and reports what the tree diff reports', async () => {
    const repo = repoOf('changes');
    // The working tree must not matter: break it.
    writeFileSync(path.join(repo, 'kernel/bpf/demo.c'), 'garbage\n');
    const fromGit = await inDir(repo, () => diff('--json', '--git', 'HEAD~1', 'HEAD'));
    expect(fromGit.code).toBe(0);
    const fromTrees = await diff('--json', ...pair('changes'));
    expect(strip(fromGit.json)).toEqual(strip(fromTrees.json));
    expect(fromGit.json.old.path).toMatch(/^HEAD~1 \([0-9a-f]{12}\)$/);
    expect(fromGit.json.new).toMatchObject({ kernelVersion: '6.12', kfuncs: 10 });
  });

  it('REV1..REV2, PATH limits relative to the current directory, and the unmarked-file pass', async () => {
    const repo = repoOf('untagged');
    const r = await inDir(path.join(repo, 'net'), () => diff('--json', '--git', 'HEAD~1..HEAD', 'ipv4'));
    expect(r.code).toBe(0);
    expect(r.json.old.kernelVersion).toBe('6.1'); // from the revision's top-level Makefile
    expect(r.json.changed.map((c: { name: string; file: string }) => [c.name, c.file])).toEqual([['tcp_demo_cwnd', 'net/ipv4/tcp_cong.c']]);
    const elsewhere = await inDir(repo, () => diff('--json', '--git', 'HEAD~1', 'HEAD', 'net/ipv4/tcp_cong.c'));
    expect(elsewhere.json.new.kfuncs).toBe(0); // the set lives in bpf_tcp_ca.c, outside the limit
  });

  it('errors: one revision, an unknown revision, not a git checkout', async () => {
    const repo = repoOf('untagged');
    expect((await inDir(repo, () => diff('--git', 'HEAD'))).err).toMatch(/needs two revisions/);
    const unknown = await inDir(repo, () => diff('--git', 'HEAD', 'no-such-rev'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown revision no-such-rev/);
    const outside = mkdtempSync(path.join(tmpdir(), 'kfunc-nogit-'));
    try {
      const r = await inDir(outside, () => diff('--git', 'HEAD~1', 'HEAD'));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/not inside a git checkout/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('diff: two BTF files', () => {
  function vmlinux(o: { acquireFlags: number; secondParam: string }): string {
    const b = new BtfBuilder();
    const int = b.int('int', 4, { signed: true });
    const task = b.ptr(b.struct('task_struct', 64, []));
    const acquire = b.func('bpf_demo_acquire', b.funcProto(task, [['p', task]]));
    const sum = b.func('bpf_demo_sum', b.funcProto(int, [['a', int], [o.secondParam, int]]));
    for (const id of [acquire, sum]) b.declTag('bpf_kfunc', id);
    const elf = buildElf({ sections: [{ name: '.BTF', data: b.build() }, { name: '.BTF_ids', data: u32Words('le', set8Words(1, [[acquire, o.acquireFlags], [sum, 0]])) }] });
    const file = path.join(tmp, `vmlinux-${o.acquireFlags}-${o.secondParam}`);
    writeFileSync(file, elf);
    return file;
  }

  it('compares prototypes and flags (program types and files are not in BTF)', async () => {
    const r = await diff('--json', vmlinux({ acquireFlags: 1, secondParam: 'b__k' }), vmlinux({ acquireFlags: 5, secondParam: 'b' }));
    expect(r.code).toBe(0);
    expect(r.json.old.kernelVersion).toBeNull();
    expect(changesByKind(r.json)).toEqual({ prototype: [['bpf_demo_sum', true]], flags: [['bpf_demo_acquire', true]] });
    expect(r.json.changed[0].changes[0]).toMatchObject({ old: 'KF_ACQUIRE', new: 'KF_ACQUIRE | KF_RET_NULL' });
  });
});
