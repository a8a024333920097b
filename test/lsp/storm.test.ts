/**
 * Protocol robustness: a seeded storm of random but well-formed LSP traffic against the BUILT server over stdio.
 * Requests at random positions (in range, at the edges, far out of range, negative, fractional, huge), inside
 * comments, macros and BTF sets; random incremental edits with kernel-macro fragments and odd characters; requests
 * and edits for documents nobody opened; cancellations of in-flight requests; settings changes; files created,
 * changed and deleted behind the server's back. Asserted: every request is answered (a result, or RequestCancelled
 * for a cancelled one), no handler failed (the server logs each caught exception), the process stays up, its memory
 * stays bounded, and afterwards it still answers correctly and exits with code 0.
 *
 * KFUNC_LSP_STORM_SEED and KFUNC_LSP_STORM_MESSAGES change the run (the seed is printed on failure).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancellationTokenSource } from 'vscode-languageserver-protocol';
import type { Diagnostic, Hover, MarkupContent, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ensureBuilt } from './ensureBuilt';
import { LspClient, positionOf, REPO, uriOf } from './lspClient';
import { rng } from '../helpers/rng';

const SEED = Number(process.env.KFUNC_LSP_STORM_SEED ?? 20261122);
const MESSAGES = Number(process.env.KFUNC_LSP_STORM_MESSAGES ?? 2500);
const RSS_LIMIT_MB = 400;
const RSS_GROWTH_LIMIT_MB = 150;

const REQUEST_CANCELLED = -32800;
const METHOD_NOT_FOUND = -32601;


let dir: string;
let client: LspClient;
const EXAMPLES = 'examples';
const MOD = 'mistakes/tools/testing/selftests/bpf/test_kmods/bpf_testmod.c';
const WIDGET = `${EXAMPLES}/drivers/widget/widget_bpf.c`;
const HEADER = `${EXAMPLES}/include/linux/widget.h`;
const PROG = `${EXAMPLES}/drivers/widget/progs/widget_prog.c`;
const PROG_TEXT = `// SPDX-License-Identifier: GPL-2.0
#include <vmlinux.h>
extern struct widget *bpf_widget_acquire(u32 id) __ksym;
SEC("syscall")
int prog(void *ctx)
{
	/* a comment with bpf_widget_acquire( inside */
	return bpf_widget_acquire(1) != 0;
}
`;

/** VmRSS and VmHWM (peak) of a process, in MB; undefined where /proc is not available. */
function memoryOf(pid: number): { rss: number; peak: number } | undefined {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return undefined;
  const status = readFileSync(file, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'kfunc-lsp-storm-'));
  // Two workspace folders: the examples tree (a small kernel) and the 7.0 fixture with KF_IMPLICIT_ARGS mistakes.
  cpSync(path.join(REPO, 'examples'), path.join(dir, EXAMPLES), { recursive: true });
  cpSync(path.join(REPO, 'test/fixtures/versions/v7.0-implicit-mistakes'), path.join(dir, 'mistakes'), { recursive: true });
  mkdirSync(path.dirname(path.join(dir, PROG)), { recursive: true });
  writeFileSync(path.join(dir, PROG), PROG_TEXT);
  ({ client } = await LspClient.start({
    folders: [path.join(dir, EXAMPLES), path.join(dir, 'mistakes')],
    // Short debounces: diagnostics and full reparses run often during the storm instead of being coalesced away.
    env: { KFUNC_LSP_IDLE_REPARSE_MS: '30', KFUNC_LSP_DIAGNOSTICS_DELAY_MS: '5' },
  }));
}, 60_000);

afterAll(async () => {
  if (client && client.proc.exitCode === null) await client.shutdown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- the generators -----------------------------------------------------------------------------------------------

const FRAGMENTS = [
  'BTF_ID_FLAGS(func, ', 'BTF_ID_FLAGS(func, bpf_widget_acquire, KF_ACQUIRE | KF_RET_NULL)\n', 'BTF_KFUNCS_START(s)\n',
  'BTF_KFUNCS_END(s)\n', 'BTF_SET8_START(t)\n', 'BTF_ID_LIST(l)\n', 'KF_', 'KF_IMPLICIT_ARGS', ' | ', '__bpf_kfunc ',
  '__bpf_kfunc int bpf_storm(struct bpf_prog_aux *aux, void *p__map, int sz__sz)\n{\n\treturn 0;\n}\n',
  '__bpf_kfunc_start_defs();\n', '__bpf_kfunc_end_defs();\n', 'register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &k);',
  'static const struct btf_kfunc_id_set k = { .owner = THIS_MODULE, .set = &s };\n', '#if defined(CONFIG_X) && \\\n',
  '#ifdef CONFIG_BPF\n', '#else\n', '#endif\n', '#define KF_X (1 << 3)\n', '#include <linux/btf.h>\n', '/*', '*/', '/**\n * doc\n */\n',
  '//', '"', "'", '\\\n', '{', '}', '(', ')', ';', ',', '\n', '\r\n', '\t', ' ', 'static inline ', 'struct task_struct *',
  'int (*cb)(void *a, int b)', ', ...', 'u32 ', '__user ', '__rcu ', 'SEC("tc")\n', 'extern int bpf_x(void) __ksym;\n',
  // Odd characters: replacement character, lone surrogates, line/paragraph separators, escapes, emoji, DEL, BOM.
  '\uFFFD', '\uD800', '\uDC00x', '\u2028', '\u2029', '\u001b[31m', '\u007f', '\uD83D\uDE00', '\uFEFF', '\u00e9\u20ac',
];

const INTERESTING = ['BTF_ID_FLAGS', 'KF_', '__bpf_kfunc', '/*', '//', '#if', '#define', '#endif', 'struct', '(', ',', '|', '"', 'BTF_KFUNCS', 'register_btf', '__ksym', '{'];

/** Numbers a JSON-RPC client can send as a line or character: valid JSON, mostly invalid as positions. */
const ODD_NUMBERS = [-1, -2, -0, -1e9, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 1e21, 0.5, 3.7, 1e-7, 65535, 65536];

/** An open document; the client copy is a TextDocument, so positions mean what they mean to the server. */
interface Open {
  uri: string;
  original: string;
  doc: TextDocument;
}

class Storm {
  readonly r: () => number;
  readonly pending: Array<{ method: string; cancelled: boolean; done: Promise<{ ok: boolean; code?: number; message?: string }> }> = [];
  readonly counts = { requests: 0, notifications: 0, cancelled: 0, edits: 0 };
  readonly open: Open[] = [];
  readonly trace: string[] = [];
  private scratch = 0;
  private fileCounter = 0;

  constructor(seed: number) {
    this.r = rng(seed);
  }

  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.r() < p;
  }

  position(doc: TextDocument): { line: number; character: number } {
    const text = doc.getText();
    const lines = text.split('\n');
    const roll = this.r();
    if (roll < 0.5) return doc.positionAt(this.int(text.length + 1));
    if (roll < 0.75) {
      // Near something interesting: a macro, a comment, a directive, a set entry.
      const needle = this.pick(INTERESTING);
      const hits: number[] = [];
      for (let i = text.indexOf(needle); i !== -1 && hits.length < 64; i = text.indexOf(needle, i + 1)) hits.push(i);
      if (hits.length) return doc.positionAt(this.pick(hits) + this.int(16));
    }
    // Edges and nonsense.
    const line = this.pick([0, lines.length - 1, lines.length, lines.length + 1, this.pick(ODD_NUMBERS)]);
    const character = this.pick([0, 1, 10_000, this.pick(ODD_NUMBERS), (lines[Math.max(0, Math.min(lines.length - 1, line | 0))]?.length ?? 0) + 1]);
    return { line, character };
  }

  range(doc: TextDocument) {
    const a = this.position(doc);
    const b = this.chance(0.7) ? this.position(doc) : a;
    return this.chance(0.8) && (b.line < a.line || (b.line === a.line && b.character < a.character)) ? { start: b, end: a } : { start: a, end: b };
  }

  unknownUri(): string {
    return this.pick([
      'file:///nowhere/unknown.c',
      `file://${dir}/${EXAMPLES}/drivers/widget/not_open.c`,
      uriOf(path.join(dir, WIDGET)) + '#fragment',
      'untitled:Untitled-7',
      'http://example.invalid/a.c',
      'file://remote-host/share/a.c',
      'file:///%00.c',
      'file:///a%2Fb.c',
      '',
      'not a uri at all',
    ]);
  }

  /** A request to a method, recorded with its outcome. Some are cancelled, before or after they reach the server. */
  request(method: string, params: unknown): void {
    this.counts.requests++;
    const cancel = this.chance(0.15);
    let done: Promise<unknown>;
    if (cancel) {
      this.counts.cancelled++;
      const source = new CancellationTokenSource();
      done = client.conn.sendRequest(method, params, source.token);
      const when = this.int(3);
      if (when === 0) source.cancel();
      else if (when === 1) queueMicrotask(() => source.cancel());
      else setTimeout(() => source.cancel(), this.int(20));
    } else done = client.conn.sendRequest(method, params);
    this.pending.push({
      method,
      cancelled: cancel,
      done: done.then(
        () => ({ ok: true }),
        (e: { code?: number; message?: string }) => ({ ok: false, code: e?.code, message: e?.message }),
      ),
    });
  }

  notify(method: string, params: unknown): void {
    this.counts.notifications++;
    void client.notify(method, params);
  }

  docRequest(): void {
    const known = this.open.length > 0 && this.chance(0.9);
    const uri = known ? this.pick(this.open).uri : this.unknownUri();
    const text = known ? this.open.find((o) => o.uri === uri)!.doc : TextDocument.create(uri, 'c', 1, 'int x;\n');
    const td = { textDocument: { uri } };
    switch (this.int(12)) {
      case 0:
      case 1:
      case 2:
        return this.request('textDocument/hover', { ...td, position: this.position(text) });
      case 3:
        return this.request('textDocument/definition', { ...td, position: this.position(text) });
      case 4:
        return this.request('textDocument/references', { ...td, position: this.position(text), context: { includeDeclaration: this.chance(0.5) } });
      case 5: {
        const published = client.diagnostics.get(uri)?.diagnostics ?? [];
        const diagnostics: Diagnostic[] = this.chance(0.5)
          ? published.filter(() => this.chance(0.5))
          : [{ range: this.range(text), message: 'made up', code: this.pick(['implicit-without-flag', 'kfunc-static', 'no-such-code', 42]), source: 'kfunc-lsp' }];
        const only = this.pick([undefined, ['quickfix'], ['refactor'], [''], ['source.organizeImports']]);
        return this.request('textDocument/codeAction', { ...td, range: this.range(text), context: { diagnostics, ...(only ? { only } : {}) } });
      }
      case 6:
      case 7:
        return this.request('textDocument/completion', {
          ...td,
          position: this.position(text),
          context: this.pick([undefined, { triggerKind: 1 }, { triggerKind: 2, triggerCharacter: this.pick([',', '(', '|']) }]),
        });
      case 8:
        return this.request('completionItem/resolve', this.pick([
          { label: 'bpf_widget_acquire', data: { uri, name: 'bpf_widget_acquire' } },
          { label: 'KF_ACQUIRE', data: { flag: 'KF_ACQUIRE' } },
          { label: 'x', data: null },
          { label: 'y', data: { uri: this.unknownUri(), kind: 'nonsense', name: 12 } },
        ]));
      case 9:
        return this.request('textDocument/documentSymbol', td);
      case 10:
        return this.request('textDocument/codeLens', td);
      default:
        return this.request(
          this.pick(['workspace/symbol', 'kfuncLsp/fileProtos', 'kfuncLsp/status', 'kfuncLsp/noSuchMethod']),
          this.pick([{ query: this.pick(['', 'bpf', 'widget', 'KF_', '\uD800', 'x'.repeat(5000)]) }, { uri }, {}]),
        );
    }
  }

  /** Sends a didChange and applies it to the client copy. */
  async change(o: Open, change: TextDocumentContentChangeEvent): Promise<void> {
    const version = o.doc.version + 1;
    TextDocument.update(o.doc, [change], version);
    await client.notify('textDocument/didChange', { textDocument: { uri: o.uri, version }, contentChanges: [change] });
  }

  async openDoc(uri: string, text: string, languageId = 'c'): Promise<Open> {
    const o = { uri, original: text, doc: TextDocument.create(uri, languageId, 1, text) };
    this.open.push(o);
    await client.notify('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return o;
  }

  async edit(): Promise<void> {
    if (this.open.length === 0) return;
    const o = this.pick(this.open);
    const text = o.doc.getText();
    this.counts.edits++;
    this.counts.notifications++;
    // Keep documents from degenerating: now and then (and when they grow large) back to the original text.
    if (text.length > 60_000 || this.chance(0.03)) {
      await this.change(o, { text: o.original });
      return;
    }
    let insert = '';
    const roll = this.r();
    if (roll < 0.6) for (let k = 1 + this.int(3); k > 0; k--) insert += this.pick(FRAGMENTS);
    else if (roll < 0.8) insert = String.fromCharCode(...Array.from({ length: 1 + this.int(24) }, () => 1 + this.int(0x2fff)));
    else if (roll < 0.9) insert = '';
    else insert = this.pick(FRAGMENTS).repeat(50 + this.int(1000)); // a paste: deep nesting, long lines
    // Mostly well-placed ranges; sometimes past the end or past a line's end, which the server clamps.
    let range;
    if (this.chance(0.9)) {
      const start = this.int(text.length + 1);
      const end = Math.min(text.length, start + (this.chance(0.5) ? 0 : this.int(60)));
      range = { start: o.doc.positionAt(start), end: o.doc.positionAt(end) };
    } else {
      const lines = o.doc.lineCount;
      range = this.chance(0.5)
        ? { start: { line: lines + this.int(5), character: this.int(100) }, end: { line: lines + 10, character: 0 } }
        : { start: { line: this.int(lines), character: 5000 }, end: { line: this.int(lines), character: 9000 } };
      if (range.end.line < range.start.line) range = { start: range.end, end: range.start };
    }
    if (process.env.KFUNC_LSP_STORM_TRACE) this.trace.push(`edit:${o.uri.split('/').pop()}:+${insert.length}:${JSON.stringify(insert.slice(0, 12))}=>${o.doc.getText().length}`);
    await this.change(o, { range, text: insert });
  }

  async other(): Promise<void> {
    switch (this.int(7)) {
      case 0: {
        // Settings, valid and not.
        client.settings = this.pick<Record<string, unknown>>([
          {},
          { diagnostics: { severity: { 'implicit-not-trailing': 'off', 'kfunc-static': 'hint' } } },
          { diagnostics: { severity: { 'no-such-code': 'error', 'kfunc-static': 'loud' } } },
          { index: { maxFileSizeKB: 1 } },
          { index: { maxFileSizeKB: 'big' } },
          { index: { exclude: ['**/drivers/**', '[', '***'] } },
          { kernelVersion: '6.1' },
          { kernelVersion: 'garbage' },
          { implicitArgs: { types: ['task_struct', 42], nameSuffixes: [''] } },
          { diagnostics: null, index: null },
        ]);
        this.notify('workspace/didChangeConfiguration', { settings: this.pick([null, {}, { kfuncLsp: client.settings }]) });
        return;
      }
      case 1:
      case 2: {
        // Files changed behind the server's back, then announced (or announced without any change at all).
        const root = path.join(dir, this.pick([EXAMPLES, 'mistakes']));
        const file = path.join(root, this.pick(['kernel/bpf', 'drivers/widget', 'net']), `storm_${this.fileCounter++ % 4}.c`);
        const kind = this.pick([1, 2, 3]);
        if (kind === 3) rmSync(file, { force: true });
        else {
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, this.pick(FRAGMENTS.slice(0, 16)) + this.pick(FRAGMENTS.slice(0, 16)));
        }
        const changes = [{ uri: uriOf(file), type: kind }];
        if (this.chance(0.3)) changes.push({ uri: uriOf(path.join(root, this.pick(['Makefile', '.kfunc-lsp.json', 'include/linux/btf.h']))), type: 2 });
        if (this.chance(0.2)) changes.push({ uri: this.unknownUri(), type: this.pick([1, 2, 3, 99]) });
        this.notify('workspace/didChangeWatchedFiles', { changes });
        return;
      }
      case 3: {
        // A scratch document: opened, edited, closed. Some hold NUL bytes (binary) or are not C.
        const uri = this.chance(0.5) ? `untitled:Scratch-${this.scratch++}` : uriOf(path.join(dir, EXAMPLES, `scratch_${this.scratch++ % 3}.c`));
        if (this.open.some((o) => o.uri === uri)) return;
        const text = this.pick(['', 'int a;\0\0garbage', FRAGMENTS.slice(0, 12).join(''), '#if\n{{{{\n/*']);
        await this.openDoc(uri, text, this.pick(['c', 'cpp', 'plaintext']));
        this.counts.notifications++;
        return;
      }
      case 4: {
        const scratch = this.open.filter((o) => o.uri.includes('cratch'));
        if (!scratch.length) return;
        const o = this.pick(scratch);
        this.open.splice(this.open.indexOf(o), 1);
        this.notify('textDocument/didClose', { textDocument: { uri: o.uri } });
        return;
      }
      case 5:
        // Edits and closes for documents that are not open; a cancellation for a request that does not exist.
        this.notify('textDocument/didChange', { textDocument: { uri: this.unknownUri(), version: 3 }, contentChanges: [{ text: 'x' }] });
        this.notify('textDocument/didClose', { textDocument: { uri: this.unknownUri() } });
        this.notify('$/cancelRequest', { id: this.pick([999_999, 'nope', -1]) });
        return;
      default:
        this.notify('textDocument/didSave', { textDocument: { uri: this.pick(this.open)?.uri ?? this.unknownUri() } });
    }
  }
}

