// UI-level test: the installed .vsix in a real workbench (code-server + Chromium). Opens a kernel file, waits for
// the server's code lens, hovers a KF_IMPLICIT_ARGS kfunc, reads the hover from the DOM and saves a screenshot.
import fs from 'node:fs';
import path from 'node:path';
import { installExtension, launchBrowser, makeProfile, startCodeServer } from './code-server.mjs';

export async function runUiTest({ codeServer, vsix, workspace, file, gotoLine, token, lineText, expect, screenshot, outDir, timeoutMs = 90000, log = console.log }) {
  const t0 = Date.now();
  const lap = (m) => log(`[vscode-ui ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  const profile = makeProfile('ui', { 'editor.fontSize': 14, 'workbench.activityBar.location': 'top', 'breadcrumbs.enabled': false, 'editor.hover.above': false });
  installExtension(codeServer, profile, vsix);
  const server = await startCodeServer(codeServer, profile);
  const browser = await launchBrowser({ width: 1280, height: 960 });
  const tests = [];
  const { page } = browser;
  page.on('pageerror', (e) => log(`  [pageerror] ${e.message}`));
  try {
    await page.goto(`${server.base}/?folder=${encodeURIComponent(workspace)}`, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
    await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
    lap('workbench visible');
    // Open the file with Quick Open (Ctrl+P), as a user would.
    const editor = page.locator('.editor-instance .monaco-editor').first();
    for (let attempt = 0; attempt < 3; attempt++) {
      await page.locator('.monaco-workbench').click({ position: { x: 640, y: 300 } }).catch(() => {});
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      if (await input.waitFor({ timeout: 5000 }).then(() => true, () => false)) {
        await input.fill(file);
        await page.locator('.quick-input-widget .monaco-list-row', { hasText: path.basename(file) }).first().waitFor({ timeout: 15000 });
        await page.keyboard.press('Enter');
        const tab = page.locator('.tab', { hasText: path.basename(file) }).first();
        if (await tab.waitFor({ timeout: 15000 }).then(() => true, () => false)) break;
      }
    }
    await editor.locator('.view-lines').first().waitFor({ timeout: timeoutMs });
    lap(`${file} open`);
    if (gotoLine) {
      // Quick Open with ':N' is "Go to Line", which also scrolls the line to the middle of the editor.
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 10000 });
      await input.fill(`:${gotoLine}`);
      await page.keyboard.press('Enter');
    }
    await editor.locator('.view-lines', { hasText: lineText }).waitFor({ timeout: timeoutMs });
    // The code lens over the kfunc definition: the server has analysed the file.
    await editor.locator('.codelens-decoration', { hasText: `BPF: ` }).filter({ hasText: token }).first().waitFor({ timeout: timeoutMs });
    lap('code lens visible');
    tests.push({ name: 'code lens over a kfunc definition', ok: true });

    const line = editor.locator('.view-line', { hasText: lineText }).first();
    const tokenSpan = line.locator('span > span', { hasText: new RegExp(`^${token}$`) }).first();
    const box = await tokenSpan.boundingBox();
    if (!box) throw new Error(`${token} is not on screen`);
    const hover = page.locator('.monaco-hover:not(.hidden) .hover-contents, .monaco-hover:not(.hidden) .rendered-markdown').filter({ hasText: expect }).first();
    for (let attempt = 0; attempt < 5; attempt++) {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.move(box.x + box.width / 2 + 1, box.y + box.height / 2);
      if (await hover.waitFor({ timeout: 8000 }).then(() => true, () => false)) break;
      await page.mouse.move(5, 5);
    }
    await hover.waitFor({ timeout: 5000 });
    const text = (await hover.innerText()).trim();
    lap(`hover visible (${text.length} characters)`);
    await page.waitForTimeout(300); // let the hover finish laying out before the picture
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });
    lap(`screenshot ${screenshot}`);
    tests.push({ name: 'hover over a kfunc shows its vmlinux.h line', ok: text.includes(expect), detail: text.slice(0, 400) });
  } catch (e) {
    tests.push({ name: 'UI hover', ok: false, error: String(e && e.stack || e) });
    fs.mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'vscode-ui-failure.png') }).catch(() => {});
    lap(`failed: ${e.message} (screenshot in ${outDir}, log ${server.log})`);
  } finally {
    await browser.close();
    server.stop();
  }
  const failed = tests.filter((t) => !t.ok).length;
  return { passed: tests.length - failed, failed, tests, ms: Date.now() - t0 };
}
