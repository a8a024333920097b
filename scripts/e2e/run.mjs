#!/usr/bin/env node
// `npm run test:e2e`: real editors against the real server.
//   1. installs what it needs on first run (scripts/e2e/install.sh: apt chromium/neovim, code-server 4.100.3 into
//      ~/.cache/kfunc-lsp/e2e), 2. packages the extension (`npm run package`), 3. runs
//      - the server in headless Neovim (test/e2e/nvim-check.lua),
//      - API-level tests of the installed .vsix in code-server's extension host (test/e2e/vscode-suite.js),
//      - a UI test in the workbench that hovers a kfunc and saves docs/hover.png.
// Options: --only nvim,api,ui  --skip-package (reuse the .vsix). Writes {passed, failed, suites} to $E2E_RESULTS.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNvim } from './nvim.mjs';
import { runApiTests } from './vscode-api.mjs';
import { runUiTest } from './vscode-ui.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const t0 = Date.now();
const lap = (m) => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const only = new Set((arg('only') ?? 'nvim,api,ui').split(','));
const outDir = path.join(repo, 'bench-results', 'e2e');
fs.mkdirSync(outDir, { recursive: true });

function sh(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${res.status})\n${res.stdout ?? ''}`);
  return res.stdout ?? '';
}

const MOD = 'tools/testing/selftests/bpf/test_kmods/bpf_testmod.c';
const PROG = 'tools/testing/selftests/bpf/progs/kfunc_calls.c';
const PROG_TEXT = `// SPDX-License-Identifier: GPL-2.0
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

extern int bpf_kfunc_aux_no_flag(int a, struct bpf_prog_aux *aux) __ksym;
extern int bpf_kfunc_implicit_mid(int a) __ksym;

SEC("syscall")
int call_kfuncs(void *ctx)
{
	return bpf_kfunc_implicit_mid(1) + bpf_kfunc_aux_no_flag(2, 0);
}
`;

/** A scratch copy of a fixture tree (the tests edit buffers; the fixtures stay untouched). */
function workspace(name, fixture, extra = {}) {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kfunc-e2e-ws-')), name);
  fs.cpSync(path.join(repo, 'test/fixtures/versions', fixture), dir, { recursive: true });
  for (const [file, text] of Object.entries(extra)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const suites = {};
let codeServer;
try {
  if (only.has('api') || only.has('ui')) {
    lap('installing editors (cached after the first run)');
    codeServer = sh('bash', [path.join(repo, 'scripts/e2e/install.sh')]).trim().split('\n').pop();
    lap(`code-server: ${codeServer}`);
  } else if (spawnSync('nvim', ['--version']).status !== 0) {
    sh('bash', [path.join(repo, 'scripts/e2e/install.sh')]);
  }
  const version = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).version;
  const vsix = path.join(repo, `kfunc-lsp-${version}.vsix`);
  if (!process.argv.includes('--skip-package') || !fs.existsSync(vsix)) {
    lap('npm run package');
    sh('npm', ['run', '--silent', 'package']);
  }
  lap(`${path.basename(vsix)}: ${(fs.statSync(vsix).size / 1024).toFixed(0)} KB`);

  if (only.has('nvim')) {
    lap('Neovim');
    suites.nvim = await runNvim({ repo, workspace: workspace('nvim', 'v7.0-implicit-mistakes'), file: MOD, log: console.log });
  }
  if (only.has('api')) {
    lap('VS Code (code-server) API-level suite');
    suites.vscodeApi = await runApiTests({
      codeServer,
      vsix,
      workspace: workspace('api', 'v7.0-implicit-mistakes', { [PROG]: PROG_TEXT }),
      suite: path.join(repo, 'test/e2e/vscode-suite.js'),
      outDir,
      log: console.log,
    });
  }
  if (only.has('ui')) {
    lap('VS Code (code-server) UI hover');
    suites.vscodeUi = await runUiTest({
      codeServer,
      vsix,
      workspace: workspace('ui', 'v7.0-implicit-args'),
      file: 'kernel/bpf/helpers.c',
      gotoLine: 62,
      token: 'bpf_task_work_schedule_signal',
      lineText: '__bpf_kfunc int bpf_task_work_schedule_signal(',
      expect: 'extern int bpf_task_work_schedule_signal(',
      screenshot: path.join(repo, 'docs/hover.png'),
      outDir,
      log: console.log,
    });
  }
} catch (e) {
  console.error(e);
  suites.setup = { passed: 0, failed: 1, tests: [{ name: 'e2e setup', ok: false, error: String(e && e.stack || e) }] };
}

let passed = 0;
let failed = 0;
console.log('\nsuite                    passed  failed  time');
for (const [name, r] of Object.entries(suites)) {
  passed += r.passed;
  failed += r.failed;
  console.log(`${name.padEnd(24)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${((r.ms ?? 0) / 1000).toFixed(1)}s`);
  for (const t of r.tests ?? []) if (!t.ok) console.log(`  FAILED ${t.name}: ${(t.error ?? t.detail ?? '').toString().split('\n')[0]}`);
}
lap(`${passed} passed, ${failed} failed`);
const summary = { passed, failed, seconds: Math.round((Date.now() - t0) / 1000), suites };
fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(summary, null, 2));
if (process.env.E2E_RESULTS) fs.writeFileSync(process.env.E2E_RESULTS, JSON.stringify(summary, null, 2));
process.exit(failed ? 1 : 0);
