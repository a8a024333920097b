/**
 * A small LSP client for tests and benchmarks: spawns the BUILT server (`node dist/cli.js --stdio`), talks JSON-RPC
 * through vscode-languageserver-protocol, answers the server's own requests (workspace/configuration,
 * client/registerCapability, window/workDoneProgress/create) and lets callers wait for notifications — no sleeps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import type {
  InitializeResult,
  PublishDiagnosticsParams,
  TextDocumentContentChangeEvent,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';

export const REPO = path.resolve(__dirname, '../..');
export const CLI = path.join(REPO, 'dist/cli.js');

export const uriOf = (file: string) => pathToFileURL(file).href;

export interface StartOptions {
  /** Workspace folders (absolute paths). */
  folders: string[];
  /** The `kfuncLsp` section answered to workspace/configuration. */
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Extra client capabilities merged in. */
  capabilities?: Record<string, unknown>;
  /** The built CLI to run (default dist/cli.js of this checkout). */
  cli?: string;
  /** Arguments after `dist/cli.js` (default `--stdio`). */
  args?: string[];
  /** Node options before `dist/cli.js` (`--require` a preload). */
  nodeArgs?: string[];
  /** Run the server as this user and group (tests running as root drop privileges to test permissions). */
  uid?: number;
  gid?: number;
  cwd?: string;
}

type Waiter<T> = { test: (v: T) => boolean; resolve: (v: T) => void };

