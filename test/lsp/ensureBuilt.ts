/**
 * The protocol tests run the BUILT server. This rebuilds dist/cli.js when a source is newer than it (after
 * `npm install` it is fresh, so CI never rebuilds here), under a lock so parallel test files do not race.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { CLI, REPO } from './lspClient';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  let built = 0;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {
    return true;
  }
  const inputs = [
    newestMtime(path.join(REPO, 'server/src')),
    ...['scripts/build.mjs', 'scripts/esbuild-options.mjs', 'grammars/tree-sitter-c.wasm'].map((f) => {
      try {
        return statSync(path.join(REPO, f)).mtimeMs;
      } catch {
        return Infinity;
      }
    }),
  ];
  return Math.max(...inputs) > built;
}

export async function ensureBuilt(): Promise<void> {
  if (!stale()) return;
  const lock = path.join(REPO, 'dist', '.build-lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const end = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > end) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (!stale()) return;
    const res = spawnSync(process.execPath, [path.join(REPO, 'scripts/build.mjs')], { cwd: REPO, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`build failed:\n${res.stdout}\n${res.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
