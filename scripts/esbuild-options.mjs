// esbuild options shared by the build and the script runner: Node 20, CommonJS (VS Code loads extensions as CJS),
// and web-tree-sitter's CommonJS build (its ES build locates itself through import.meta.url, which CJS lacks).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');


export const nodeBundle = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  define: {
    'import.meta.url': 'undefined',
    // A new value per build: the facts cache only trusts results of the build that wrote them.
    KFUNC_LSP_BUILD: JSON.stringify(`${Date.now().toString(36)}`),
    KFUNC_LSP_VERSION: JSON.stringify(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version),
  },
  alias: { 'web-tree-sitter': path.join(root, 'node_modules/web-tree-sitter/tree-sitter.cjs') },
};
