// Helpers to run code-server 4.100.3 (VS Code 1.100.3) with a throw-away profile and drive it with Debian's
// Chromium through playwright-core. Recipes: /work/shared/e2e (always --config; own process group; quiet settings).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'editor.hover.delay': 100,
  'editor.minimap.enabled': false,
  'git.enabled': false,
  'window.commandCenter': false,
  'chat.commandCenter.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

function get(url) {
  return new Promise((resolve) => {
    http.get(url, (r) => {
      r.resume();
      resolve(r.statusCode);
    }).on('error', () => resolve(0));
  });
}

/** A fresh profile: user-data (with settings), extensions dir, config file. */
export function makeProfile(label, extraSettings = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kfunc-e2e-${label}-`));
  const userData = path.join(dir, 'user-data');
  const extensions = path.join(dir, 'extensions');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(extensions);
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...extraSettings }, null, 2));
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  return { dir, userData, extensions, config, common: ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions] };
}

export function installExtension(codeServer, profile, vsix) {
  const res = spawnSync(codeServer, [...profile.common, '--install-extension', vsix], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`installing ${vsix} failed:\n${res.stdout}\n${res.stderr}`);
  const installed = fs.readdirSync(profile.extensions).find((d) => d.startsWith('kfunc-lsp.kfunc-lsp-'));
  if (!installed) throw new Error(`the extension is not in ${profile.extensions}`);
  return path.join(profile.extensions, installed);
}

/** Starts code-server in its own process group; resolves once /healthz answers. */
export async function startCodeServer(codeServer, profile, env = {}) {
  const port = await freePort();
  const log = fs.createWriteStream(path.join(profile.dir, 'code-server.log'));
  const proc = spawn(
    codeServer,
    [...profile.common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override'],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...env } },
  );
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  const stop = () => {
    try {
      process.kill(-proc.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
  process.on('exit', stop);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; (await get(`${base}/healthz`)) !== 200; i++) {
    if (i > 600) {
      stop();
      throw new Error(`code-server did not start (log: ${path.join(profile.dir, 'code-server.log')})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, host: `127.0.0.1:${port}`, stop, log: path.join(profile.dir, 'code-server.log') };
}

export async function launchBrowser(viewport = { width: 1280, height: 800 }) {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'kfunc-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(udd, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(udd, { recursive: true, force: true });
  };
  return { context, page: context.pages()[0] || (await context.newPage()), close };
}
