/**
 * Protocol tests: the built server (`node dist/cli.js --stdio`) driven by a real JSON-RPC client over stdio, on a
 * copy of the 7.0 fixture tree with KF_IMPLICIT_ARGS mistakes plus a BPF program that calls its kfuncs.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancellationTokenSource } from 'vscode-languageserver-protocol';
import type {
  CodeAction,
  CodeLens,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  Hover,
  Location,
  MarkupContent,
  WorkspaceSymbol,
} from 'vscode-languageserver-protocol';
import { ensureBuilt } from './ensureBuilt';
import { LspClient, positionOf, REPO, uriOf } from './lspClient';

const FIXTURE = path.join(REPO, 'test/fixtures/versions/v7.0-implicit-mistakes');
const MOD = 'tools/testing/selftests/bpf/test_kmods/bpf_testmod.c';
const PROG = 'tools/testing/selftests/bpf/progs/kfunc_calls.c';
const PROG_TEXT = `// SPDX-License-Identifier: GPL-2.0
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

extern int bpf_kfunc_aux_no_flag(int a, struct bpf_prog_aux *aux) __ksym;
extern int bpf_kfunc_implicit_mid(int a) __ksym;

SEC("syscall")
int call_kfuncs(void *ctx)
{
	return bpf_kfunc_implicit_mid(1) + bpf_kfunc_aux_no_flag(2, 0);
}
`;

let dir: string;
let client: LspClient;
let init: Awaited<ReturnType<typeof LspClient.start>>['init'];
let modUri: string;

const codes = (ds: Diagnostic[]) => ds.map((d) => String(d.code)).sort();
const hoverText = (h: Hover | null) => (h ? (h.contents as MarkupContent).value : '');

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kfunc-lsp-proto-'));
  cpSync(FIXTURE, dir, { recursive: true });
  mkdirSync(path.dirname(path.join(dir, PROG)), { recursive: true });
  writeFileSync(path.join(dir, PROG), PROG_TEXT);
  ({ client, init } = await LspClient.start({ folders: [dir], env: { KFUNC_LSP_IDLE_REPARSE_MS: '100' } }));
  modUri = await client.open(path.join(dir, MOD));
}, 60_000);

afterAll(async () => {
  if (client) await client.shutdown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('language server over stdio', () => {
  it('initializes with the advertised capabilities', () => {
    const caps = init.capabilities;
    expect(init.serverInfo?.name).toBe('kfunc-lsp');
    expect(caps.textDocumentSync).toMatchObject({ openClose: true, change: 2 });
    expect(caps.hoverProvider).toBe(true);
    expect(caps.definitionProvider).toBe(true);
    expect(caps.referencesProvider).toBe(true);
    expect(caps.codeActionProvider).toMatchObject({ codeActionKinds: ['quickfix'] });
    expect(caps.completionProvider?.triggerCharacters).toContain(',');
    expect(caps.codeLensProvider).toBeTruthy();
    expect(caps.documentSymbolProvider).toBe(true);
    expect(caps.workspaceSymbolProvider).toBe(true);
  });

  it('publishes the fixture diagnostics after didOpen, with related locations', async () => {
    const p = await client.diagnosticsFor(modUri, (d) => d.diagnostics.length > 0);
    expect(p.version).toBe(1);
    expect(codes(p.diagnostics)).toEqual(
      expect.arrayContaining(['implicit-without-flag', 'implicit-not-trailing', 'implicit-multiple-prog-aux', 'implicit-flag-without-arg']),
    );
    const d = p.diagnostics.find((x) => x.code === 'implicit-without-flag')!;
    expect(d.source).toBe('kfunc-lsp');
    expect(d.severity).toBe(1);
    const text = client.text(modUri);
    expect(d.range.start).toEqual(positionOf(text, 'struct bpf_prog_aux *aux)\n{\n\treturn aux ? a : -EINVAL;'));
    expect(d.relatedInformation?.[0].location.range.start).toEqual(positionOf(text, 'BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag)'));
  });

  it('hovers a kfunc in a BTF_ID_FLAGS entry with its vmlinux.h line, program types, set and diagnostics', async () => {
    const text = client.text(modUri);
    const h = await client.request<Hover | null>('textDocument/hover', {
      textDocument: { uri: modUri },
      position: positionOf(text, 'bpf_kfunc_aux_no_flag)', 4),
    });
    const md = hoverText(h);
    expect((h!.contents as MarkupContent).kind).toBe('markdown');
    expect(md).toContain('```c\nextern int bpf_kfunc_aux_no_flag(int a, struct bpf_prog_aux *aux) __weak __ksym;\n```');
    expect(md).toContain('`BPF_PROG_TYPE_SYSCALL`');
    expect(md).toContain('`bpf_testmod_check_kfunc_ids`');
    expect(md).toMatch(/bpf\\_testmod\.c:63\]/);
    expect(md).toContain('`implicit-without-flag`');
    expect(h!.range).toEqual({ start: positionOf(text, 'bpf_kfunc_aux_no_flag)'), end: positionOf(text, 'bpf_kfunc_aux_no_flag)', 21) });
  });

  it('hovers KF_* names with meaning and bit, and implicit arguments on a KF_IMPLICIT_ARGS kfunc', async () => {
    const text = client.text(modUri);
    const flag = hoverText(await client.request('textDocument/hover', { textDocument: { uri: modUri }, position: positionOf(text, 'KF_IMPLICIT_ARGS', 2) }));
    expect(flag).toContain('bit 16 (`0x10000`)');
    expect(flag).toContain('the verifier fills in the trailing implicit arguments');
    const mid = hoverText(await client.request('textDocument/hover', { textDocument: { uri: modUri }, position: positionOf(text, 'bpf_kfunc_implicit_mid(', 2) }));
    expect(mid).toContain('extern int bpf_kfunc_implicit_mid(int a) __weak __ksym;');
    expect(mid).toContain('BPF programs pass `a`; the verifier fills in `aux` (`struct bpf_prog_aux *`)');
    expect(mid).toContain('int bpf_kfunc_implicit_mid_impl(int a, struct bpf_prog_aux *aux, int b)');
  });

  it('goes to the definition from a BTF_ID_FLAGS entry and from a call site in a BPF program', async () => {
    const text = client.text(modUri);
    const def = positionOf(text, 'bpf_kfunc_aux_no_flag(int a');
    const fromEntry = await client.request<Location[]>('textDocument/definition', {
      textDocument: { uri: modUri },
      position: positionOf(text, 'BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag)', 22),
    });
    expect(fromEntry).toEqual([{ uri: modUri, range: { start: def, end: { line: def.line, character: def.character + 21 } } }]);

    const progUri = await client.open(path.join(dir, PROG));
    const fromCall = await client.request<Location[]>('textDocument/definition', {
      textDocument: { uri: progUri },
      position: positionOf(PROG_TEXT, 'bpf_kfunc_aux_no_flag(2', 3),
    });
    expect(fromCall.map((l) => [l.uri, l.range.start])).toEqual([[modUri, def]]);
    // Hover works on the call site too (a BPF program is not indexed, but it sees the kernel's kfuncs).
    const h = hoverText(await client.request('textDocument/hover', { textDocument: { uri: progUri }, position: positionOf(PROG_TEXT, 'bpf_kfunc_implicit_mid(1', 1) }));
    expect(h).toContain('extern int bpf_kfunc_implicit_mid(int a) __weak __ksym;');
  });

  it('finds references: the set entry, the definition and call sites in open files', async () => {
    const text = client.text(modUri);
    const refs = await client.request<Location[]>('textDocument/references', {
      textDocument: { uri: modUri },
      position: positionOf(text, 'bpf_kfunc_aux_no_flag(int a', 2),
      context: { includeDeclaration: true },
    });
    const where = refs.map((r) => `${path.basename(new URL(r.uri).pathname)}:${r.range.start.line}`).sort();
    const progUri = uriOf(path.join(dir, PROG));
    expect(refs.some((r) => r.uri === progUri && r.range.start.line === positionOf(PROG_TEXT, 'bpf_kfunc_aux_no_flag(2').line)).toBe(true);
    expect(refs.some((r) => r.uri === progUri && r.range.start.line === positionOf(PROG_TEXT, 'bpf_kfunc_aux_no_flag(int').line)).toBe(true);
    expect(where).toContain(`bpf_testmod.c:${positionOf(text, 'BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag)').line}`);
    expect(where).toContain(`bpf_testmod.c:${positionOf(text, 'bpf_kfunc_aux_no_flag(int a').line}`);
    const noDecl = await client.request<Location[]>('textDocument/references', {
      textDocument: { uri: modUri },
      position: positionOf(text, 'bpf_kfunc_aux_no_flag(int a', 2),
      context: { includeDeclaration: false },
    });
    expect(noDecl.length).toBe(refs.length - 1);
  });

  it('completes kfunc names and KF_* flags inside BTF_ID_FLAGS', async () => {
    const text = client.text(modUri);
    const nameAt = positionOf(text, 'BTF_ID_FLAGS(func, bpf_kfunc_collide', 'BTF_ID_FLAGS(func, bpf_kfunc_c'.length);
    const names = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri: modUri }, position: nameAt });
    const labels = names.items.map((i) => i.label);
    expect(labels).toEqual(expect.arrayContaining(['bpf_kfunc_collide', 'bpf_kfunc_aux_no_flag', 'bpf_kfunc_two_aux']));
    expect(names.items.find((i) => i.label === 'bpf_kfunc_two_aux')?.detail).toBe('int bpf_kfunc_two_aux(int a)');
    const flagAt = positionOf(text, 'bpf_kfunc_two_aux, KF_', 'bpf_kfunc_two_aux, KF_'.length);
    const flags = await client.request<CompletionList>('textDocument/completion', { textDocument: { uri: modUri }, position: flagAt });
    const flagLabels = flags.items.map((i) => i.label);
    expect(flagLabels).toContain('KF_ACQUIRE');
    expect(flagLabels).not.toContain('KF_TRUSTED_ARGS'); // gone in 7.0
    expect(flags.items.find((i) => i.label === 'KF_RET_NULL')?.detail).toMatch(/^bit 2/);
    // Outside BTF_ID_FLAGS: nothing (other completion providers answer there).
    const none = await client.request<CompletionList | null>('textDocument/completion', { textDocument: { uri: modUri }, position: positionOf(text, 'return aux ? a', 7) });
    expect(none?.items ?? []).toEqual([]);
  });

  it('lists document symbols, workspace symbols and code lenses', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: modUri } });
    const set = symbols.find((s) => s.name === 'bpf_testmod_check_kfunc_ids')!;
    expect(set.children?.map((c) => c.name)).toContain('bpf_kfunc_aux_no_flag');
    expect(symbols.find((s) => s.name === 'bpf_kfunc_implicit_mid')?.detail).toBe('int bpf_kfunc_implicit_mid(int a)');
    const ws = await client.request<WorkspaceSymbol[]>('workspace/symbol', { query: 'kfunctwo' });
    expect(ws.map((s) => s.name)).toEqual(['bpf_kfunc_two_aux']);
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: modUri } });
    expect(lenses.map((l) => l.command?.title)).toContain('BPF: int bpf_kfunc_implicit_mid(int a) · SYSCALL');
    const protos = await client.request<{ content: string; kfuncs: number }>('kfuncLsp/fileProtos', { uri: modUri });
    expect(protos.content).toContain('extern int bpf_kfunc_two_aux(int a) __weak __ksym;');
    expect(protos.content).toContain('#ifndef BPF_NO_KFUNC_PROTOTYPES');
  });

  it('offers the KF_IMPLICIT_ARGS quick fix, and applying it clears the diagnostic', async () => {
    const before = await client.diagnosticsFor(modUri, (p) => p.diagnostics.some((d) => d.code === 'implicit-without-flag'));
    const diag = before.diagnostics.find((d) => d.code === 'implicit-without-flag')!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: modUri },
      range: diag.range,
      context: { diagnostics: [diag], only: ['quickfix'] },
    });
    const fix = actions.find((a) => a.title === 'Add KF_IMPLICIT_ARGS to BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag)')!;
    expect(fix).toBeTruthy();
    expect(fix.kind).toBe('quickfix');
    expect(fix.isPreferred).toBe(true);
    expect(fix.diagnostics?.[0].code).toBe('implicit-without-flag');
    const next = client.nextDiagnostics((p) => p.uri === modUri && (p.version ?? 0) > (before.version ?? 0));
    await client.applyEdit(fix.edit!);
    expect(client.text(modUri)).toContain('BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag, KF_IMPLICIT_ARGS)');
    const after = await next;
    expect(codes(after.diagnostics)).not.toContain('implicit-without-flag');
    const h = hoverText(
      await client.request('textDocument/hover', { textDocument: { uri: modUri }, position: positionOf(client.text(modUri), 'bpf_kfunc_aux_no_flag(int a', 2) }),
    );
    expect(h).toContain('extern int bpf_kfunc_aux_no_flag(int a) __weak __ksym;');
  });

  it('follows incremental edits: results equal a fresh server given the final text', async () => {
    // Insert a line (shifts everything below), half-type a definition, then remove a flag from an entry.
    let text = client.text(modUri);
    const at = positionOf(text, '/* Two prog_aux parameters');
    await client.change(modUri, [{ range: { start: at, end: at }, text: '/* inserted */\n' }]);
    text = client.text(modUri);
    const half = positionOf(text, '__bpf_kfunc_end_defs();');
    await client.change(modUri, [{ range: { start: half, end: half }, text: '__bpf_kfunc int bpf_half_typed(int a, struct bpf_pr\n' }]);
    text = client.text(modUri);
    const flag = positionOf(text, 'bpf_kfunc_flag_no_implicit, KF_IMPLICIT_ARGS)', 'bpf_kfunc_flag_no_implicit'.length);
    const version = await client.change(modUri, [
      { range: { start: flag, end: { line: flag.line, character: flag.character + ', KF_IMPLICIT_ARGS'.length } }, text: '' },
    ]);
    const live = await client.diagnosticsFor(modUri, (p) => p.version === version);

    const fresh = await LspClient.start({ folders: [dir] });
    try {
      const uri = await fresh.client.open(path.join(dir, MOD), client.text(modUri));
      const expected = await fresh.client.diagnosticsFor(uri, (p) => p.diagnostics.length > 0);
      const strip = (ds: Diagnostic[]) => ds.map((d) => ({ code: d.code, range: d.range, message: d.message }));
      expect(strip(live.diagnostics)).toEqual(strip(expected.diagnostics));
    } finally {
      await fresh.client.shutdown();
    }
    expect(codes(live.diagnostics).filter((c) => c === 'implicit-flag-without-arg').length).toBe(1);
  });

  it('parses an edited document with syntax errors again in full once the edits settle', async () => {
    type Status = { parses: { full: number; incremental: number } };
    const before = (await client.request<Status>('kfuncLsp/status')).parses;
    const text = client.text(modUri);
    const at = positionOf(text, '/* Not a kfunc: no tag');
    const version = await client.change(modUri, [{ range: { start: at, end: at }, text: 'int broken(struct {\n' }]);
    await client.diagnosticsFor(modUri, (p) => p.version === version);
    let now = before;
    for (let i = 0; i < 400 && now.full === before.full; i++) now = (await client.request<Status>('kfuncLsp/status')).parses;
    expect(now.incremental).toBeGreaterThan(before.incremental);
    expect(now.full).toBe(before.full + 1);
    const end = { line: at.line + 1, character: 0 };
    const restored = await client.change(modUri, [{ range: { start: at, end }, text: '' }]);
    await client.diagnosticsFor(modUri, (p) => p.version === restored);
  });

  it('re-reads settings on didChangeConfiguration without a restart', async () => {
    const current = await client.diagnosticsFor(modUri);
    expect(codes(current.diagnostics)).toContain('implicit-not-trailing');
    client.settings = { diagnostics: { severity: { 'implicit-not-trailing': 'off', 'implicit-multiple-prog-aux': 'hint' } } };
    const next = client.nextDiagnostics((p) => p.uri === modUri && !p.diagnostics.some((d) => d.code === 'implicit-not-trailing'));
    await client.notify('workspace/didChangeConfiguration', { settings: null });
    const p = await next;
    expect(p.diagnostics.find((d) => d.code === 'implicit-multiple-prog-aux')?.severity).toBe(4);
    client.settings = {};
    const back = client.nextDiagnostics((q) => q.uri === modUri && q.diagnostics.some((d) => d.code === 'implicit-not-trailing'));
    await client.notify('workspace/didChangeConfiguration', { settings: null });
    await back;
  });

  it('picks up files changed outside the editor (didChangeWatchedFiles)', async () => {
    await client.waitIndexed();
    const file = path.join(dir, 'kernel/bpf/extra.c');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '__bpf_kfunc int bpf_watched_new(int x)\n{\n\treturn x;\n}\n');
    await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(file), type: 1 }] });
    const ws = await client.request<WorkspaceSymbol[]>('workspace/symbol', { query: 'bpf_watched_new' });
    expect(ws.map((s) => s.name)).toEqual(['bpf_watched_new']);
    rmSync(file);
    await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(file), type: 3 }] });
    expect(await client.request<WorkspaceSymbol[]>('workspace/symbol', { query: 'bpf_watched_new' })).toEqual([]);
  });

  it('reported indexing progress', () => {
    const kinds = client.progress.map((p) => (p as { value: { kind: string } }).value.kind);
    expect(kinds[0]).toBe('begin');
    expect(kinds).toContain('end');
    expect(client.registrations.length).toBeGreaterThan(0);
  });
});

