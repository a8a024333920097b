// `npm run bench`: the performance targets of kfunc-lsp on Debian's linux-source-6.12 (downloaded into the cache
// folder on first use), each against `rg -l` for the same markers measured in the same run. Prints a table of medians
// (and p95 where latency matters) and writes bench-results/latest.json (plus a dated copy) for comparing commits.
//   node scripts/run-ts.mjs scripts/bench.ts [--runs N] [--skip-lsp] [--skip-scale]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LspClient } from '../test/lsp/lspClient';
import { measureLatencies, median, SERVER_NODE_ARGS, settle } from './bench-lsp';

const repo = path.resolve(__dirname, '..', '..');
const cli = path.join(repo, 'dist/cli.js');
const RUNS = Number(argValue('--runs') ?? 5);

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

/** Wall time of a command, in ms (output discarded). */
function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = repo): number {
  const t0 = performance.now();
  const res = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (res.status !== 0 && res.status !== 1) throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status}`);
  return ms;
}

function runs(n: number, f: () => number): number[] {
  return Array.from({ length: n }, f);
}

const RG_ARGS = ['-l', '-e', '__bpf_kfunc', '-e', 'BTF_ID_FLAGS', '-e', 'BTF_KFUNCS_START', '-e', 'BTF_SET8_START', '-g', '*.[ch]'];

function ensureRipgrep(): void {
  if (spawnSync('rg', ['--version']).status === 0) return;
  console.log('installing ripgrep (apt)');
  execFileSync('apt-get', ['install', '-y', '-qq', 'ripgrep'], { stdio: 'inherit' });
}

function rgTime(dirs: string[]): number[] {
  return runs(RUNS, () => timeCommand('rg', [...RG_ARGS, ...dirs]));
}

/** `protos --json` end to end: without the facts cache (every file read), and with it warm (files only stat'ed). */
function protosTimes(dirs: string[]): { cold: number[]; warm: number[] } {
  const cacheDir = path.join(os.tmpdir(), `kfunc-lsp-bench-cache-${process.pid}`);
  const env = { ...process.env, KFUNC_LSP_CACHE: cacheDir };
  const cold = runs(RUNS, () => timeCommand(process.execPath, [cli, 'protos', '--json', '--no-cache', ...dirs], env));
  timeCommand(process.execPath, [cli, 'protos', '--json', ...dirs], env); // fill the cache
  const warm = runs(RUNS, () => timeCommand(process.execPath, [cli, 'protos', '--json', ...dirs], env));
  rmSync(cacheDir, { recursive: true, force: true });
  return { cold, warm };
}

interface LspIndexSample {
  initializeMs: number;
  indexMs: number;
  rssMB: number;
}

/** initialize answered, initialize → indexing progress `end`, resident memory after indexing. */
async function lspIndex(tree: string, env: NodeJS.ProcessEnv): Promise<LspIndexSample> {
  const t0 = performance.now();
  const { client } = await LspClient.start({ folders: [tree], env, nodeArgs: SERVER_NODE_ARGS });
  const initializeMs = performance.now() - t0;
  await client.waitIndexed(600_000);
  const end = client.progressLog.find((p) => p.params.value.kind === 'end');
  const indexMs = (end ? end.at : performance.now()) - t0;
  await settle();
  const status = await client.request<{ memory?: { rss: number } }>('kfuncLsp/status');
  await client.shutdown();
  return { initializeMs, indexMs, rssMB: (status.memory?.rss ?? 0) / (1 << 20) };
}

/** C files under `dirs` (as rg lists them). */
function countFiles(dirs: string[]): number {
  const out = spawnSync('rg', ['--files', '-g', '*.[ch]', ...dirs], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
  return out.split('\n').filter(Boolean).length;
}

/** About half the tree: every other second-level directory (arch/arm, arch/x86, drivers/net, ...), by name. */
function halfTree(src: string): string[] {
  const second: string[] = [];
  for (const top of readdirSync(src, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    for (const sub of readdirSync(path.join(src, top), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
      second.push(path.join(src, top, sub));
    }
  }
  return second.filter((_, i) => i % 2 === 0);
}

/** Two copies of the tree side by side (hard links: same bytes, same page cache). */
function doubleTree(src: string): string {
  const dir = path.join(path.dirname(src), 'double');
  if (!existsSync(path.join(dir, 'b', 'Makefile'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    console.log('making two hard-linked copies of the tree (once)');
    execFileSync('cp', ['-al', src, path.join(dir, 'a')]);
    execFileSync('cp', ['-al', src, path.join(dir, 'b')]);
  }
  return dir;
}

async function main(): Promise<void> {
  const cacheRoot = execFileSync('bash', [path.join(repo, 'scripts/fetch-kernel.sh'), '6.12'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const src = path.join(cacheRoot, 'src');
  ensureRipgrep();
  if (!existsSync(cli)) execFileSync(process.execPath, [path.join(repo, 'scripts/build.mjs')], { stdio: 'inherit' });
  const results: Record<string, unknown> = { date: new Date().toISOString(), machine: `${os.cpus().length} cpus, ${Math.round(os.totalmem() / 2 ** 30)} GiB`, runs: RUNS };

  // Warm the page cache once.
  timeCommand('rg', [...RG_ARGS, src]);
  const rg = rgTime([src]);
  const protos = protosTimes([src]);
  results.tree = { rgMs: rg, protosColdMs: protos.cold, protosWarmMs: protos.warm };

  const lines: string[] = [];
  const row = (what: string, value: string, target: string, ok: boolean | null) =>
    lines.push(`| ${what} | ${value} | ${target} | ${ok === null ? '' : ok ? 'met' : 'not met'} |`);
  const rgMed = median(rg);
  row('`rg -l` for the markers, whole tree', `${rgMed.toFixed(0)} ms`, '(reference)', null);
  row('`protos --json`, whole tree, no facts cache', `${median(protos.cold).toFixed(0)} ms = ${(median(protos.cold) / rgMed).toFixed(2)} × rg`, '≤ 1.5 × rg', median(protos.cold) <= 1.5 * rgMed);
  row('`protos --json`, whole tree, facts cache warm', `${median(protos.warm).toFixed(0)} ms = ${(median(protos.warm) / rgMed).toFixed(2)} × rg`, '≤ 1.5 × rg', median(protos.warm) <= 1.5 * rgMed);

  if (!process.argv.includes('--skip-lsp')) {
    const cacheDir = path.join(os.tmpdir(), `kfunc-lsp-bench-lsp-${process.pid}`);
    const cold: LspIndexSample[] = [];
    for (let i = 0; i < RUNS; i++) cold.push(await lspIndex(src, { ...process.env, KFUNC_LSP_NO_CACHE: '1' }));
    await lspIndex(src, { ...process.env, KFUNC_LSP_CACHE: cacheDir });
    const warm: LspIndexSample[] = [];
    for (let i = 0; i < RUNS; i++) warm.push(await lspIndex(src, { ...process.env, KFUNC_LSP_CACHE: cacheDir }));
    rmSync(cacheDir, { recursive: true, force: true });
    results.lspIndex = { cold, warm };
    const m = (xs: LspIndexSample[], k: keyof LspIndexSample) => median(xs.map((x) => x[k]));
    row('server: `initialize` answered', `${m(cold, 'initializeMs').toFixed(0)} ms`, '≤ 200 ms', m(cold, 'initializeMs') <= 200);
    row('server: `initialize` → indexing `end`, no facts cache', `${m(cold, 'indexMs').toFixed(0)} ms = ${(m(cold, 'indexMs') / rgMed).toFixed(2)} × rg`, '≤ 2 × rg', m(cold, 'indexMs') <= 2 * rgMed);
    row('server: `initialize` → indexing `end`, facts cache warm', `${m(warm, 'indexMs').toFixed(0)} ms = ${(m(warm, 'indexMs') / rgMed).toFixed(2)} × rg`, '≤ 2 × rg', m(warm, 'indexMs') <= 2 * rgMed);
    row('server: resident memory after indexing the whole tree', `${m(cold, 'rssMB').toFixed(0)} MB`, '≤ 150 MB', m(cold, 'rssMB') <= 150);

    const lat = await measureLatencies({ tree: src, rounds: 60, repeats: RUNS });
    results.lspLatency = lat;
    for (const [name, s] of Object.entries(lat.requests)) {
      row(`${name} (median / p95)`, `${s.median.toFixed(1)} / ${s.p95.toFixed(1)} ms`, 'p95 ≤ 5 ms', s.p95 <= 5);
    }
    row('edit in filter.c → republished diagnostics, server side, no debounce (median / p95)', `${lat.editServer.median.toFixed(1)} / ${lat.editServer.p95.toFixed(1)} ms`, 'p95 ≤ 20 ms', lat.editServer.p95 <= 20);
    row('the same seen by the client (didChange sent → publishDiagnostics received)', `${lat.edit.median.toFixed(1)} / ${lat.edit.p95.toFixed(1)} ms`, '', null);
    row('open filter.c cold → first diagnostics', `${lat.coldOpenMs.toFixed(0)} ms`, '≤ 1 s', lat.coldOpenMs <= 1000);
  }

  if (!process.argv.includes('--skip-scale')) {
    const half = halfTree(src);
    const double = doubleTree(src);
    const scale = {
      half: { files: countFiles(half), rg: median(rgTime(half)), protos: median(protosTimes(half).cold) },
      full: { files: countFiles([src]), rg: rgMed, protos: median(protos.cold) },
      double: { files: countFiles([double]), rg: median(rgTime([double])), protos: median(protosTimes([double]).cold) },
    };
    results.scale = scale;
    for (const [name, s] of Object.entries(scale)) {
      row(`scale: ${name} tree, ${s.files} C files (\`protos --json\`, no cache)`, `${s.protos.toFixed(0)} ms, rg ${s.rg.toFixed(0)} ms`, 'linear', null);
    }
  }

  console.log('| what | measured (median of ' + RUNS + ') | target | |');
  console.log('|---|---|---|---|');
  for (const l of lines) console.log(l);
  const outDir = path.join(repo, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify(results, null, 2);
  writeFileSync(path.join(outDir, 'latest.json'), json);
  writeFileSync(path.join(outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`), json);
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
