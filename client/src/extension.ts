/**
 * The kfunc-lsp VS Code extension: starts the bundled language server (dist/cli.js, node-ipc) for C files and adds
 * two commands — "Show BPF prototypes of this file" (a read-only virtual C document filled by the server) and
 * "Restart server". It runs nothing from the workspace, so it declares support for untrusted workspaces.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  RequestType,
  RequestType0,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import {
  FILE_PROTOS_METHOD,
  type FileProtosParams,
  type FileProtosResult,
  STATUS_METHOD,
  type StatusResult,
} from '../../server/src/lsp/protocol';

const FileProtosRequest = new RequestType<FileProtosParams, FileProtosResult | null, void>(FILE_PROTOS_METHOD);
const StatusRequest = new RequestType0<StatusResult, void>(STATUS_METHOD);

/** URIs of the virtual documents: kfunc-lsp-protos:/helpers.bpf.h?<source document URI> */
export const PROTOS_SCHEME = 'kfunc-lsp-protos';

let client: LanguageClient | undefined;

/**
 * --expose-gc: the server collects the indexing garbage once the index is built (server/src/lsp/memory.ts).
 * A 4 MB young generation (semi-space) instead of 16 MB: about 20 MB less resident after indexing, for a little
 * more time in garbage collection per edit (`npm run bench` measures both).
 */
const SERVER_NODE_OPTIONS = ['--expose-gc', '--max-semi-space-size=4'];

function makeClient(context: vscode.ExtensionContext): LanguageClient {
  const module = context.asAbsolutePath(path.join('dist', 'cli.js'));
  // `serve` + the --node-ipc flag the client appends: the same binary as the CLI, in server mode.
  const options = { execArgv: [...SERVER_NODE_OPTIONS] };
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, args: ['serve'], options },
    debug: { module, transport: TransportKind.ipc, args: ['serve'], options },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'c' },
      { scheme: 'untitled', language: 'c' },
      // VS Code opens .h files as C++ unless told otherwise; kernel headers are C.
      { scheme: 'file', language: 'cpp', pattern: '**/*.h' },
    ],
    outputChannelName: 'kfunc-lsp',
    // The server registers its file watchers and configuration section itself.
  };
  return new LanguageClient('kfuncLsp', 'kfunc-lsp', serverOptions, clientOptions);
}

class ProtosProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const source = uri.query;
    if (!client || client.state !== State.Running) return '/* kfunc-lsp: the language server is not running. */\n';
    const result = await client.sendRequest(FileProtosRequest, { uri: source }, token);
    if (!result) return `/* kfunc-lsp: ${source} is not open in the language server (open it in an editor first). */\n`;
    return result.content;
  }
}

export interface KfuncLspApi {
  /** The server's state (pid, indexing progress): for tests and troubleshooting. */
  status(): Promise<StatusResult | undefined>;
  /** The running client, if any. */
  client(): LanguageClient | undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<KfuncLspApi> {
  const provider = new ProtosProvider();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(PROTOS_SCHEME, provider));

  context.subscriptions.push(
    vscode.commands.registerCommand('kfuncLsp.showBpfPrototypes', async (target?: vscode.Uri) => {
      const source = target instanceof vscode.Uri ? target : vscode.window.activeTextEditor?.document.uri;
      if (!source || source.scheme === PROTOS_SCHEME) {
        void vscode.window.showInformationMessage('kfunc-lsp: open a C file first.');
        return undefined;
      }
      const base = path.posix.basename(source.path).replace(/\.[ch]$/, '');
      const uri = vscode.Uri.from({ scheme: PROTOS_SCHEME, path: `/${base}.bpf.h`, query: source.toString() });
      provider.refresh(uri); // reopening shows current content
      const doc = await vscode.workspace.openTextDocument(uri);
      const shown = doc.languageId === 'c' ? doc : await vscode.languages.setTextDocumentLanguage(doc, 'c');
      await vscode.window.showTextDocument(shown, { preview: true, viewColumn: vscode.ViewColumn.Beside, preserveFocus: false });
      return shown;
    }),
    vscode.commands.registerCommand('kfuncLsp.restartServer', async () => {
      if (!client) {
        client = makeClient(context);
        await client.start();
      } else {
        await client.restart();
      }
      void vscode.window.setStatusBarMessage('kfunc-lsp: server restarted', 3000);
    }),
  );

  client = makeClient(context);
  await client.start();

  return {
    status: async () => (client && client.state === State.Running ? client.sendRequest(StatusRequest) : undefined),
    client: () => client,
  };
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
