#!/usr/bin/env node
// `npm start`: runs `kfunc-lsp check examples/` (its deliberate mistakes make it exit 1, which is expected here)
// and then `kfunc-lsp protos examples/`. Fails only when a command fails to run (exit 2 or a crash).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist/cli.js');
for (const command of ['check', 'protos']) {
  console.log(`$ kfunc-lsp ${command} examples/`);
  const res = spawnSync(process.execPath, [cli, command, 'examples/'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0 && res.status !== 1) process.exit(res.status ?? 2);
  console.log();
}
