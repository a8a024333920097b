/**
 * Runs scanFile over many files: in worker threads (one per core) when the bundled CLI/server registered its own
 * script as the worker entry, otherwise in this thread in short slices. Results come back per batch, in order.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { initParser } from '../parse/treeSitter';
import { type ScanOptions, type ScanResult, scanFile } from './scanFile';

const ROLE = 'kfunc-lsp-scan-worker';

export type BatchResult = Array<[string, ScanResult]>;

export interface ScanPool {
  /** Scans a batch; batches may be submitted while earlier ones run. */
  submit(files: string[], opts: ScanOptions): Promise<BatchResult>;
  readonly threads: number;
  close(): Promise<void>;
}

let workerScript: string | undefined;

/** Called by the bundled entry point (dist/cli.js): the same file can then run as a scan worker. */
export function setScanWorkerScript(file: string): void {
  workerScript = file;
}

/** True inside a scan worker thread (the entry point then runs runScanWorker instead of the CLI). */
export function isScanWorker(): boolean {
  return !isMainThread && (workerData as { role?: string } | null)?.role === ROLE;
}

export function runScanWorker(): void {
  const ready = initParser();
  parentPort!.on('message', async (msg: { id: number; files: string[]; opts: ScanOptions }) => {
    await ready;
    const results: BatchResult = msg.files.map((f) => {
      try {
        return [f, scanFile(f, msg.opts)];
      } catch (e) {
        return [f, { kind: 'skipped', reason: `internal error: ${(e as Error).message}` }];
      }
    });
    parentPort!.postMessage({ id: msg.id, results });
  });
}

/** Scans in this thread, yielding to the event loop between files so a server stays responsive. */
class InThreadPool implements ScanPool {
  readonly threads = 1;
  private queue: Promise<unknown> = Promise.resolve();
  submit(files: string[], opts: ScanOptions): Promise<BatchResult> {
    const run = this.queue.then(async () => {
      await initParser();
      const out: BatchResult = [];
      let slice = performance.now();
      for (const f of files) {
        out.push([f, scanFile(f, opts)]);
        if (performance.now() - slice > 10) {
          await new Promise<void>((r) => setImmediate(r));
          slice = performance.now();
        }
      }
      return out;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
  async close(): Promise<void> {}
}

interface Pending {
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
}

/** Worker threads, started on the first batch (a run served from the facts cache needs none). */
class WorkerPool implements ScanPool {
  private workers: Array<{ worker: Worker; outstanding: number }> = [];
  private readonly pending = new Map<number, Pending & { slot: number }>();
  private nextId = 0;

  constructor(
    private readonly script: string,
    readonly threads: number,
  ) {}

  private start(): void {
    this.workers = Array.from({ length: this.threads }, (_, slot) => {
      const worker = new Worker(this.script, { workerData: { role: ROLE } });
      const entry = { worker, outstanding: 0 };
      // An idle worker must not keep the process alive; a busy one must (its results are awaited).
      worker.unref();
      worker.on('message', (msg: { id: number; results: BatchResult }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (--entry.outstanding === 0) worker.unref();
        p.resolve(msg.results);
      });
      worker.on('error', (e) => this.failAll(slot, e));
      worker.on('exit', (code) => this.failAll(slot, new Error(`scan worker exited with code ${code}`)));
      return entry;
    });
  }

  private failAll(slot: number, e: Error): void {
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      p.reject(e);
    }
  }

  submit(files: string[], opts: ScanOptions): Promise<BatchResult> {
    if (this.workers.length === 0) this.start();
    let slot = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.workers[i].outstanding < this.workers[slot].outstanding) slot = i;
    const id = this.nextId++;
    if (this.workers[slot].outstanding++ === 0) this.workers[slot].worker.ref();
    return new Promise<BatchResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      this.workers[slot].worker.postMessage({ id, files, opts });
    });
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}

/** A pool of one worker per core, or an in-thread scanner where workers are unavailable (tests, scripts). */
export function createScanPool(threads = availableParallelism()): ScanPool {
  if (!workerScript || threads < 2 || process.env.KFUNC_LSP_NO_WORKERS) return new InThreadPool();
  return new WorkerPool(workerScript, threads);
}
