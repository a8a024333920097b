/**
 * Limits: files over kfuncLsp.index.maxFileSizeKB are skipped with a message (CLI note, server log and, for an open
 * document, a window message); a parse time limit abandons tree-sitter on pathological input (the facts say so);
 * the server holds a bounded number of syntax trees however many documents are open; and indexing survives symlink
 * loops, dangling symlinks, FIFOs, unreadable files and directories, and deep nesting — in the CLI's walk and in the
 * server's indexer — without crashing or hanging.
 *
 * Unreadable files: tests often run as root, for whom chmod 000 stops nothing. Then the CLI and the server under
 * test run as `nobody` (spawn's uid/gid), for whom it does.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkspaceSymbol } from 'vscode-languageserver-protocol';
import { defaultParseTimeout, extractFacts } from '../../server/src/facts/extract';
import { initParser } from '../../server/src/parse/treeSitter';
import { TreeCache } from '../../server/src/lsp/treeCache';
import { ensureBuilt } from '../lsp/ensureBuilt';
import { CLI, LspClient, REPO, uriOf } from '../lsp/lspClient';

const asRoot = process.getuid?.() === 0;
/** How the CLI and server under test run: as `nobody` when we are root, so that permissions apply. */
const unprivileged = asRoot ? { uid: 65534, gid: 65534 } : {};

let root: string;
/** The built CLI as the process under test can read it. */
let cliPath = CLI;

beforeAll(async () => {
  await ensureBuilt();
  await initParser();
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'kfunc-lsp-limits-')));
  chmodSync(root, 0o755);
  if (asRoot) {
    // The checkout may sit in a directory `nobody` cannot enter (mktemp -d makes 0700 ones): run a copy of the bundle.
    const app = path.join(root, 'app');
    cpSync(path.join(REPO, 'dist'), path.join(app, 'dist'), { recursive: true });
    cpSync(path.join(REPO, 'grammars'), path.join(app, 'grammars'), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', app]);
    cliPath = path.join(app, 'dist', path.basename(CLI));
  }
}, 60_000);

afterAll(() => {
  if (!root) return;
  // Give permissions back so the tree can be removed.
  spawnSync('chmod', ['-R', 'u+rwx', root]);
  rmSync(root, { recursive: true, force: true });
});

/** A copy of examples/ (a small kernel tree) under `root`, readable by everyone. */
function tree(name: string): string {
  const dir = path.join(root, name);
  cpSync(path.join(REPO, 'examples'), dir, { recursive: true });
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  return dir;
}

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, KFUNC_LSP_NO_CACHE: '1', ...env },
    ...unprivileged,
  });
}

// ---- file size ----------------------------------------------------------------------------------------------------

const BIG_KFUNC = 'bpf_too_big_to_index';
function bigFile(kb: number): string {
  const filler = `/* ${'x'.repeat(76)} */\n`;
  return `__bpf_kfunc int ${BIG_KFUNC}(int a) { return a; }\nBTF_KFUNCS_START(big_ids)\nBTF_ID_FLAGS(func, ${BIG_KFUNC})\nBTF_KFUNCS_END(big_ids)\n${filler.repeat(Math.ceil((kb * 1024) / filler.length))}`;
}