export class LspClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly diagnosticsLog: Array<{ at: number; params: PublishDiagnosticsParams }> = [];
  readonly messages: Array<{ type: number; message: string }> = [];
  readonly logs: string[] = [];
  readonly progress: unknown[] = [];
  /** Every $/progress notification with the time it arrived (performance.now()). */
  readonly progressLog: Array<{ at: number; params: { token: unknown; value: { kind: string } } }> = [];
  readonly registrations: unknown[] = [];
  settings: Record<string, unknown>;
  private diagWaiters: Array<Waiter<PublishDiagnosticsParams>> = [];
  private versions = new Map<string, number>();
  private texts = new Map<string, string>();
  exited: Promise<number | null>;
  stderr = '';

  private constructor(
    readonly proc: ChildProcess,
    readonly conn: MessageConnection,
    options: StartOptions,
  ) {
    this.settings = options.settings ?? {};
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    proc.stderr?.on('data', (b) => (this.stderr += String(b)));
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p);
      this.diagnosticsLog.push({ at: performance.now(), params: p });
      const pending = this.diagWaiters;
      this.diagWaiters = [];
      for (const w of pending) {
        if (w.test(p)) w.resolve(p);
        else this.diagWaiters.push(w);
      }
    });
    conn.onNotification('window/showMessage', (p: { type: number; message: string }) => void this.messages.push(p));
    conn.onNotification('window/logMessage', (p: { message: string }) => void this.logs.push(p.message));
    conn.onNotification('$/progress', (p: { token: unknown; value: { kind: string } }) => {
      this.progress.push(p);
      this.progressLog.push({ at: performance.now(), params: p });
    });
    conn.onRequest('workspace/configuration', (p: { items: Array<{ section?: string }> }) =>
      p.items.map((i) => (i.section === 'kfuncLsp' ? this.settings : null)),
    );
    conn.onRequest('client/registerCapability', (p: unknown) => {
      this.registrations.push(p);
      return null;
    });
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.onRequest('workspace/applyEdit', () => ({ applied: false }));
  }

  static async start(options: StartOptions): Promise<{ client: LspClient; init: InitializeResult }> {
    const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), options.cli ?? CLI, ...(options.args ?? ['--stdio'])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...(options.env ?? {}) },
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    conn.listen();
    const client = new LspClient(proc, conn, options);
    const init = (await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: options.folders[0] ? uriOf(options.folders[0]) : null,
      workspaceFolders: options.folders.map((f) => ({ uri: uriOf(f), name: path.basename(f) })),
      capabilities: {
        workspace: {
          configuration: true,
          workspaceFolders: true,
          didChangeConfiguration: { dynamicRegistration: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
          applyEdit: true,
        },
        window: { workDoneProgress: true },
        textDocument: {
          synchronization: { dynamicRegistration: false },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          documentSymbol: { hierarchicalDocumentSymbolSupport: true },
          publishDiagnostics: { relatedInformation: true, versionSupport: true },
          completion: { completionItem: { snippetSupport: false } },
        },
        ...(options.capabilities ?? {}),
      },
    })) as InitializeResult;
    await conn.sendNotification('initialized', {});
    return { client, init };
  }

  request<T = unknown>(method: string, params?: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  notify(method: string, params?: unknown): Promise<void> {
    return this.conn.sendNotification(method, params);
  }

  /** Resolves with the first publishDiagnostics (from now on) that passes `test`. */
  nextDiagnostics(test: (p: PublishDiagnosticsParams) => boolean, timeoutMs = 20000, what = 'diagnostics'): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.diagWaiters.push({
        test,
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  /** Like nextDiagnostics, but also accepts what was already published. */
  diagnosticsFor(uri: string, test: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 20000): Promise<PublishDiagnosticsParams> {
    const current = this.diagnostics.get(uri);
    if (current && test(current)) return Promise.resolve(current);
    return this.nextDiagnostics((p) => p.uri === uri && test(p), timeoutMs, `diagnostics of ${uri}`);
  }

  async open(file: string, text = readFileSync(file, 'utf8'), languageId = 'c'): Promise<string> {
    const uri = uriOf(file);
    this.versions.set(uri, 1);
    this.texts.set(uri, text);
    await this.notify('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  /** The version the next change of `uri` will carry. */
  nextVersion(uri: string): number {
    return (this.versions.get(uri) ?? 1) + 1;
  }

  text(uri: string): string {
    return this.texts.get(uri) ?? '';
  }

  /** Sends incremental changes and keeps the client-side copy in step. Returns the new version. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<number> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    let text = this.texts.get(uri) ?? '';
    for (const c of changes) text = 'range' in c && c.range ? applyRange(text, c.range, c.text) : c.text;
    this.texts.set(uri, text);
    await this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    return version;
  }

  /** Applies a WorkspaceEdit to the client-side copies of open documents by sending didChange (as an editor does). */
  async applyEdit(edit: WorkspaceEdit): Promise<void> {
    for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
      // Later edits first so earlier offsets stay valid; one didChange per edit.
      const sorted = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
      for (const e of sorted) await this.change(uri, [{ range: e.range, text: e.newText }]);
    }
  }

  async waitIndexed(timeoutMs = 60000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.request<{ indexing: boolean; folders: Array<{ complete: boolean }> }>('kfuncLsp/status');
      if (!s.indexing && s.folders.every((f) => f.complete)) return;
      if (Date.now() > end) throw new Error('timed out waiting for the index');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async shutdown(): Promise<number | null> {
    try {
      await this.request('shutdown');
      await this.notify('exit');
    } catch {
      /* already gone */
    }
    const code = await Promise.race([this.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
    if (code === 'timeout') {
      this.proc.kill('SIGKILL');
      return null;
    }
    this.conn.dispose();
    return code;
  }
}

export function offsetOf(text: string, pos: { line: number; character: number }): number {
  let offset = 0;
  for (let l = 0; l < pos.line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl === -1) return text.length;
    offset = nl + 1;
  }
  return offset + pos.character;
}

export function applyRange(text: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }, newText: string): string {
  return text.slice(0, offsetOf(text, range.start)) + newText + text.slice(offsetOf(text, range.end));
}

/** Position of the `nth` occurrence of `needle` in `text` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0, nth = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at === -1) throw new Error(`${needle} not found`);
  }
  at += delta;
  const before = text.slice(0, at);
  const line = before.split('\n').length - 1;
  return { line, character: at - (before.lastIndexOf('\n') + 1) };
}