// ---- the test -----------------------------------------------------------------------------------------------------

describe('request storm', () => {
  it(`answers every request, stays up and bounded (seed ${SEED}, ${MESSAGES} messages)`, async () => {
    const pid = client.proc.pid!;
    const storm = new Storm(SEED);
    for (const rel of [MOD, WIDGET, HEADER, PROG]) await storm.openDoc(uriOf(path.join(dir, rel)), readFileSync(path.join(dir, rel), 'utf8'));
    await client.waitIndexed();
    await client.diagnosticsFor(storm.open[0].uri, (p) => p.diagnostics.length > 0);
    const before = memoryOf(pid);

    let sent = 0;
    while (sent < MESSAGES) {
      // Bursts of up to 40 messages without waiting, then wait for that burst's answers (bounded in flight).
      const burst = 1 + storm.int(40);
      const mark = storm.pending.length;
      for (let k = 0; k < burst && sent < MESSAGES; k++, sent++) {
        const roll = storm.r();
        if (roll < 0.55) storm.docRequest();
        else if (roll < 0.9) await storm.edit();
        else await storm.other();
      }
      const outcomes = await Promise.race([
        Promise.all(storm.pending.slice(mark).map((p) => p.done)),
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000)),
      ]);
      if (outcomes === 'timeout') {
        const open = storm.pending.slice(mark).map((p) => p.method);
        throw new Error(`seed ${SEED}: requests unanswered after 30 s: ${open.join(', ')}\nserver log:\n${client.logs.slice(-20).join('\n')}`);
      }
      expect(client.proc.exitCode, `seed ${SEED}: server exited`).toBeNull();
      if (process.env.KFUNC_LSP_STORM_TRACE) {
        const m = memoryOf(pid);
        const st = await client.request<{ memory?: Record<string, number>; trees: number }>('kfuncLsp/status');
        const mb = (n = 0) => (n / 1048576).toFixed(0);
        console.log(`${sent} t ${(performance.now() / 1000).toFixed(1)} rss ${m?.rss.toFixed(0)} peak ${m?.peak.toFixed(0)} heap ${mb(st.memory?.heapUsed)} ext ${mb(st.memory?.external)} ab ${mb(st.memory?.arrayBuffers)} trees ${st.trees} | ${storm.trace.splice(0).join(' ')}`);
      }
    }

    const outcomes = await Promise.all(storm.pending.map(async (p) => ({ ...p, outcome: await p.done })));
    const wrong = outcomes.filter(({ method, cancelled, outcome }) => {
      if (outcome.ok) return false;
      if (cancelled && outcome.code === REQUEST_CANCELLED) return false;
      if (method === 'kfuncLsp/noSuchMethod' && outcome.code === METHOD_NOT_FOUND) return false;
      return true;
    });
    expect(wrong.map((w) => `${w.method}: ${w.outcome.code} ${w.outcome.message}`), `seed ${SEED}`).toEqual([]);
    // The server catches exceptions in handlers and logs them ("hover failed: …"): there must be none.
    const failures = client.logs.filter((l) => /failed:|uncaught exception|unhandled rejection/i.test(l) && !/^cannot read/.test(l));
    expect(failures.map((l) => l.slice(0, 2000)), `seed ${SEED}`).toEqual([]);
    expect(client.stderr, `seed ${SEED}`).toBe('');

    // Still up and still right: back to the original texts, the answers are the ones a fresh start gives.
    client.settings = {};
    await client.notify('workspace/didChangeConfiguration', { settings: null });
    for (const o of storm.open) await storm.change(o, { text: o.original });
    const status = await client.request<{ pid: number; openDocuments: number; trees: number }>('kfuncLsp/status');
    expect(status.pid).toBe(pid);
    expect(status.trees).toBeLessThanOrEqual(12); // the tree cache's bound
    await client.waitIndexed();
    const mod = storm.open[0];
    const hover = await client.request<Hover | null>('textDocument/hover', {
      textDocument: { uri: mod.uri },
      position: positionOf(mod.original, 'bpf_kfunc_aux_no_flag)', 4),
    });
    expect((hover?.contents as MarkupContent | undefined)?.value).toContain('extern int bpf_kfunc_aux_no_flag(int a, struct bpf_prog_aux *aux) __weak __ksym;');
    const diags = await client.diagnosticsFor(mod.uri, (p) => p.version === mod.doc.version);
    expect(diags.diagnostics.map((d) => d.code)).toContain('implicit-without-flag');

    const after = memoryOf(pid);
    if (before && after) {
      console.log(
        `storm: seed ${SEED}, ${sent} messages (${storm.counts.requests} requests, ${storm.counts.cancelled} cancelled, ` +
          `${storm.counts.edits} edits); RSS ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MB, peak ${after.peak.toFixed(0)} MB`,
      );
      expect(after.peak).toBeLessThan(RSS_LIMIT_MB);
      expect(after.rss - before.rss).toBeLessThan(RSS_GROWTH_LIMIT_MB);
    }
    expect(storm.counts.requests).toBeGreaterThan(MESSAGES / 3);
    expect(storm.counts.cancelled).toBeGreaterThan(0);

    expect(await client.shutdown()).toBe(0);
  }, 120_000);
});