describe('limits: maxFileSizeKB', () => {
  it('the CLI skips a file over the limit with a note and indexes the rest', () => {
    const dir = tree('size-cli');
    writeFileSync(path.join(dir, 'drivers/widget/big.c'), bigFile(20));
    writeFileSync(path.join(dir, '.kfunc-lsp.json'), JSON.stringify({ index: { maxFileSizeKB: 8 } }));
    const res = cli(['protos', '--json', dir]);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/big\.c: skipped: larger than 8 KB/);
    const names = (JSON.parse(res.stdout) as { kfuncs: Array<{ name: string }> }).kfuncs.map((k) => k.name);
    expect(names).not.toContain(BIG_KFUNC);
    expect(names).toContain('bpf_widget_acquire');
    // Raised on the command line's config: indexed.
    writeFileSync(path.join(dir, '.kfunc-lsp.json'), JSON.stringify({ index: { maxFileSizeKB: 64 } }));
    const again = cli(['protos', '--json', dir]);
    expect((JSON.parse(again.stdout) as { kfuncs: Array<{ name: string }> }).kfuncs.map((k) => k.name)).toContain(BIG_KFUNC);
  });

  it('the server skips it while indexing, says so for an open document, and applies a new limit without a restart', async () => {
    const dir = tree('size-server');
    const big = path.join(dir, 'drivers/widget/big.c');
    writeFileSync(big, bigFile(20));
    const { client } = await LspClient.start({ folders: [dir], settings: { index: { maxFileSizeKB: 8 } }, env: { KFUNC_LSP_NO_CACHE: '1' } });
    try {
      await client.waitIndexed();
      const status = await client.request<{ folders: Array<{ skipped: number }> }>('kfuncLsp/status');
      expect(status.folders[0].skipped).toBeGreaterThanOrEqual(1);
      expect(client.logs.some((l) => l.includes('big.c') && l.includes('larger than 8 KB')), client.logs.join('\n')).toBe(true);
      expect(await client.request<WorkspaceSymbol[]>('workspace/symbol', { query: BIG_KFUNC })).toEqual([]);

      await client.open(big);
      for (let i = 0; i < 200 && !client.messages.some((m) => m.message.includes('big.c')); i++) await client.request('kfuncLsp/status');
      expect(client.messages.map((m) => m.message)).toContainEqual(expect.stringMatching(/big\.c is not analysed: larger than 8 KB \(kfuncLsp\.index\.maxFileSizeKB\)/));
      await client.notify('textDocument/didClose', { textDocument: { uri: uriOf(big) } });

      client.settings = { index: { maxFileSizeKB: 64 } };
      await client.notify('workspace/didChangeConfiguration', { settings: null });
      await client.waitIndexed();
      const found = await client.request<WorkspaceSymbol[]>('workspace/symbol', { query: BIG_KFUNC });
      expect(found.map((s) => s.name)).toContain(BIG_KFUNC);
    } finally {
      expect(await client.shutdown()).toBe(0);
    }
  }, 60_000);
});

// ---- parse time ---------------------------------------------------------------------------------------------------

describe('limits: parse time', () => {
  // Tree-sitter's error recovery on garbage: a long run of unbalanced declarations and expressions.
  const SETS = 'BTF_KFUNCS_START(ids)\nBTF_ID_FLAGS(func, bpf_kept, KF_ACQUIRE)\nBTF_KFUNCS_END(ids)\n';
  const GARBAGE = `${SETS}__bpf_kfunc int bpf_kept(int a) { return a; }\n${'int x = ((( { [ , struct * ; '.repeat(12_000)}\n`;

  it('abandons a parse over the limit: the facts say so and keep what needs no parse', () => {
    const facts = extractFacts('garbage.c', GARBAGE, { parseTimeoutMs: 1 });
    expect(facts.skipped).toBe('parse time limit reached; BTF sets and registrations only');
    expect(facts.functions).toEqual([]);
    expect(facts.sets.map((s) => s.name)).toEqual(['ids']);
    expect(facts.sets[0].entries.map((e) => e.name)).toEqual(['bpf_kept']);
  });

  it('has a default limit for every file (CLI and indexer), growing with the size but bounded', () => {
    expect(defaultParseTimeout(0)).toBeGreaterThan(0);
    expect(defaultParseTimeout(340 * 1024)).toBeGreaterThan(defaultParseTimeout(10 * 1024));
    expect(defaultParseTimeout(4096 * 1024)).toBeLessThanOrEqual(1500);
    // The same input with the default limit still returns (whether the parse finished or not).
    const facts = extractFacts('garbage.c', GARBAGE);
    expect(facts.sets.map((s) => s.name)).toEqual(['ids']);
    expect([null, 'parse time limit reached; BTF sets and registrations only']).toContain(facts.skipped);
  });

  it("the server's incremental parser gives up too, and counts it", () => {
    const trees = new TreeCache(4, 1);
    expect(trees.parse('doc', GARBAGE)).toBeNull();
    expect(trees.stats.timeouts).toBe(1);
    expect(trees.size).toBe(0);
    trees.clear();
  });
});

