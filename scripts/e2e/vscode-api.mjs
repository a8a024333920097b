// API-level extension tests: the installed .vsix, loaded in code-server's extension host together with
// test/e2e/vscode-suite.js (extensionTestsPath), through the payload + codeAutomationExit mechanism VS Code's own
// browser integration tests use. Returns { passed, failed, tests, ms }.
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { installExtension, launchBrowser, makeProfile, startCodeServer } from './code-server.mjs';

export async function runApiTests({ codeServer, vsix, workspace, suite, outDir, timeoutMs = 180000, log = console.log }) {
  const t0 = Date.now();
  const lap = (m) => log(`[vscode-api ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  const profile = makeProfile('api');
  const extPath = installExtension(codeServer, profile, vsix);
  lap(`installed ${path.basename(vsix)} into ${extPath}`);
  const resultFile = path.join(profile.dir, 'suite-results.json');
  const server = await startCodeServer(codeServer, profile, { KFUNC_E2E_SUITE_OUT: resultFile });
  lap(`code-server up at ${server.base}`);
  const browser = await launchBrowser();
  let exitCode = 1;
  let consoleSummary;
  try {
    const { page } = browser;
    const done = new Promise((resolve) => {
      page.exposeFunction('codeAutomationLog', (type, args) => {
        const line = util.format(...(Array.isArray(args) ? args : [args]));
        if (/\[suite|passed, \d+ failed|Error/.test(line)) log(`  ${line}`);
      });
      page.exposeFunction('codeAutomationExit', (code) => resolve(code));
    });
    page.on('console', (m) => {
      const t = m.text();
      const summary = /(\d+) passed, (\d+) failed/.exec(t);
      if (summary) consoleSummary = { passed: Number(summary[1]), failed: Number(summary[2]) };
      if (process.env.E2E_ALL_CONSOLE) log(`  [console] ${t}`);
    });
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${server.host}${extPath}`],
      ['extensionTestsPath', `vscode-remote://${server.host}${suite}`],
      ['skipWelcome', 'true'],
    ];
    await page.goto(`${server.base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`, { waitUntil: 'domcontentloaded' });
    const res = await Promise.race([done, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    if (res === 'timeout') lap('TIMEOUT waiting for the suite');
    else exitCode = res;
    fs.mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'vscode-api.png') }).catch(() => {});
  } finally {
    await browser.close();
    server.stop();
  }
  let result;
  try {
    result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
  } catch {
    result = consoleSummary ? { ...consoleSummary, tests: [] } : { passed: 0, failed: 1, tests: [{ name: 'vscode API suite', ok: false, error: `exit ${exitCode}` }] };
  }
  if (exitCode !== 0 && result.failed === 0) result.failed = 1;
  lap(`suite finished: ${result.passed} passed, ${result.failed} failed (logs: ${server.log})`);
  return { ...result, ms: Date.now() - t0 };
}
