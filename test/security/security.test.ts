/**
 * What the server (and the CLI) may touch. The BUILT server runs with a preload (recorder.cjs) that records every
 * call that runs a program, opens a connection, loads or compiles code, or reads, writes or stats a file, in every
 * thread. A session drives it over a hostile workspace: a Makefile with `$(shell …)`, executable scripts, files named
 * like commands (git, make, sh) first on PATH, a `.git/config` with an fsmonitor hook, `.vscode/settings.json`,
 * symlinks to files and directories outside the workspace (a kfunc file, `btf.h`, /etc), an `#include` that climbs
 * out, a document opened from outside the workspace, and requests naming /etc/passwd. Asserted: no child process, no
 * socket, no module loaded or code compiled from the workspace, no file read outside the workspace folder (besides
 * the server's own bundle and grammars and its facts cache), no write anywhere but the facts cache, and none of the
 * traps fired.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hover } from 'vscode-languageserver-protocol';
import { ensureBuilt } from '../lsp/ensureBuilt';
import { CLI, LspClient, positionOf, REPO, uriOf } from '../lsp/lspClient';

const RECORDER = path.join(__dirname, 'recorder.cjs');

interface Call {
  kind: 'start' | 'process' | 'network' | 'read' | 'write' | 'stat' | 'module' | 'code';
  api: string;
  target: string | null;
  thread: number;
}

let root: string; // realpath of the temporary directory
let ws: string; // the workspace folder
let outside: string; // a directory beside it, with things the server must not read
let cache: string; // the facts cache the server may use
let sentinel: string; // created by any trap that runs

function readCalls(file: string): Call[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Call);
}

/** Absolute form of a recorded path (relative ones are relative to the process's cwd). */
function absolute(target: string, cwd: string): string {
  return path.resolve(cwd, target);
}

function under(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir + path.sep);
}

/** Node built-in modules and the server's own bundle (also as a worker thread's script): what the server may load. */
function allowedModule(request: string): boolean {
  if (request.startsWith('node:') || builtinModules.includes(request)) return true;
  return under(path.resolve(request), path.join(REPO, 'dist')) || request === RECORDER;
}

const TRAP = (what: string) => `#!/bin/sh\necho "${what}" >> "${'$'}{SENTINEL:-/dev/null}"\ntouch "SENTINEL_PATH"\n`;