// ---- trees in memory ----------------------------------------------------------------------------------------------

describe('limits: syntax trees held by the server', () => {
  it('stay bounded however many documents are open', async () => {
    const dir = tree('trees');
    const { client } = await LspClient.start({ folders: [dir], env: { KFUNC_LSP_NO_CACHE: '1' } });
    const OPEN = 30;
    try {
      const text = readFileSync(path.join(dir, 'drivers/widget/widget_bpf.c'), 'utf8');
      for (let i = 0; i < OPEN; i++) {
        const uri = await client.open(path.join(dir, `drivers/widget/copy_${i}.c`), text.replaceAll('bpf_widget_', `bpf_w${i}_`));
        await client.request('textDocument/documentSymbol', { textDocument: { uri } }); // parses it
      }
      const status = await client.request<{ openDocuments: number; trees: number }>('kfuncLsp/status');
      expect(status.openDocuments).toBe(OPEN);
      expect(status.trees).toBeGreaterThan(0);
      expect(status.trees).toBeLessThan(OPEN);
      expect(status.trees).toBeLessThanOrEqual(16);
      // Documents whose tree was evicted still answer (a full parse on the next change or request).
      const first = uriOf(path.join(dir, 'drivers/widget/copy_0.c'));
      await client.change(first, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '/* edited */\n' }]);
      const symbols = await client.request<Array<{ name: string }>>('textDocument/documentSymbol', { textDocument: { uri: first } });
      expect(JSON.stringify(symbols)).toContain('bpf_w0_acquire');
    } finally {
      expect(await client.shutdown()).toBe(0);
    }
  }, 60_000);
});

// ---- hostile trees ------------------------------------------------------------------------------------------------