describe('bad input', () => {
  it('answers unknown documents and out-of-range positions with null', async () => {
    const unknown = 'file:///nowhere/unknown.c';
    expect(await client.request('textDocument/hover', { textDocument: { uri: unknown }, position: { line: 0, character: 0 } })).toBeNull();
    expect(await client.request('textDocument/definition', { textDocument: { uri: unknown }, position: { line: 0, character: 0 } })).toBeNull();
    expect(await client.request('textDocument/hover', { textDocument: { uri: modUri }, position: { line: 99999, character: 0 } })).toBeNull();
    expect(await client.request('textDocument/hover', { textDocument: { uri: modUri }, position: { line: 0, character: 99999 } })).toBeNull();
    expect(await client.request('textDocument/hover', { textDocument: { uri: modUri }, position: { line: -1, character: -5 } })).toBeNull();
    expect(await client.request('textDocument/completion', { textDocument: { uri: modUri }, position: { line: 1e9, character: 0 } })).toBeNull();
    expect(await client.request('textDocument/codeAction', { textDocument: { uri: unknown }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } })).toBeNull();
  });

  it('refuses binary and oversized documents with a message, and keeps serving', async () => {
    const bin = await client.open(path.join(dir, 'binary.c'), 'int a;\0\0\x01garbage BTF_ID_FLAGS(func, x)');
    const big = await client.open(path.join(dir, 'huge.c'), '/* x */\n'.repeat(700_000)); // 5.6 MB > 4096 KB
    const messages = async () => {
      for (let i = 0; i < 200 && client.messages.length < 2; i++) await client.request('kfuncLsp/status');
      return client.messages.map((m) => m.message).join('\n');
    };
    const text = await messages();
    expect(text).toContain('binary.c is not analysed: binary file (contains NUL bytes)');
    expect(text).toContain('huge.c is not analysed: larger than 4096 KB');
    expect(await client.request('textDocument/hover', { textDocument: { uri: bin }, position: { line: 0, character: 4 } })).toBeNull();
    expect(await client.request('textDocument/documentSymbol', { textDocument: { uri: big } })).toEqual([]);
    // Invalid UTF-8 read as text by the editor (U+FFFD) and half-typed code: analysed, no crash.
    const odd = await client.open(path.join(dir, 'odd.c'), '\uFFFD\uFFFD __bpf_kfunc int bpf_odd(struct { int (*f)(\nBTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, bpf_odd, KF_\n#if\n{{{{');
    await client.diagnosticsFor(odd);
    await client.notify('textDocument/didClose', { textDocument: { uri: bin } });
    await client.notify('textDocument/didClose', { textDocument: { uri: big } });
    await client.notify('textDocument/didClose', { textDocument: { uri: odd } });
    expect((await client.request<{ pid: number }>('kfuncLsp/status')).pid).toBe(client.proc.pid);
  });

  it('answers a cancelled request with RequestCancelled', async () => {
    // Request and cancellation written in one chunk (as a busy client's pipe delivers them): the server must see the
    // cancellation before doing the work. A cancellation that arrives after the answer is ignored, as LSP allows.
    const text = client.text(modUri);
    const frame = (msg: unknown) => {
      const body = JSON.stringify(msg);
      return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    };
    let raw = '';
    const onData = (b: Buffer) => (raw += String(b));
    client.proc.stdout!.on('data', onData);
    const id = 'raw-cancel-1';
    client.proc.stdin!.write(
      frame({ jsonrpc: '2.0', id, method: 'textDocument/references', params: { textDocument: { uri: modUri }, position: positionOf(text, 'bpf_kfunc_two_aux(int', 2), context: { includeDeclaration: true } } }) +
        frame({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id } }),
    );
    for (let i = 0; i < 500 && !raw.includes(`"id":"${id}"`); i++) await client.request('kfuncLsp/status');
    client.proc.stdout!.off('data', onData);
    const body = raw.slice(raw.indexOf('{', raw.lastIndexOf('Content-Length', raw.indexOf(`"id":"${id}"`))));
    const response = JSON.parse(body.slice(0, body.indexOf('Content-Length') === -1 ? undefined : body.indexOf('Content-Length')));
    expect(response.error?.code).toBe(-32800);
    // Also through the client library (whichever wins the race, the request is answered and the server stays up).
    const source = new CancellationTokenSource();
    const pending = client.conn.sendRequest('workspace/symbol', { query: 'bpf' }, source.token);
    source.cancel();
    await pending.then(
      (r) => expect(Array.isArray(r)).toBe(true),
      (e) => expect(e.code).toBe(-32800),
    );
    expect((await client.request<{ pid: number }>('kfuncLsp/status')).pid).toBe(client.proc.pid);
  });

  it('shuts down cleanly', async () => {
    const code = await client.shutdown();
    expect(code).toBe(0);
    client = undefined as unknown as LspClient;
  });
});
