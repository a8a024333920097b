/**
 * The language server: protocol wiring only. State lives in Analysis (documents, units, indexes), background
 * indexing in Indexer, diagnostics in DiagnosticsPublisher; each request has its own module calling the analyzer.
 *
 * Safety: every handler is wrapped so that an exception becomes an empty answer plus a log line (never a crash);
 * cancelled requests answer RequestCancelled; the server reads files only inside workspace folders, runs nothing,
 * and opens no connection of its own (the transport is the one the command line asked for).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  type CancellationToken,
  CodeActionKind,
  type Connection,
  createConnection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  type DidChangeWatchedFilesParams,
  FileChangeType,
  type InitializeParams,
  type InitializeResult,
  LSPErrorCodes,
  MessageType,
  ShowMessageNotification,
  RequestType,
  RequestType0,
  ProposedFeatures,
  ResponseError,
  TextDocumentSyncKind,
  WatchKind,
} from 'vscode-languageserver/node';
import { initParser } from '../parse/treeSitter';
import { formatVersion } from '../kernel/version';
import { codeActions } from './codeAction';
import { codeLenses } from './codeLens';
import { completion, COMPLETION_TRIGGERS, resolveCompletion } from './completion';
import { definition } from './definition';
import { DiagnosticsPublisher } from './diagnostics';
import { fileProtos } from './fileProtos';
import { hover } from './hover';
import { Indexer, type ProgressReporter } from './indexer';
import { isFileUri, pathToUri, uriToPath } from './positions';
import { FILE_PROTOS_METHOD, type FileProtosParams, type FileProtosResult, STATUS_METHOD, type StatusResult } from './protocol';
import { Cancelled, references } from './references';
import { documentSymbols, workspaceSymbols } from './symbols';
import { Analysis } from './workspace';

declare const KFUNC_LSP_VERSION: string | undefined;
const VERSION = typeof KFUNC_LSP_VERSION === 'string' ? KFUNC_LSP_VERSION : '0.0.0';

export interface ServerOptions {
  /** Debounce between the last edit and recomputing diagnostics. */
  diagnosticsDelayMs?: number;
  /** See DEFAULT_IDLE_REPARSE_MS. */
  idleReparseMs?: number;
}

export const DEFAULT_DIAGNOSTICS_DELAY_MS = 150;
/** Quiet time after the last edit before a document with syntax errors is parsed again in full. */
export const DEFAULT_IDLE_REPARSE_MS = 2000;