beforeAll(async () => {
  await ensureBuilt();
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'kfunc-lsp-sec-')));
  chmodSync(root, 0o755);
  ws = path.join(root, 'ws');
  outside = path.join(root, 'outside');
  cache = path.join(root, 'cache');
  sentinel = path.join(root, 'SENTINEL');
  cpSync(path.join(REPO, 'examples'), ws, { recursive: true });
  mkdirSync(outside, { recursive: true });
  const trap = (what: string) => TRAP(what).replace('SENTINEL_PATH', sentinel);

  // Outside: a kfunc file, a btf.h, a header, a directory of sources.
  writeFileSync(path.join(outside, 'secret.c'), '__bpf_kfunc int bpf_secret_outside(int a) { return a; }\nBTF_KFUNCS_START(secret)\nBTF_ID_FLAGS(func, bpf_secret_outside)\nBTF_KFUNCS_END(secret)\n');
  writeFileSync(path.join(outside, 'btf.h'), '#define KF_ACQUIRE (1 << 0)\n#define KF_SECRET (1 << 30)\n');
  writeFileSync(path.join(outside, 'secret.h'), '#define SECRET_MACRO(x) BTF_ID_FLAGS(func, x)\n');
  writeFileSync(path.join(outside, 'opened.c'), '__bpf_kfunc int bpf_opened_outside(int a) { return a; }\n');

  // The Makefile keeps its VERSION lines (the server reads them) and gains commands a build tool would run.
  const makefile = readFileSync(path.join(ws, 'Makefile'), 'utf8');
  writeFileSync(path.join(ws, 'Makefile'), `${makefile}\n$(shell touch ${sentinel})\nall:\n\ttouch ${sentinel}\n`);
  // Executables: scripts and files named like the commands a careless server would run (first on its PATH below).
  mkdirSync(path.join(ws, 'scripts'), { recursive: true });
  for (const name of ['scripts/build.sh', 'configure', 'git', 'make', 'sh', 'gcc', 'clang', 'bpftool', 'pahole', 'node']) {
    writeFileSync(path.join(ws, name), trap(name));
    chmodSync(path.join(ws, name), 0o755);
  }
  writeFileSync(path.join(ws, 'git.c'), '/* a C file named like a command */\nint git;\n');
  // Git and editor configuration that runs commands in tools that honour it.
  mkdirSync(path.join(ws, '.git'), { recursive: true });
  writeFileSync(path.join(ws, '.git', 'config'), `[core]\n\tfsmonitor = touch ${sentinel}\n\tpager = touch ${sentinel}\n`);
  mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  writeFileSync(
    path.join(ws, '.vscode', 'settings.json'),
    JSON.stringify({ 'kfuncLsp.index.maxFileSizeKB': 1, 'terminal.integrated.shell.linux': path.join(ws, 'sh'), 'kfuncLsp.serverPath': path.join(ws, 'node') }),
  );
  writeFileSync(path.join(ws, '.kfunc-lsp.json'), JSON.stringify({ diagnostics: { severity: { 'kfunc-static': 'hint' } } }));
  // Symlinks out of the workspace: a source file, a directory, btf.h (the flag table), and /etc.
  symlinkSync(path.join(outside, 'secret.c'), path.join(ws, 'drivers', 'widget', 'linked_secret.c'));
  symlinkSync(outside, path.join(ws, 'drivers', 'linked_dir'));
  symlinkSync('/etc', path.join(ws, 'etc'));
  rmSync(path.join(ws, 'include', 'linux', 'btf.h'));
  symlinkSync(path.join(outside, 'btf.h'), path.join(ws, 'include', 'linux', 'btf.h'));
  // A source file including a header outside the workspace (relative and absolute).
  writeFileSync(
    path.join(ws, 'drivers', 'widget', 'includes_out.c'),
    `#include "../../../outside/secret.h"\n#include "${path.join(outside, 'secret.h')}"\n#include "/etc/passwd"\n__bpf_kfunc int bpf_includes_out(int a) { return a; }\n`,
  );
  mkdirSync(cache, { recursive: true });
  chmodSync(cache, 0o777);
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * Checks a recorded run; returns a summary for the log. `followsSymlinks`: the CLI reads what paths inside the tree
 * it was given point to (Debian's header packages are symlink farms); the server does not follow a symlink out of
 * its workspace folders.
 */
function check(calls: Call[], cwd: string, allowedReadRoots: string[], followsSymlinks = false) {
  expect(calls.some((c) => c.kind === 'start'), 'the recorder was preloaded').toBe(true);
  expect(calls.filter((c) => c.kind === 'process').map((c) => `${c.api} ${c.target}`), 'child processes').toEqual([]);
  expect(calls.filter((c) => c.kind === 'network').map((c) => `${c.api} ${c.target}`), 'network').toEqual([]);
  expect(calls.filter((c) => c.kind === 'code').map((c) => `${c.api} ${c.target}`), 'compiled code').toEqual([]);
  expect(calls.filter((c) => c.kind === 'module' && !allowedModule(c.target ?? '')).map((c) => c.target), 'modules loaded').toEqual([]);

  const allowed = [...allowedReadRoots, path.join(REPO, 'dist'), path.join(REPO, 'grammars'), cache];
  const reads = calls.filter((c) => c.kind === 'read' && c.target && !c.target.startsWith('fd:'));
  const badReads = reads.map((c) => absolute(c.target!, cwd)).filter((f) => !allowed.some((d) => under(f, d)));
  expect([...new Set(badReads)], 'files read outside the workspace').toEqual([]);
  // Reads through a path inside the workspace must not reach a file outside it (symlinks are not followed).
  for (const c of followsSymlinks ? [] : reads) {
    let real: string;
    try {
      real = realpathSync(absolute(c.target!, cwd));
    } catch {
      continue;
    }
    expect(allowed.some((d) => under(real, d)), `${c.target} resolves outside the workspace (${real})`).toBe(true);
  }
  const writes = calls.filter((c) => c.kind === 'write' && c.target && !c.target.startsWith('fd:')).map((c) => absolute(c.target!, cwd));
  expect(writes.filter((f) => !under(f, cache)), 'files written outside the facts cache').toEqual([]);
  expect(existsSync(sentinel), 'a trap ran').toBe(false);
  return { calls: calls.length, reads: reads.length, writes: writes.length, threads: new Set(calls.map((c) => c.thread)).size };
}

describe('security: the language server', () => {
  it('runs nothing, connects nowhere and reads only inside the workspace', async () => {
    const record = path.join(root, 'server-calls.jsonl');
    const { client } = await LspClient.start({
      folders: [ws],
      nodeArgs: ['--require', RECORDER],
      cwd: ws,
      env: {
        KFUNC_LSP_RECORD: record,
        KFUNC_LSP_CACHE: cache,
        SENTINEL: sentinel,
        // The workspace's fake git/make/sh/node first: a server that ran any command by name would run a trap.
        PATH: `${ws}${path.delimiter}${process.env.PATH ?? ''}`,
      },
      settings: { index: { maxFileSizeKB: 4096 } },
    });
    try {
      await client.waitIndexed();
      const bpf = path.join(ws, 'drivers/widget/widget_bpf.c');
      const uri = await client.open(bpf);
      const text = client.text(uri);
      await client.diagnosticsFor(uri);
      const pos = positionOf(text, '__bpf_kfunc', 16);
      for (const method of ['textDocument/hover', 'textDocument/definition', 'textDocument/completion']) {
        await client.request(method, { textDocument: { uri }, position: pos });
      }
      await client.request('textDocument/references', { textDocument: { uri }, position: pos, context: { includeDeclaration: true } });
      await client.request('textDocument/codeAction', { textDocument: { uri }, range: { start: pos, end: pos }, context: { diagnostics: [] } });
      await client.request('textDocument/documentSymbol', { textDocument: { uri } });
      await client.request('textDocument/codeLens', { textDocument: { uri } });
      await client.request('workspace/symbol', { query: 'bpf' });
      await client.request('kfuncLsp/fileProtos', { uri });
      // The symlinked kfunc file is not indexed: its kfunc is unknown to the server.
      expect(await client.request('workspace/symbol', { query: 'bpf_secret_outside' })).toEqual([]);
      // The flag table did not come from the symlinked btf.h (KF_SECRET is only there).
      const flagHover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'KF_', 1) });
      expect(JSON.stringify(flagHover)).not.toContain('KF_SECRET');

      // A document from outside the workspace: analysed from the editor's text alone.
      const openedOutside = await client.open(path.join(outside, 'opened.c'));
      await client.request('textDocument/hover', { textDocument: { uri: openedOutside }, position: { line: 0, character: 20 } });
      await client.diagnosticsFor(openedOutside);
      // The file that includes headers outside, opened and edited.
      const inc = await client.open(path.join(ws, 'drivers/widget/includes_out.c'));
      await client.change(inc, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '#include "../linked_dir/secret.h"\n' }]);
      await client.diagnosticsFor(inc, (p) => p.version === 2);
      await client.request('textDocument/hover', { textDocument: { uri: inc }, position: { line: 4, character: 20 } });
      // Documents nobody opened, by path outside the workspace and by symlink inside it.
      for (const target of ['/etc/passwd', path.join(outside, 'secret.c'), path.join(ws, 'drivers/widget/linked_secret.c'), path.join(ws, 'etc/passwd')]) {
        await client.request('textDocument/hover', { textDocument: { uri: uriOf(target) }, position: { line: 0, character: 0 } });
        await client.request('textDocument/definition', { textDocument: { uri: uriOf(target) }, position: { line: 0, character: 0 } });
      }
      // Watched-file events for files outside and for the symlinks.
      await client.notify('workspace/didChangeWatchedFiles', {
        changes: [
          { uri: uriOf(path.join(outside, 'secret.c')), type: 2 },
          { uri: uriOf(path.join(ws, 'drivers/widget/linked_secret.c')), type: 1 },
          { uri: uriOf(path.join(ws, 'drivers/linked_dir/secret.c')), type: 2 },
          { uri: uriOf(path.join(ws, 'include/linux/btf.h')), type: 2 },
          { uri: uriOf(path.join(ws, 'Makefile')), type: 2 },
          { uri: uriOf(path.join(ws, '.kfunc-lsp.json')), type: 2 },
          { uri: uriOf('/etc/passwd'), type: 2 },
        ],
      });
      client.settings = { kernelVersion: '6.12' };
      await client.notify('workspace/didChangeConfiguration', { settings: null });
      await client.waitIndexed();
      expect(await client.request('workspace/symbol', { query: 'bpf_secret_outside' })).toEqual([]);
      await client.notify('textDocument/didClose', { textDocument: { uri } });
      await client.request('kfuncLsp/status');
    } finally {
      expect(await client.shutdown()).toBe(0);
    }
    const calls = readCalls(record);
    const summary = check(calls, ws, [ws]);
    // The indexer's reads were seen (also in its worker threads): the recorder is not blind to them.
    expect(calls.some((c) => c.kind === 'read' && c.target === path.join(ws, 'drivers/widget/widget_core.c'))).toBe(true);
    console.log(`security (server): ${JSON.stringify(summary)}`);
  }, 60_000);
});

