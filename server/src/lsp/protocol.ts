/**
 * Custom requests between the kfunc-lsp server and its clients (the VS Code extension, tests). Method names and
 * types only: each side builds its RequestType from its own protocol package.
 */

export interface FileProtosParams {
  /** The document whose kfuncs to show. */
  uri: string;
}

export interface FileProtosResult {
  /** C text: the vmlinux.h lines of the file's kfuncs. */
  content: string;
  /** A file name for the virtual document (`helpers.bpf.h`). */
  name: string;
  kfuncs: number;
}

export const FILE_PROTOS_METHOD = 'kfuncLsp/fileProtos';

export interface StatusResult {
  pid: number;
  version: string;
  /** Workspace folders still being indexed. */
  indexing: boolean;
  folders: Array<{ folder: string; found: number; parsed: number; skipped: number; ms: number; complete: boolean }>;
  units: Array<{ root: string | null; kernelVersion: string; versionSource: string; files: number; kfuncs: number; complete: boolean }>;
  openDocuments: number;
  trees: number;
  parses: { full: number; incremental: number; timeouts: number };
  diagnosticsDelayMs: number;
  /** Diagnostics runs: count, duration of the last, and recent edit → publication times (ms, newest last). */
  diagnosticsTiming?: { flushes: number; lastFlushMs: number; editToPublishMs: number[] };
  /** process.memoryUsage() of the server, in bytes. */
  memory?: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}

/** State for tests and troubleshooting (also tells a client when the background index is complete). */
export const STATUS_METHOD = 'kfuncLsp/status';
