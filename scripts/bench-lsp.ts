/**
 * Language-server latency on a real kernel file: drives the BUILT server (`node dist/cli.js --stdio`) over the
 * protocol with the whole Debian 6.12 tree as the workspace folder and net/core/filter.c (~340 KB) open.
 *   node scripts/run-ts.mjs scripts/bench-lsp.ts [--tree DIR] [--rounds N]
 * Prints: background index time; hover and code-action round-trip latency (median/p95); edit → republished
 * diagnostics (from sending didChange to receiving publishDiagnostics for that version; the server's debounce is
 * part of it and printed separately). Writes bench-results/lsp.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { CodeAction, Hover, Position } from 'vscode-languageserver-protocol';
import { ensureBuilt } from '../test/lsp/ensureBuilt';
import { LspClient, positionOf, REPO } from '../test/lsp/lspClient';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { n: s.length, median: at(0.5), p95: at(0.95), min: s[0], max: s[s.length - 1] };
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main() {
  const tree = arg('tree') ?? path.join(process.env.KFUNC_LSP_CACHE ?? path.join(os.homedir(), '.cache/kfunc-lsp'), '6.12/src');
  const rounds = Number(arg('rounds') ?? 60);
  const file = path.join(tree, 'net/core/filter.c');
  if (!existsSync(file)) {
    console.log(`fetching Debian's linux-source-6.12 into ${path.dirname(tree)} (once)`);
    const res = spawnSync('bash', [path.join(REPO, 'scripts/fetch-kernel.sh'), '6.12'], { stdio: 'inherit' });
    if (res.status !== 0 || !existsSync(file)) throw new Error(`no ${file}`);
  }
  await ensureBuilt();

  const t0 = performance.now();
  const { client } = await LspClient.start({ folders: [tree] });
  await client.waitIndexed(600_000);
  const indexMs = performance.now() - t0;
  const status = await client.request<{ units: Array<{ files: number; kfuncs: number }>; folders: Array<{ found: number; parsed: number }>; diagnosticsDelayMs: number }>('kfuncLsp/status');
  console.log(`indexed ${status.folders[0].found} C files, ${status.folders[0].parsed} parsed, ${status.units.reduce((n, u) => n + u.kfuncs, 0)} kfuncs in ${(indexMs / 1000).toFixed(1)} s`);

  let t = performance.now();
  const uri = await client.open(file);
  const first = await client.diagnosticsFor(uri, () => true, 60_000);
  const openMs = performance.now() - t;
  console.log(`open filter.c → first diagnostics: ${fmt(openMs)} (${first.diagnostics.length} diagnostics)`);
  const text = client.text(uri);

  // Hover targets: every kfunc name (definitions and BTF_ID_FLAGS entries) and flag in the file.
  const targets: Position[] = [];
  for (const name of ['bpf_dynptr_from_skb', 'bpf_dynptr_from_xdp', 'bpf_sock_addr_set_sun_path', 'bpf_sk_assign_tcp_reqsk', 'bpf_sock_destroy']) {
    targets.push(positionOf(text, `__bpf_kfunc int ${name}(`, 16 + 3));
    targets.push(positionOf(text, `BTF_ID_FLAGS(func, ${name}`, 19 + 3));
  }
  targets.push(positionOf(text, 'KF_TRUSTED_ARGS)', 3));
  const hoverMs: number[] = [];
  for (let i = 0; i < rounds * 2; i++) {
    const position = targets[i % targets.length];
    t = performance.now();
    const h = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
    hoverMs.push(performance.now() - t);
    if (!h) throw new Error(`no hover at ${JSON.stringify(position)}`);
  }

  // Code actions where there is a fix: separate flag arguments on an entry (flags-separate-args, "join with |").
  const anchor = 'BTF_ID_FLAGS(func, bpf_dynptr_from_xdp';
  const insertAt = positionOf(text, anchor, anchor.length);
  const inserted = ', KF_RCU, KF_RET_NULL';
  let version = client.nextVersion(uri);
  const withDiag = client.nextDiagnostics((p) => p.uri === uri && p.version === version, 60_000);
  await client.change(uri, [{ range: { start: insertAt, end: insertAt }, text: inserted }]);
  const diagnosed = await withDiag;
  const entryRange = { start: { line: insertAt.line, character: 0 }, end: { line: insertAt.line, character: 10 } };
  const actionMs: number[] = [];
  let actionCount = 0;
  for (let i = 0; i < rounds * 2; i++) {
    const range = i % 2 === 0 ? entryRange : (diagnosed.diagnostics[0]?.range ?? entryRange);
    t = performance.now();
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range, context: { diagnostics: [] } });
    actionMs.push(performance.now() - t);
    actionCount = actions.length;
  }
  console.log(`code actions offered on the entry: ${actionCount} (${diagnosed.diagnostics.map((d) => d.code).join(', ') || 'no diagnostics'})`);
  version = client.nextVersion(uri);
  const cleared = client.nextDiagnostics((p) => p.uri === uri && p.version === version, 60_000);
  await client.change(uri, [{ range: { start: insertAt, end: { line: insertAt.line, character: insertAt.character + inserted.length } }, text: '' }]);
  await cleared;

  // Edits that add and remove a diagnostic (separate flag arguments on an entry), one at a time.
  const editMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const adding = i % 2 === 0;
    const change = adding
      ? { range: { start: insertAt, end: insertAt }, text: inserted }
      : { range: { start: insertAt, end: { line: insertAt.line, character: insertAt.character + inserted.length } }, text: '' };
    version = client.nextVersion(uri);
    const published = client.nextDiagnostics((p) => p.uri === uri && p.version === version, 60_000);
    t = performance.now();
    await client.change(uri, [change]);
    const p = await published;
    editMs.push(performance.now() - t);
    const separate = p.diagnostics.some((d) => d.code === 'flags-separate-args');
    if (separate !== adding && i < 2) console.log(`note: flags-separate-args ${separate ? 'present' : 'absent'} after ${adding ? 'adding' : 'removing'} the flags`);
  }
  const after = await client.request<{ parses: { full: number; incremental: number }; diagnosticsDelayMs: number }>('kfuncLsp/status');
  await client.shutdown();

  const h = stats(hoverMs);
  const a = stats(actionMs);
  const e = stats(editMs);
  const delay = after.diagnosticsDelayMs;
  console.log('');
  console.log(`net/core/filter.c (${(text.length / 1024).toFixed(0)} KB, ${text.split('\n').length} lines), 6.12 tree indexed; ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log(`hover               median ${fmt(h.median)}  p95 ${fmt(h.p95)}  (n=${h.n})`);
  console.log(`code action         median ${fmt(a.median)}  p95 ${fmt(a.p95)}  (n=${a.n})`);
  console.log(`edit → diagnostics  median ${fmt(e.median)}  p95 ${fmt(e.p95)}  (n=${e.n}; includes the ${delay} ms debounce: work after it ≈ median ${fmt(e.median - delay)}, p95 ${fmt(e.p95 - delay)})`);
  console.log(`parses: ${after.parses.full} full, ${after.parses.incremental} incremental`);
  mkdirSync(path.join(REPO, 'bench-results'), { recursive: true });
  const out = path.join(REPO, 'bench-results/lsp.json');
  writeFileSync(out, JSON.stringify({ file: 'net/core/filter.c', tree, indexMs, openMs, hover: h, codeAction: a, editToDiagnostics: e, debounceMs: delay, parses: after.parses, cpus: os.cpus().length, node: process.version }, null, 2));
  console.log(`(${path.relative(REPO, out)})`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
