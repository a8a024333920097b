/**
 * Language-server latency and memory on real kernel files: drives the BUILT server (`node dist/cli.js --stdio`)
 * over the protocol with the whole Debian 6.12 tree as the workspace folder.
 *   node scripts/run-ts.mjs scripts/bench-lsp.ts [--tree DIR] [--rounds N] [--repeats N]
 *
 * Each repeat starts a fresh server with KFUNC_LSP_DIAGNOSTICS_DELAY_MS=0 (no debounce: diagnostics are recomputed
 * right after each edit), waits for the background index, and measures:
 *  - resident memory after indexing, settled 0.5 s (the server's own process.memoryUsage(), from `kfuncLsp/status`);
 *  - open net/core/filter.c cold (never opened in this server) → its first publishDiagnostics;
 *  - hover, definition and code action round trips on net/core/filter.c and kernel/bpf/helpers.c (every kfunc
 *    name in a BTF_ID_FLAGS entry and definition, plus a KF_* flag; code actions on an entry given a diagnostic
 *    with a fix);
 *  - edit in filter.c → republished diagnostics for that version: measured by the client (didChange sent →
 *    publishDiagnostics received) and by the server (didChange received → publication; `kfuncLsp/status`). Two
 *    kinds of edit alternate: flags added to / removed from a set entry near the end of the file (facts change, the
 *    rules have something new to say), and a line added to / removed from a function body near the top (every
 *    later position moves).
 * Latencies are pooled over the repeats (median and p95 of all samples); cold open and memory are the median of
 * the repeats. Prints a table and writes bench-results/lsp.json. `measureLatencies` is what `npm run bench` calls.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { CodeAction, Hover, Location, Position } from 'vscode-languageserver-protocol';
import { ensureBuilt } from '../test/lsp/ensureBuilt';
import { LspClient, positionOf, REPO } from '../test/lsp/lspClient';

export interface Stats {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, median: NaN, p95: NaN, min: NaN, max: NaN };
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { n: s.length, median: at(0.5), p95: at(0.95), min: s[0], max: s[s.length - 1] };
}

export function median(xs: number[]): number {
  return stats(xs).median;
}

export interface LatencyOptions {
  /** The kernel tree (workspace folder). */
  tree: string;
  /** Requests per kind and file, and edits, per repeat (default 60). */
  rounds?: number;
  /** Fresh servers to measure with (default 5). */
  repeats?: number;
  log?: (line: string) => void;
}

export interface LatencyResult {
  /** `hover filter.c`, `definition helpers.c`, `code action filter.c`, ...: round trips pooled over the repeats. */
  requests: Record<string, Stats>;
  /** Edit in filter.c → publishDiagnostics of that version, no debounce, measured by the client. */
  edit: Stats;
  /** The same measured inside the server (didChange received → diagnostics sent). */
  editServer: Stats;
  /** Per kind of edit (client side). */
  editKinds: Record<string, Stats>;
  /** Open filter.c in a fresh, indexed server → first diagnostics: median of the repeats, and each. */
  coldOpenMs: number;
  coldOpenRuns: number[];
  /** Resident memory of the server after indexing the whole tree (before opening anything): median, each. */
  rssAfterIndexMB: number;
  rssAfterIndexRuns: number[];
  /** Heap used after indexing (MB, median). */
  heapAfterIndexMB: number;
  /** Resident memory at the end of a repeat (filter.c and helpers.c open, all requests done), median. */
  rssAfterBenchMB: number;
  /** initialize → index complete (status), median. */
  indexMs: number;
  repeats: number;
  rounds: number;
  files: Record<string, { kb: number; lines: number }>;
}

const MB = 1 << 20;

/** How the VS Code extension starts the server (client/src/extension.ts). */
export const SERVER_NODE_ARGS = ['--expose-gc', '--max-semi-space-size=4'];

