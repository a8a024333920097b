#!/usr/bin/env node
// Runs a TypeScript script (benchmarks, accuracy, helpers): bundles it with esbuild into dist/scripts/, then
// runs it with the remaining arguments. Keeps scripts in TypeScript without another runtime dependency.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { nodeBundle, root as repo } from './esbuild-options.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts.mjs SCRIPT.ts [ARGS...]');
  process.exit(2);
}
// Inside the repo's dist/ so that the bundle finds grammars/ the way the shipped CLI does.
// One file per run (pid in the name), so parallel runs of different scripts do not overwrite each other.
const out = path.join(repo, 'dist', 'scripts', `${path.basename(entry).replace(/\.ts$/, '')}.${process.pid}.cjs`);
{
  await build({
    ...nodeBundle,
    entryPoints: [entry],
    outfile: out,
    sourcemap: 'inline',
  });
  const res = spawnSync(process.execPath, ['--enable-source-maps', ...(process.env.NODE_SCRIPT_FLAGS ? process.env.NODE_SCRIPT_FLAGS.split(' ') : []), out, ...args], { stdio: 'inherit' });
  rmSync(out, { force: true });
  process.exitCode = res.status ?? 1;
}
