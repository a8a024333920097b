// API-level tests of the packaged extension, run INSIDE code-server's extension host (extensionTestsPath), with the
// full `vscode` API: activation, diagnostics, hover, the KF_IMPLICIT_ARGS quick fix through
// vscode.executeCodeActionProvider + workspace.applyEdit, definition, completion, the "Show BPF prototypes" command,
// settings changes, the restart command, and recovery after the server process is killed.
// Writes {passed, failed, tests} to $KFUNC_E2E_SUITE_OUT when set.
'use strict';
const assert = require('assert');
const fs = require('fs');
const vscode = require('vscode');

const EXT_ID = 'kfunc-lsp.kfunc-lsp';
const MOD = 'tools/testing/selftests/bpf/test_kmods/bpf_testmod.c';
const PROG = 'tools/testing/selftests/bpf/progs/kfunc_calls.c';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, fn, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last && (last.stack || JSON.stringify(last))})`);
    await sleep(100);
  }
}

const code = (d) => (typeof d.code === 'object' && d.code ? d.code.value : d.code);
const codes = (uri) => vscode.languages.getDiagnostics(uri).map(code);

function positionOf(doc, needle, delta = 0) {
  const at = doc.getText().indexOf(needle);
  if (at === -1) throw new Error(`${needle} not in ${doc.uri.fsPath}`);
  return doc.positionAt(at + delta);
}

function hoverText(hovers) {
  return (hovers || []).flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

async function run() {
  const t0 = Date.now();
  const log = (m) => console.log(`[suite +${Date.now() - t0}ms] ${m}`);
  const results = [];
  const test = async (name, fn) => {
    const started = Date.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - started });
      log(`ok - ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      results.push({ name, ok: false, ms: Date.now() - started, error: String((e && e.stack) || e) });
      log(`not ok - ${name}: ${(e && e.stack) || e}`);
    }
  };

  const folder = vscode.workspace.workspaceFolders[0];
  const uri = vscode.Uri.joinPath(folder.uri, MOD);
  const progUri = vscode.Uri.joinPath(folder.uri, PROG);
  let doc;
  let ext;
  const status = () => ext.exports.status();

  await test('opening a C file activates the extension and starts the server', async () => {
    doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.strictEqual(doc.languageId, 'c');
    ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, `${EXT_ID} is installed`);
    await waitFor('activation', () => ext.isActive);
    const s = await waitFor('server status', () => status());
    log(`server pid ${s.pid}, version ${s.version}`);
  });

  await test('publishes diagnostics with source kfunc-lsp and related information', async () => {
    const diags = await waitFor('implicit-without-flag', () => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.some((x) => code(x) === 'implicit-without-flag') ? d : undefined;
    });
    const d = diags.find((x) => code(x) === 'implicit-without-flag');
    assert.strictEqual(d.source, 'kfunc-lsp');
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(d.relatedInformation && d.relatedInformation.length > 0, 'related information');
    log(`diagnostics: ${diags.map(code).join(', ')}`);
  });

  await test('hover on a BTF_ID_FLAGS entry shows the vmlinux.h line, program types and the diagnostic', async () => {
    const pos = positionOf(doc, 'BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag)', 22);
    const text = hoverText(await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, pos));
    assert.match(text, /```c\nextern int bpf_kfunc_aux_no_flag\(int a, struct bpf_prog_aux \*aux\) __weak __ksym;\n```/);
    assert.match(text, /BPF_PROG_TYPE_SYSCALL/);
    assert.match(text, /implicit-without-flag/);
  });

  await test('go to definition from the set entry and from a call site in a BPF program', async () => {
    const defs = await vscode.commands.executeCommand('vscode.executeDefinitionProvider', uri, positionOf(doc, 'BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag)', 22));
    const target = positionOf(doc, 'bpf_kfunc_aux_no_flag(int a');
    const loc = defs[0];
    const range = loc.targetRange || loc.range;
    assert.strictEqual(range.start.line, target.line);
    const prog = await vscode.workspace.openTextDocument(progUri);
    const fromCall = await vscode.commands.executeCommand('vscode.executeDefinitionProvider', progUri, positionOf(prog, 'bpf_kfunc_aux_no_flag(2', 3));
    assert.strictEqual((fromCall[0].targetUri || fromCall[0].uri).toString(), uri.toString());
  });

  await test('completes KF_* flags inside BTF_ID_FLAGS', async () => {
    const pos = positionOf(doc, 'bpf_kfunc_two_aux, KF_', 'bpf_kfunc_two_aux, KF_'.length);
    const list = await vscode.commands.executeCommand('vscode.executeCompletionItemProvider', uri, pos);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('KF_IMPLICIT_ARGS'), labels.join(','));
    assert.ok(!labels.includes('KF_TRUSTED_ARGS'));
  });

  await test('"Show BPF prototypes of this file" opens a read-only C document with the vmlinux.h lines', async () => {
    const shown = await vscode.commands.executeCommand('kfuncLsp.showBpfPrototypes', uri);
    const protos = shown || vscode.window.activeTextEditor.document;
    assert.strictEqual(protos.uri.scheme, 'kfunc-lsp-protos');
    assert.strictEqual(protos.languageId, 'c');
    assert.match(protos.getText(), /extern int bpf_kfunc_two_aux\(int a\) __weak __ksym;/);
    assert.match(protos.getText(), /#ifndef BPF_NO_KFUNC_PROTOTYPES/);
    await vscode.window.showTextDocument(doc);
  });

  await test('applies the KF_IMPLICIT_ARGS quick fix (executeCodeActionProvider + workspace.applyEdit)', async () => {
    const diag = vscode.languages.getDiagnostics(uri).find((x) => code(x) === 'implicit-without-flag');
    const actions = await vscode.commands.executeCommand('vscode.executeCodeActionProvider', uri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Add KF_IMPLICIT_ARGS to BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag)');
    assert.ok(fix, `actions: ${actions.map((a) => a.title).join(' | ')}`);
    assert.strictEqual(fix.kind.value, 'quickfix');
    assert.ok(await vscode.workspace.applyEdit(fix.edit), 'applyEdit');
    assert.ok(doc.getText().includes('BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag, KF_IMPLICIT_ARGS)'));
    await waitFor('the diagnostic to go', () => !codes(uri).includes('implicit-without-flag') && codes(uri).length > 0);
    const text = hoverText(await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, positionOf(doc, 'bpf_kfunc_aux_no_flag(int a', 2)));
    assert.match(text, /extern int bpf_kfunc_aux_no_flag\(int a\) __weak __ksym;/);
  });

  await test('settings changes apply without a restart (kfuncLsp.diagnostics.severity)', async () => {
    const config = vscode.workspace.getConfiguration('kfuncLsp', folder.uri);
    const pid = (await status()).pid;
    assert.ok(codes(uri).includes('implicit-not-trailing'));
    await config.update('diagnostics.severity', { 'implicit-not-trailing': 'off' }, vscode.ConfigurationTarget.Workspace);
    await waitFor('implicit-not-trailing to be turned off', () => !codes(uri).includes('implicit-not-trailing'));
    await config.update('diagnostics.severity', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor('implicit-not-trailing to come back', () => codes(uri).includes('implicit-not-trailing'));
    assert.strictEqual((await status()).pid, pid, 'same server process');
  });

  await test('"kfunc-lsp: Restart server" starts a new server that rebuilds its state', async () => {
    const before = (await status()).pid;
    await vscode.commands.executeCommand('kfuncLsp.restartServer');
    const after = await waitFor('a new server', async () => {
      const s = await status().catch(() => undefined);
      return s && s.pid !== before ? s : undefined;
    });
    log(`restarted: pid ${before} -> ${after.pid}`);
    await waitFor('diagnostics again', () => codes(uri).includes('implicit-not-trailing'));
  });

  await test('a killed server is restarted by the client and rebuilds its state', async () => {
    // The state to rebuild: the workspace index, and the open document's UNSAVED text. The buffer is made to differ
    // from the disk on exactly one thing, KF_IMPLICIT_ARGS on an entry (the quick fix above may have been saved:
    // writing workspace settings saves dirty files), so the diagnostics tell which text the new server reads.
    const entry = 'BTF_ID_FLAGS(func, bpf_kfunc_aux_no_flag';
    const withFlag = `${entry}, KF_IMPLICIT_ARGS)`;
    const hasFlag = (text) => text.includes(withFlag);
    const toggleFlag = async () => {
      const at = doc.getText().indexOf(entry) + entry.length;
      const edit = new vscode.WorkspaceEdit();
      if (hasFlag(doc.getText())) edit.delete(uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + ', KF_IMPLICIT_ARGS'.length)));
      else edit.insert(uri, doc.positionAt(at), ', KF_IMPLICIT_ARGS');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const flagged = hasFlag(doc.getText());
      await waitFor(`implicit-without-flag ${flagged ? 'gone' : 'back'} after the edit`, () => codes(uri).includes('implicit-without-flag') !== flagged && codes(uri).length > 0);
      return flagged;
    };
    const indexed = await waitFor('the index', async () => {
      const s = await status();
      return s && !s.indexing && s.folders.every((f) => f.complete) ? s : undefined;
    });
    if (hasFlag(doc.getText()) === hasFlag(fs.readFileSync(uri.fsPath, 'utf8'))) await toggleFlag();
    const bufferFlagged = hasFlag(doc.getText());
    assert.ok(doc.isDirty, 'the document has unsaved edits');
    assert.notStrictEqual(hasFlag(fs.readFileSync(uri.fsPath, 'utf8')), bufferFlagged, 'the disk copy differs');
    const before = indexed.pid;
    const kfuncsBefore = indexed.units.map((u) => `${u.root}:${u.kfuncs}`).sort();

    process.kill(before, 'SIGKILL');
    // Really gone (signal 0 only tests for existence; the extension host reaps its child).
    await waitFor('the old server process to be gone', () => {
      try {
        process.kill(before, 0);
        return false;
      } catch (e) {
        return e.code === 'ESRCH';
      }
    });
    const after = await waitFor('the client to restart the server', async () => {
      const s = await status().catch(() => undefined);
      return s && s.pid !== before ? s : undefined;
    }, 60000);
    log(`after kill: pid ${before} -> ${after.pid}`);

    // The index is rebuilt by the new process: same units, same kfunc counts.
    const rebuilt = await waitFor('the new server to index the workspace', async () => {
      const s = await status();
      return s && s.pid === after.pid && !s.indexing && s.folders.every((f) => f.complete) ? s : undefined;
    }, 60000);
    assert.deepStrictEqual(rebuilt.units.map((u) => `${u.root}:${u.kfuncs}`).sort(), kfuncsBefore);
    assert.ok(rebuilt.openDocuments >= 1, 'the client re-sent the open documents');

    // Diagnostics and hovers come from the new server and follow the editor's text, not the disk's.
    await waitFor('diagnostics again', () => codes(uri).includes('implicit-not-trailing'));
    assert.strictEqual(codes(uri).includes('implicit-without-flag'), !bufferFlagged, 'the new server reads the unsaved buffer');
    const proto = bufferFlagged ? 'extern int bpf_kfunc_aux_no_flag(int a) __weak __ksym;' : 'extern int bpf_kfunc_aux_no_flag(int a, struct bpf_prog_aux *aux) __weak __ksym;';
    const text = await waitFor('hover from the new server', async () =>
      hoverText(await vscode.commands.executeCommand('vscode.executeHoverProvider', uri, positionOf(doc, 'bpf_kfunc_aux_no_flag(int a', 2))) || undefined,
    );
    assert.ok(text.includes(proto), text);
    const progDoc = await vscode.workspace.openTextDocument(progUri);
    const fromCall = await vscode.commands.executeCommand('vscode.executeDefinitionProvider', progUri, positionOf(progDoc, 'bpf_kfunc_aux_no_flag(2', 3));
    assert.strictEqual((fromCall[0].targetUri || fromCall[0].uri).toString(), uri.toString());

    // And it keeps following edits: toggle the flag twice, the diagnostic follows each time.
    assert.strictEqual(await toggleFlag(), !bufferFlagged);
    assert.strictEqual(await toggleFlag(), bufferFlagged);
  });

  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  if (process.env.KFUNC_E2E_SUITE_OUT) {
    fs.writeFileSync(process.env.KFUNC_E2E_SUITE_OUT, JSON.stringify({ passed: results.length - failed, failed, tests: results }, null, 2));
  }
  if (failed) throw new Error(`${failed} test(s) failed`);
}

module.exports = { run };