/** Memory is read once the server has settled after indexing (worker threads gone, garbage collected): 0.5 s. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 500));
}

interface Status {
  folders: Array<{ found: number; parsed: number }>;
  units: Array<{ kfuncs: number }>;
  parses: { full: number; incremental: number };
  diagnosticsTiming?: { editToPublishMs: number[] };
  memory?: { rss: number; heapUsed: number };
}

/** Positions to ask about: kfunc names in BTF_ID_FLAGS entries and `__bpf_kfunc` definitions, and a KF_* flag. */
function targetsIn(text: string, max = 24): Position[] {
  const out: Position[] = [];
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const pos = (offset: number): Position => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - lineStarts[lo] };
  };
  const entries = [...text.matchAll(/BTF_ID_FLAGS\(func, (\w+)/g)].map((m) => m.index + m[0].length - m[1].length + 2);
  const defs = [...text.matchAll(/^__bpf_kfunc [^(\n]*?\b(\w+)\(/gm)].map((m) => m.index + m[0].length - 1 - m[1].length + 2);
  // Interleave definitions and entries, spread over the file.
  const pick = (xs: number[], n: number) => (xs.length <= n ? xs : Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]));
  for (const o of [...pick(defs, max / 2), ...pick(entries, max / 2)]) out.push(pos(o));
  const flag = text.indexOf('KF_RET_NULL');
  if (flag !== -1) out.push(pos(flag + 3));
  return out;
}

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
}

/** One fresh server: every measurement once. */
async function oneRepeat(tree: string, rounds: number, samples: Record<string, number[]>, log: (l: string) => void) {
  const filter = path.join(tree, 'net/core/filter.c');
  const helpers = path.join(tree, 'kernel/bpf/helpers.c');
  const t0 = performance.now();
  // Started as the VS Code extension starts it.
  const { client } = await LspClient.start({ folders: [tree], env: { KFUNC_LSP_DIAGNOSTICS_DELAY_MS: '0' }, nodeArgs: SERVER_NODE_ARGS });
  const add = (key: string, ms: number) => (samples[key] ??= []).push(ms);
  try {
    await client.waitIndexed(600_000);
    const indexMs = performance.now() - t0;
    await settle();
    const indexed = await client.request<Status>('kfuncLsp/status');
    log(
      `  indexed ${indexed.folders[0]?.found} C files (${indexed.folders[0]?.parsed} parsed, ${indexed.units.reduce((n, u) => n + u.kfuncs, 0)} kfuncs) ` +
        `in ${(indexMs / 1000).toFixed(1)} s; rss ${((indexed.memory?.rss ?? 0) / MB).toFixed(0)} MB`,
    );

    // Cold open: filter.c was never opened in this server.
    const open = await timed(async () => {
      const uri = await client.open(filter);
      await client.diagnosticsFor(uri, () => true, 60_000);
      return uri;
    });
    const filterUri = open.value;
    const helpersUri = await client.open(helpers);
    await client.diagnosticsFor(helpersUri, () => true, 60_000);

    for (const [label, uri] of [
      ['filter.c', filterUri],
      ['helpers.c', helpersUri],
    ] as const) {
      const text = client.text(uri);
      const targets = targetsIn(text);
      for (let i = 0; i < rounds; i++) {
        const position = targets[i % targets.length];
        const h = await timed(() => client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position }));
        add(`hover ${label}`, h.ms);
        if (!h.value && i < targets.length) throw new Error(`no hover at ${label}:${position.line + 1}:${position.character + 1}`);
        const d = await timed(() => client.request<Location[] | null>('textDocument/definition', { textDocument: { uri }, position }));
        add(`definition ${label}`, d.ms);
      }
      // Code actions where there is a fix: separate flag arguments on an entry (flags-separate-args, "join with |").
      const anchor = label === 'filter.c' ? 'BTF_ID_FLAGS(func, bpf_dynptr_from_xdp' : 'BTF_ID_FLAGS(func, bpf_rbtree_first';
      const insertAt = positionOf(text, anchor, anchor.length);
      const inserted = ', KF_RCU, KF_RET_NULL';
      let version = client.nextVersion(uri);
      const withDiag = client.nextDiagnostics((p) => p.uri === uri && p.version === version, 60_000);
      await client.change(uri, [{ range: { start: insertAt, end: insertAt }, text: inserted }]);
      const diagnosed = await withDiag;
      const entryRange = { start: { line: insertAt.line, character: 0 }, end: { line: insertAt.line, character: 10 } };
      let offered = 0;
      for (let i = 0; i < rounds; i++) {
        const range = i % 2 === 0 ? entryRange : (diagnosed.diagnostics[0]?.range ?? entryRange);
        const a = await timed(() => client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [] } }));
        add(`code action ${label}`, a.ms);
        offered = Math.max(offered, a.value?.length ?? 0);
      }
      if (offered === 0) throw new Error(`no code action offered on ${label}`);
      version = client.nextVersion(uri);
      const cleared = client.nextDiagnostics((p) => p.uri === uri && p.version === version, 60_000);
      await client.change(uri, [{ range: { start: insertAt, end: { line: insertAt.line, character: insertAt.character + inserted.length } }, text: '' }]);
      await cleared;
    }

    // Edits in filter.c, one at a time, each waiting for its diagnostics.
    const text = client.text(filterUri);
    const entryAt = positionOf(text, 'BTF_ID_FLAGS(func, bpf_dynptr_from_xdp', 'BTF_ID_FLAGS(func, bpf_dynptr_from_xdp'.length);
    const flags = ', KF_RCU, KF_RET_NULL';
    // A line into the body of the first function definition after the includes (line ~100 of 12 000).
    const bodyAt = positionOf(text, '\n{\n', 3, 0);
    const line = '\tbarrier();\n';
    const before = (await client.request<Status>('kfuncLsp/status')).diagnosticsTiming?.editToPublishMs.length ?? 0;
    for (let i = 0; i < rounds; i++) {
      const kind = i % 4 < 2 ? 'entry flags' : 'body line';
      const adding = i % 2 === 0;
      const at = kind === 'entry flags' ? entryAt : bodyAt;
      const inserted = kind === 'entry flags' ? flags : line;
      const change = adding
        ? { range: { start: at, end: at }, text: inserted }
        : {
            range: { start: at, end: kind === 'entry flags' ? { line: at.line, character: at.character + inserted.length } : { line: at.line + 1, character: at.character } },
            text: '',
          };
      const version = client.nextVersion(filterUri);
      const published = client.nextDiagnostics((p) => p.uri === filterUri && p.version === version, 60_000);
      const t = performance.now();
      await client.change(filterUri, [change]);
      const p = await published;
      const ms = performance.now() - t;
      add('edit', ms);
      add(`edit: ${kind}`, ms);
      if (kind === 'entry flags' && i < 2) {
        const separate = p.diagnostics.some((d) => d.code === 'flags-separate-args');
        if (separate !== adding) log(`  note: flags-separate-args ${separate ? 'present' : 'absent'} after ${adding ? 'adding' : 'removing'} the flags`);
      }
    }
    if (client.text(filterUri) !== readFileSync(filter, 'utf8')) throw new Error('the edits did not restore filter.c');
    const after = await client.request<Status>('kfuncLsp/status');
    for (const ms of after.diagnosticsTiming?.editToPublishMs.slice(before) ?? []) add('edit (server)', ms);
    return {
      indexMs,
      coldOpenMs: open.ms,
      rssAfterIndexMB: (indexed.memory?.rss ?? 0) / MB,
      heapAfterIndexMB: (indexed.memory?.heapUsed ?? 0) / MB,
      rssAfterBenchMB: (after.memory?.rss ?? 0) / MB,
      parses: after.parses,
    };
  } finally {
    await client.shutdown();
  }
}

