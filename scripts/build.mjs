#!/usr/bin/env node
// Build: copies the tree-sitter wasm files into grammars/ (with their provenance), then bundles the CLI/server
// and the VS Code client with esbuild. `--no-bundle` only copies the grammars (enough for the tests).
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { nodeBundle } from './esbuild-options.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

const grammars = path.join(root, 'grammars');
mkdirSync(grammars, { recursive: true });

/** The package's folder under node_modules (some packages do not export package.json). */
function packageDir(name) {
  const paths = require.resolve.paths(name) ?? [];
  for (const p of paths) if (existsSync(path.join(p, name, 'package.json'))) return path.join(p, name);
  throw new Error(`package ${name} not installed`);
}
function version(dir) {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

const cDir = packageDir('tree-sitter-c');
const wtsDir = packageDir('web-tree-sitter');
copyFileSync(path.join(cDir, 'tree-sitter-c.wasm'), path.join(grammars, 'tree-sitter-c.wasm'));
copyFileSync(path.join(wtsDir, 'tree-sitter.wasm'), path.join(grammars, 'tree-sitter.wasm'));
writeFileSync(
  path.join(grammars, 'provenance.json'),
  JSON.stringify(
    {
      'tree-sitter-c.wasm': { package: 'tree-sitter-c', version: version(cDir), file: 'tree-sitter-c.wasm' },
      'tree-sitter.wasm': { package: 'web-tree-sitter', version: version(wtsDir), file: 'tree-sitter.wasm' },
    },
    null,
    2,
  ) + '\n',
);

if (process.argv.includes('--no-bundle')) process.exit(0);

const common = nodeBundle;
await build({
  ...common,
  entryPoints: [path.join(root, 'server/src/cli/main.ts')],
  outfile: path.join(root, 'dist/cli.js'),
  banner: { js: '#!/usr/bin/env node' },
});
if (existsSync(path.join(root, 'client/src/extension.ts'))) {
  await build({
    ...common,
    entryPoints: [path.join(root, 'client/src/extension.ts')],
    outfile: path.join(root, 'client/dist/extension.js'),
    external: ['vscode'],
  });
}
