// The server in headless Neovim (Debian 12: 0.7.2): test/e2e/nvim-check.lua drives it; results come back as JSON.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function runNvim({ repo, workspace, file, timeoutMs = 60000, log = console.log }) {
  const t0 = Date.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kfunc-e2e-nvim-'));
  const out = path.join(scratch, 'result.json');
  const env = {
    ...process.env,
    KFUNC_SERVER: path.join(repo, 'dist/cli.js'),
    KFUNC_ROOT: workspace,
    KFUNC_E2E_OUT: out,
    XDG_CONFIG_HOME: path.join(scratch, 'config'),
    XDG_DATA_HOME: path.join(scratch, 'data'),
    XDG_STATE_HOME: path.join(scratch, 'state'),
    XDG_CACHE_HOME: path.join(scratch, 'cache'),
  };
  const proc = spawn('nvim', ['--headless', '-i', 'NONE', '-n', '-u', path.join(repo, 'test/e2e/nvim-check.lua'), path.join(workspace, file)], {
    cwd: workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (b) => (output += b));
  proc.stderr.on('data', (b) => (output += b));
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      resolve('timeout');
    }, timeoutMs);
    proc.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  for (const line of output.split('\n')) if (line.trim()) log(`  [nvim] ${line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trim()}`);
  let result;
  try {
    result = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch {
    result = { passed: 0, failed: 1, tests: [{ name: 'neovim run', ok: false, error: `exit ${code}` }] };
  }
  if (code !== 0 && result.failed === 0) result.failed = 1;
  fs.rmSync(scratch, { recursive: true, force: true });
  return { ...result, ms: Date.now() - t0 };
}