/** Every measurement, `repeats` times with a fresh server each time (see the module comment). */
export async function measureLatencies(options: LatencyOptions): Promise<LatencyResult> {
  const rounds = options.rounds ?? 60;
  const repeats = options.repeats ?? 5;
  const log = options.log ?? ((l: string) => console.log(l));
  await ensureBuilt();
  const samples: Record<string, number[]> = {};
  const runs: Array<Awaited<ReturnType<typeof oneRepeat>>> = [];
  for (let r = 0; r < repeats; r++) {
    log(`repeat ${r + 1}/${repeats}`);
    runs.push(await oneRepeat(options.tree, rounds, samples, log));
  }
  const requests: Record<string, Stats> = {};
  for (const kind of ['hover', 'definition', 'code action']) {
    for (const file of ['filter.c', 'helpers.c']) requests[`${kind} ${file}`] = stats(samples[`${kind} ${file}`] ?? []);
  }
  const files: LatencyResult['files'] = {};
  for (const rel of ['net/core/filter.c', 'kernel/bpf/helpers.c']) {
    const text = readFileSync(path.join(options.tree, rel), 'utf8');
    files[rel] = { kb: Math.round(text.length / 1024), lines: text.split('\n').length };
  }
  return {
    requests,
    edit: stats(samples.edit ?? []),
    editServer: stats(samples['edit (server)'] ?? []),
    editKinds: { 'entry flags': stats(samples['edit: entry flags'] ?? []), 'body line': stats(samples['edit: body line'] ?? []) },
    coldOpenMs: median(runs.map((r) => r.coldOpenMs)),
    coldOpenRuns: runs.map((r) => r.coldOpenMs),
    rssAfterIndexMB: median(runs.map((r) => r.rssAfterIndexMB)),
    rssAfterIndexRuns: runs.map((r) => r.rssAfterIndexMB),
    heapAfterIndexMB: median(runs.map((r) => r.heapAfterIndexMB)),
    rssAfterBenchMB: median(runs.map((r) => r.rssAfterBenchMB)),
    indexMs: median(runs.map((r) => r.indexMs)),
    repeats,
    rounds,
    files,
  };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main() {
  const tree = arg('tree') ?? path.join(process.env.KFUNC_LSP_CACHE ?? path.join(os.homedir(), '.cache/kfunc-lsp'), '6.12/src');
  if (!existsSync(path.join(tree, 'net/core/filter.c'))) {
    console.log(`fetching Debian's linux-source-6.12 into ${path.dirname(tree)} (once)`);
    const res = spawnSync('bash', [path.join(REPO, 'scripts/fetch-kernel.sh'), '6.12'], { stdio: 'inherit' });
    if (res.status !== 0 || !existsSync(path.join(tree, 'net/core/filter.c'))) throw new Error(`no kernel tree at ${tree}`);
  }
  const result = await measureLatencies({ tree, rounds: Number(arg('rounds') ?? 60), repeats: Number(arg('repeats') ?? 5) });
  const row = (what: string, s: Stats, target: string) =>
    console.log(`${what.padEnd(34)} median ${fmt(s.median).padStart(9)}  p95 ${fmt(s.p95).padStart(9)}  max ${fmt(s.max).padStart(9)}  (n=${s.n})  ${target}`);
  console.log('');
  console.log(
    `${result.repeats} fresh servers, whole 6.12 tree indexed (median ${(result.indexMs / 1000).toFixed(1)} s); ` +
      Object.entries(result.files).map(([f, i]) => `${f} ${i.kb} KB/${i.lines} lines`).join(', ') +
      `; ${os.cpus().length} CPUs, Node ${process.version}`,
  );
  for (const [name, s] of Object.entries(result.requests)) row(name, s, 'target p95 ≤ 5 ms');
  row('edit → diagnostics (client)', result.edit, 'target p95 ≤ 20 ms (no debounce)');
  row('edit → diagnostics (server)', result.editServer, '');
  for (const [kind, s] of Object.entries(result.editKinds)) row(`  edit: ${kind} (client)`, s, '');
  console.log(`${'open filter.c cold → diagnostics'.padEnd(34)} median ${fmt(result.coldOpenMs)}  runs ${result.coldOpenRuns.map((x) => x.toFixed(0)).join(', ')} ms  target ≤ 1000 ms`);
  console.log(
    `${'RSS after indexing'.padEnd(34)} median ${result.rssAfterIndexMB.toFixed(0)} MB  runs ${result.rssAfterIndexRuns.map((x) => x.toFixed(0)).join(', ')} MB` +
      ` (heap used ${result.heapAfterIndexMB.toFixed(0)} MB; ${result.rssAfterBenchMB.toFixed(0)} MB at the end with both files open)  target ≤ 150 MB`,
  );
  mkdirSync(path.join(REPO, 'bench-results'), { recursive: true });
  const out = path.join(REPO, 'bench-results/lsp.json');
  writeFileSync(out, JSON.stringify({ tree, cpus: os.cpus().length, node: process.version, ...result }, null, 2));
  console.log(`(${path.relative(REPO, out)})`);
}

// Only when run as the script (run-ts.mjs bundles it as bench-lsp.<pid>.cjs), not when bench.ts imports it.
if (/(^|[\\/])bench-lsp\.[^\\/]*$/.test(process.argv[1] ?? '')) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