/** A kernel tree with everything a walk can trip on. Returns the paths that cannot be read. */
function hostileTree(name: string): { dir: string; locked: string; lockedDir: string; noExec: string } {
  const dir = tree(name);
  const d = (p: string) => path.join(dir, p);
  // Symlink loops: a directory linking to itself and to its parent, two files linking to each other, dangling links.
  symlinkSync('.', d('drivers/self'));
  symlinkSync('..', d('drivers/widget/up'));
  symlinkSync(d('loop_b.c'), d('loop_a.c'));
  symlinkSync(d('loop_a.c'), d('loop_b.c'));
  symlinkSync(d('does/not/exist.c'), d('dangling.c'));
  symlinkSync(d('drivers'), d('drivers/widget/drivers_again'));
  // Not regular files, with source names: a FIFO (reading one blocks forever), a directory, a socket-less oddity.
  spawnSync('mkfifo', [d('drivers/widget/fifo.c')]);
  mkdirSync(d('drivers/widget/dir.c'));
  mkdirSync(d('drivers/widget/dir.h'));
  // Deep nesting.
  let deep = d('deep');
  for (let i = 0; i < 120; i++) deep = path.join(deep, `d${i % 10}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(path.join(deep, 'deep.c'), '__bpf_kfunc int bpf_deep_kfunc(int a) { return a; }\n');
  // Unreadable: a file, a directory, and a directory that can be listed but not entered.
  const locked = d('drivers/widget/locked.c');
  writeFileSync(locked, '__bpf_kfunc int bpf_locked_kfunc(int a) { return a; }\n');
  chmodSync(locked, 0o000);
  const lockedDir = d('drivers/lockeddir');
  mkdirSync(lockedDir);
  writeFileSync(path.join(lockedDir, 'inner.c'), '__bpf_kfunc int bpf_inner_kfunc(int a) { return a; }\n');
  chmodSync(lockedDir, 0o000);
  const noExec = d('drivers/noexec');
  mkdirSync(noExec);
  writeFileSync(path.join(noExec, 'inner2.c'), '__bpf_kfunc int bpf_inner2_kfunc(int a) { return a; }\n');
  chmodSync(noExec, 0o644);
  return { dir, locked, lockedDir, noExec };
}

describe('limits: symlink loops, FIFOs and unreadable files while indexing', () => {
  it(`the CLI's walk finishes, reports what it could not read, and indexes the rest${asRoot ? ' (run as nobody)' : ''}`, () => {
    const { dir, locked, lockedDir } = hostileTree('hostile-cli');
    const res = cli(['protos', '--json', dir]);
    expect(res.error, 'the CLI finished').toBeUndefined();
    expect(res.status, res.stderr).toBe(0);
    const names = (JSON.parse(res.stdout) as { kfuncs: Array<{ name: string }> }).kfuncs.map((k) => k.name);
    expect(names).toContain('bpf_widget_acquire');
    expect(names).toContain('bpf_deep_kfunc');
    expect(names).not.toContain('bpf_locked_kfunc');
    expect(names).not.toContain('bpf_inner_kfunc');
    // Unreadable things are named on stderr, not silently dropped.
    expect(res.stderr).toContain(lockedDir);
    expect(res.stderr).toContain(locked);
    // Each file once: symlinked directories are not followed (no loops, no duplicates).
    expect(names.filter((n) => n === 'bpf_widget_acquire')).toHaveLength(1);
    const check = cli(['check', '--format', 'json', dir]);
    expect(check.error).toBeUndefined();
    expect([0, 1]).toContain(check.status);
  }, 60_000);

  it(`the server's indexer finishes, logs what it could not read, and serves the rest${asRoot ? ' (run as nobody)' : ''}`, async () => {
    const { dir, locked, lockedDir } = hostileTree('hostile-server');
    const { client } = await LspClient.start({ folders: [dir], env: { KFUNC_LSP_NO_CACHE: '1' }, cli: cliPath, ...unprivileged });
    try {
      await client.waitIndexed(30_000);
      const status = await client.request<{ folders: Array<{ complete: boolean; found: number }> }>('kfuncLsp/status');
      expect(status.folders[0].complete).toBe(true);
      const sym = async (q: string) => (await client.request<WorkspaceSymbol[]>('workspace/symbol', { query: q })).map((s) => s.name);
      expect(await sym('bpf_widget_acquire')).toEqual(['bpf_widget_acquire']);
      expect(await sym('bpf_deep_kfunc')).toEqual(['bpf_deep_kfunc']);
      expect(await sym('bpf_locked_kfunc')).toEqual([]);
      expect(await sym('bpf_inner_kfunc')).toEqual([]);
      const log = client.logs.join('\n');
      expect(log).toContain(lockedDir);
      expect(log).toContain(locked);
      // Watched-file events for the odd files are handled too (the FIFO must not be read: it would block).
      await client.notify('workspace/didChangeWatchedFiles', {
        changes: ['drivers/widget/fifo.c', 'loop_a.c', 'dangling.c', 'drivers/widget/locked.c', 'drivers/widget/dir.c', 'drivers/self/widget/widget_bpf.c'].map((f) => ({
          uri: uriOf(path.join(dir, f)),
          type: 2,
        })),
      });
      expect((await client.request<{ pid: number }>('kfuncLsp/status')).pid).toBe(client.proc.pid);
      expect(await sym('bpf_widget_acquire')).toEqual(['bpf_widget_acquire']);
    } finally {
      expect(await client.shutdown()).toBe(0);
    }
    expect(client.stderr).toBe('');
  }, 60_000);
});