function envMs(name: string): number | undefined {
  const raw = process.env[name];
  const value = raw ? Number(raw) : NaN;
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

interface ClientSupport {
  configuration: boolean;
  watchedFilesDynamic: boolean;
  configurationDynamic: boolean;
  workDoneProgress: boolean;
  hierarchicalSymbols: boolean;
  workspaceFolders: boolean;
}

/** The `kfuncLsp` section out of whatever a client sends (`{ kfuncLsp: {...} }`, `{ settings: {...} }`, flat). */
function settingsSection(value: unknown): unknown {
  if (!value || typeof value !== 'object') return {};
  const v = value as Record<string, unknown>;
  if (v.kfuncLsp && typeof v.kfuncLsp === 'object') return v.kfuncLsp;
  if (v.settings && typeof v.settings === 'object') return settingsSection(v.settings);
  return v;
}

/**
 * The bytes of a source file the server was told about (a watched-file event, a closed document), or undefined.
 * Only a regular file is opened: opening a FIFO named `x.c` blocks until something writes to it, which would hang
 * the server. A file over the size limit is not read at all (it is not indexed either way).
 */
function readSourceFile(file: string, maxFileSizeKB: number): Buffer | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > maxFileSizeKB * 1024) return undefined;
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const log = (message: string) => connection.console.log(message);
  const noticed = new Set<string>();
  const analysis = new Analysis({
    log,
    notice: (uri, message) => {
      if (noticed.has(`${uri}\0${message}`)) return;
      noticed.add(`${uri}\0${message}`);
      log(message);
      // A notification, not window/showMessageRequest: nothing waits for the user.
      void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message });
    },
  });
  const publisher = new DiagnosticsPublisher(connection, analysis, options.diagnosticsDelayMs ?? DEFAULT_DIAGNOSTICS_DELAY_MS, log);
  const support: ClientSupport = { configuration: false, watchedFilesDynamic: false, configurationDynamic: false, workDoneProgress: false, hierarchicalSymbols: false, workspaceFolders: false };
  let initSettings: unknown = {};
  let shuttingDown = false;
  /** `initialized` has run: settings read and the folders' indexing started. */
  let started = false;
  /** Settings changes being read (their re-indexing has not started yet): status reports them as indexing. */
  let pendingSettings = 0;

  const noProgress: ProgressReporter = { begin() {}, report() {}, done() {} };
  const indexer = new Indexer(analysis, {
    log,
    changed: () => publisher.schedule(undefined, 0),
    progress: async () => {
      if (!support.workDoneProgress) return noProgress;
      try {
        return await connection.window.createWorkDoneProgress();
      } catch {
        return noProgress;
      }
    },
  });

  /**
   * The parser (tree-sitter's wasm) loads while `initialize` is answered; every handler waits for it first. Handlers
   * resume in the order they were called, so notifications keep their order.
   */
  let parserReady: Promise<void> = Promise.resolve();

  /** Wraps a handler: exceptions → log + fallback, cancellation → RequestCancelled. */
  function guard<P, R>(name: string, fallback: R, fn: (params: P, token: CancellationToken) => R | Promise<R>) {
    return async (params: P, token: CancellationToken): Promise<R | ResponseError<void>> => {
      if (token?.isCancellationRequested) return new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
      try {
        await parserReady;
        return await fn(params, token);
      } catch (e) {
        if (e instanceof Cancelled) return new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
        log(`${name} failed: ${(e as Error).stack ?? e}`);
        return fallback;
      }
    };
  }
  function guardNotification<P>(name: string, fn: (params: P) => void | Promise<void>) {
    return async (params: P) => {
      try {
        await parserReady;
        await fn(params);
      } catch (e) {
        log(`${name} failed: ${(e as Error).stack ?? e}`);
      }
    };
  }

  async function fetchSettings(): Promise<void> {
    if (!support.configuration) {
      analysis.setEditorSettings(null, settingsSection(initSettings));
      return;
    }
    const folders = analysis.folders;
    const items = [{ section: 'kfuncLsp' }, ...folders.map((f) => ({ section: 'kfuncLsp', scopeUri: pathToUri(f) }))];
    try {
      const values = await connection.workspace.getConfiguration(items);
      analysis.setEditorSettings(null, settingsSection(values[0]));
      folders.forEach((f, i) => analysis.setEditorSettings(f, settingsSection(values[i + 1])));
    } catch (e) {
      log(`workspace/configuration failed: ${(e as Error).message}`);
    }
  }

  async function settingsChanged(): Promise<void> {
    pendingSettings++;
    try {
      await fetchSettings();
      const reindex = analysis.reconfigure();
      const folders = new Set(reindex.map((u) => u.folder).filter((f): f is string => f !== null));
      for (const f of folders) void indexer.index(f);
      publisher.schedule(undefined, 0);
    } finally {
      pendingSettings--;
    }
  }

  async function foldersChanged(e: { added: Array<{ uri: string }>; removed: Array<{ uri: string }> }): Promise<void> {
    for (const f of e.removed) {
      const p = uriToPath(f.uri);
      indexer.stop(p);
      analysis.removeFolder(p);
    }
    const added = e.added.filter((f) => isFileUri(f.uri)).map((f) => uriToPath(f.uri));
    const removed = new Set(e.removed.map((f) => uriToPath(f.uri)));
    analysis.setFolders([...analysis.folders.filter((f) => !removed.has(f)), ...added]);
    analysis.rehome();
    await fetchSettings();
    for (const f of added) void indexer.index(f);
    publisher.schedule(undefined, 0);
  }

  connection.onInitialize(async (params: InitializeParams): Promise<InitializeResult> => {
    const caps = params.capabilities;
    support.configuration = caps.workspace?.configuration === true;
    support.watchedFilesDynamic = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    support.configurationDynamic = caps.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    support.workDoneProgress = caps.window?.workDoneProgress === true;
    support.hierarchicalSymbols = caps.textDocument?.documentSymbol?.hierarchicalDocumentSymbolSupport === true;
    support.workspaceFolders = caps.workspace?.workspaceFolders === true;
    initSettings = params.initializationOptions ?? {};
    const folders: string[] = [];
    for (const f of params.workspaceFolders ?? []) if (isFileUri(f.uri)) folders.push(uriToPath(f.uri));
    if (folders.length === 0 && params.rootUri && isFileUri(params.rootUri)) folders.push(uriToPath(params.rootUri));
    else if (folders.length === 0 && params.rootPath) folders.push(path.resolve(params.rootPath));
    analysis.setFolders(folders);
    parserReady = initParser();
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        completionProvider: { triggerCharacters: COMPLETION_TRIGGERS, resolveProvider: true },
        codeLensProvider: { resolveProvider: false },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'kfunc-lsp', version: VERSION },
    };
  });

  connection.onInitialized(
    guardNotification('initialized', async () => {
      if (support.watchedFilesDynamic) {
        await connection.client.register(DidChangeWatchedFilesNotification.type, {
          watchers: [
            { globPattern: '**/*.{c,h}', kind: WatchKind.Create | WatchKind.Change | WatchKind.Delete },
            { globPattern: '**/Makefile', kind: WatchKind.Create | WatchKind.Change | WatchKind.Delete },
            { globPattern: '**/Kbuild', kind: WatchKind.Create | WatchKind.Change | WatchKind.Delete },
            { globPattern: '**/.kfunc-lsp.json', kind: WatchKind.Create | WatchKind.Change | WatchKind.Delete },
          ],
        });
        analysis.kbuildRecheckMs = Infinity;
      }
      if (support.configurationDynamic) await connection.client.register(DidChangeConfigurationNotification.type, { section: 'kfuncLsp' });
      if (support.workspaceFolders) {
        connection.workspace.onDidChangeWorkspaceFolders(
          guardNotification('didChangeWorkspaceFolders', async (e) => {
            pendingSettings++;
            try {
              await foldersChanged(e);
            } finally {
              pendingSettings--;
            }
          }),
        );
      }
      await fetchSettings();
      analysis.reconfigure();
      for (const f of analysis.folders) void indexer.index(f);
      started = true;
    }),
  );

  connection.onDidChangeConfiguration(
    guardNotification('didChangeConfiguration', async (params) => {
      if (!support.configuration) initSettings = params.settings ?? {};
      await settingsChanged();
    }),
  );

  // ---- documents ----------------------------------------------------------------------------------------------
  connection.onDidOpenTextDocument(
    guardNotification('didOpen', (p) => {
      const d = analysis.open(p.textDocument.uri, p.textDocument.languageId, p.textDocument.version, p.textDocument.text);
      publisher.schedule(d.path, 0);
    }),
  );
  const idleTimers = new Map<string, NodeJS.Timeout>();
  const idleReparseMs = options.idleReparseMs ?? DEFAULT_IDLE_REPARSE_MS;
  connection.onDidChangeTextDocument(
    guardNotification('didChange', (p) => {
      const d = analysis.change(p.textDocument.uri, p.contentChanges, p.textDocument.version ?? 0);
      if (!d) return;
      publisher.schedule(d.path);
      clearTimeout(idleTimers.get(d.uri));
      idleTimers.set(
        d.uri,
        setTimeout(() => {
          idleTimers.delete(d.uri);
          // A full reparse in slices (requests and edits are served in between).
          analysis.canonicalize(d).then(
            (changed) => {
              if (changed) publisher.schedule(d.path, 0);
            },
            (e) => log(`reparse of ${d.path} failed: ${(e as Error).stack ?? e}`),
          );
        }, idleReparseMs),
      );
    }),
  );
  connection.onDidCloseTextDocument(
    guardNotification('didClose', (p) => {
      const d = analysis.close(p.textDocument.uri);
      clearTimeout(idleTimers.get(p.textDocument.uri));
      idleTimers.delete(p.textDocument.uri);
      if (!d) return;
      // Back to the disk copy (the editor may have discarded unsaved changes).
      if (d.inIndex && analysis.readable(d.path)) {
        const buf = readSourceFile(d.path, analysis.unitFor(d.path).settings.index.maxFileSizeKB);
        if (buf) analysis.indexDiskFile(d.path, buf);
        else analysis.removeDiskFile(d.path);
      }
      publisher.schedule(undefined, 0);
    }),
  );

  connection.onDidChangeWatchedFiles(
    guardNotification('didChangeWatchedFiles', async (params: DidChangeWatchedFilesParams) => {
      let kernelChanged = false;
      let settingsFile = false;
      for (const change of params.changes) {
        if (!isFileUri(change.uri)) continue;
        const file = uriToPath(change.uri);
        const base = path.basename(file);
        if (base === 'Makefile' || base === 'Kbuild' || file.endsWith(`${path.sep}include${path.sep}linux${path.sep}btf.h`)) kernelChanged = true;
        if (base === '.kfunc-lsp.json') settingsFile = true;
        if (!/\.[ch]$/.test(base) || analysis.isOpen(file) || !analysis.folderOf(file)) continue;
        if (change.type === FileChangeType.Deleted || !analysis.readable(file)) {
          analysis.removeDiskFile(file);
          continue;
        }
        const unit = analysis.unitFor(file);
        if (analysis.isExcluded(file, unit)) continue;
        const buf = readSourceFile(file, unit.settings.index.maxFileSizeKB);
        if (!buf) {
          analysis.removeDiskFile(file);
          continue;
        }
        analysis.indexDiskFile(file, buf);
        if (file.endsWith('.h')) analysis.headerChanged(file);
      }
      if (settingsFile) await settingsChanged();
      else if (kernelChanged) analysis.kernelFilesChanged();
      publisher.schedule(undefined, 0);
    }),
  );

  // ---- requests -----------------------------------------------------------------------------------------------
  connection.onHover(
    guard('hover', null, (p) => {
      publisher.ensureFresh(); // the hover lists the kfunc's current diagnostics
      return hover(analysis, p);
    }),
  );
  connection.onDefinition(guard('definition', null, (p) => definition(analysis, p)));
  connection.onReferences(guard('references', null, (p, token) => references(analysis, p, token)));
  connection.onCompletion(guard('completion', null, (p) => completion(analysis, p)));
  connection.onCompletionResolve((item) => {
    try {
      return resolveCompletion(analysis, item);
    } catch (e) {
      log(`completionResolve failed: ${(e as Error).stack ?? e}`);
      return item;
    }
  });
  connection.onCodeAction(guard('codeAction', null, (p) => codeActions(analysis, publisher, p)));
  connection.onDocumentSymbol(guard('documentSymbol', null, (p) => documentSymbols(analysis, p, support.hierarchicalSymbols)));
  connection.onWorkspaceSymbol(guard('workspaceSymbol', [], (p, token) => workspaceSymbols(analysis, p, token)));
  connection.onCodeLens(guard('codeLens', null, (p) => codeLenses(analysis, p)));
  const FileProtosRequest = new RequestType<FileProtosParams, FileProtosResult | null, void>(FILE_PROTOS_METHOD);
  const StatusRequest = new RequestType0<StatusResult, void>(STATUS_METHOD);
  connection.onRequest(FileProtosRequest, guard('fileProtos', null, (p) => fileProtos(analysis, p)));
  connection.onRequest(StatusRequest, (): StatusResult => {
    analysis.sync();
    return {
      pid: process.pid,
      version: VERSION,
      indexing: !started || pendingSettings > 0 || indexer.busy,
      folders: [...indexer.stats.values()],
      units: analysis.allUnits().map((u) => ({
        root: u.root,
        kernelVersion: formatVersion(u.index.kernel.version),
        versionSource: u.index.kernel.versionSource,
        files: u.index.size,
        kfuncs: u.index.model.kfuncs.size,
        complete: u.complete,
      })),
      openDocuments: analysis.docs.size,
      trees: analysis.trees.size,
      parses: { ...analysis.trees.stats },
      diagnosticsDelayMs: publisher.delayMs,
      diagnosticsTiming: {
        flushes: publisher.timing.flushes,
        lastFlushMs: publisher.timing.lastFlushMs,
        editToPublishMs: [...publisher.timing.editToPublishMs],
      },
      memory: process.memoryUsage(),
    };
  });

  connection.onShutdown(() => {
    shuttingDown = true;
    for (const t of idleTimers.values()) clearTimeout(t);
    idleTimers.clear();
    for (const f of analysis.folders) indexer.stop(f);
    analysis.trees.clear();
  });

  process.on('uncaughtException', (e) => {
    if (!shuttingDown) log(`uncaught exception (the server keeps running): ${e.stack ?? e}`);
  });
  process.on('unhandledRejection', (e) => {
    if (!shuttingDown) log(`unhandled rejection (the server keeps running): ${(e as Error)?.stack ?? e}`);
  });

  connection.listen();
}

/** Entry point for `kfunc-lsp --stdio | --node-ipc | --socket=N` (vscode-languageserver reads the flag from argv). */
export function runServer(options: ServerOptions = {}): void {
  startServer(createConnection(ProposedFeatures.all), {
    // KFUNC_LSP_DIAGNOSTICS_DELAY_MS (alias KFUNC_LSP_DEBOUNCE_MS): the debounce in ms; 0 recomputes right after
    // each edit (scripts/bench-lsp.ts measures the edit path that way).
    diagnosticsDelayMs: envMs('KFUNC_LSP_DIAGNOSTICS_DELAY_MS') ?? envMs('KFUNC_LSP_DEBOUNCE_MS') ?? options.diagnosticsDelayMs,
    idleReparseMs: envMs('KFUNC_LSP_IDLE_REPARSE_MS') ?? options.idleReparseMs,
  });
}