describe('security: the command line', () => {
  it('check and protos run nothing, connect nowhere and read only inside the tree given', () => {
    for (const command of [['check', '--format', 'json'], ['protos', '--json']]) {
      const record = path.join(root, `cli-${command[0]}.jsonl`);
      const res = spawnSync(process.execPath, ['--require', RECORDER, CLI, ...command, ws], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, KFUNC_LSP_RECORD: record, KFUNC_LSP_CACHE: cache, SENTINEL: sentinel, PATH: `${ws}${path.delimiter}${process.env.PATH ?? ''}` },
      });
      expect(res.status, res.stderr).toBeLessThanOrEqual(1);
      expect(res.stdout).not.toContain('bpf_secret_outside');
      const summary = check(readCalls(record), root, [ws], true);
      console.log(`security (cli ${command[0]}): ${JSON.stringify(summary)}`);
    }
  }, 60_000);
});

describe('security: the recorder itself', () => {
  it('sees processes, sockets, code, reads and writes, in worker threads too', () => {
    const record = path.join(root, 'self-test.jsonl');
    const script = `
      const cp = require('node:child_process'); const net = require('node:net'); const fs = require('node:fs');
      const { Worker } = require('node:worker_threads');
      cp.spawnSync('true');
      const s = net.connect({ port: 9, host: '127.0.0.1' }); s.on('error', () => {});
      fs.readFileSync('/etc/hostname'); fs.writeFileSync(${JSON.stringify(path.join(root, 'x.tmp'))}, 'x');
      require('node:vm').runInThisContext('1 + 1');
      const w = new Worker("require('node:fs').readdirSync('/')", { eval: true });
      w.on('exit', () => process.exit(0));
    `;
    const res = spawnSync(process.execPath, ['--require', RECORDER, '-e', script], { encoding: 'utf8', env: { ...process.env, KFUNC_LSP_RECORD: record } });
    expect(res.status, res.stderr).toBe(0);
    const calls = readCalls(record);
    const seen = (kind: Call['kind'], target: string, thread?: (t: number) => boolean) =>
      calls.some((c) => c.kind === kind && (c.target ?? '').includes(target) && (!thread || thread(c.thread)));
    expect(seen('process', 'true')).toBe(true);
    expect(seen('network', '127.0.0.1')).toBe(true);
    expect(seen('read', '/etc/hostname')).toBe(true);
    expect(seen('write', 'x.tmp')).toBe(true);
    expect(seen('code', '1 + 1')).toBe(true);
    expect(seen('read', '/', (t) => t > 0)).toBe(true);
  });
});
