/**
 * Workspace behaviour of the built server: several folders (one index per kernel tree, each with its own version
 * and flag table), folders added and removed, exclude patterns re-read from settings (the index is rebuilt), the
 * size limit, and a suffixed parameter's hover.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hover, MarkupContent, WorkspaceSymbol } from 'vscode-languageserver-protocol';
import { ensureBuilt } from './ensureBuilt';
import { LspClient, positionOf, REPO, uriOf } from './lspClient';

let base: string;
let a: string; // 7.0 tree
let b: string; // 6.8 tree
let client: LspClient;

const hoverText = (h: Hover | null) => (h ? (h.contents as MarkupContent).value : '');
const names = async (query: string) => (await client.request<WorkspaceSymbol[]>('workspace/symbol', { query })).map((s) => s.name).sort();

beforeAll(async () => {
  await ensureBuilt();
  base = mkdtempSync(path.join(os.tmpdir(), 'kfunc-lsp-ws-'));
  a = path.join(base, 'linux-7.0');
  b = path.join(base, 'linux-6.8');
  cpSync(path.join(REPO, 'test/fixtures/versions/v7.0-implicit-args'), a, { recursive: true });
  cpSync(path.join(REPO, 'test/fixtures/versions/v6.8-start-defs-set8'), b, { recursive: true });
  ({ client } = await LspClient.start({ folders: [a, b] }));
  await client.waitIndexed();
}, 60_000);

afterAll(async () => {
  if (client) await client.shutdown();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('workspace', () => {
  it('indexes every folder, one kernel tree each, with its own version', async () => {
    const status = await client.request<{ units: Array<{ root: string; kernelVersion: string; versionSource: string }> }>('kfuncLsp/status');
    const units = status.units.map((u) => [u.root, u.kernelVersion, u.versionSource]).sort();
    expect(units).toEqual([
      [b, '6.8', 'Makefile'],
      [a, '7.0', 'Makefile'],
    ].sort());
    expect(await names('cgroup_rstat_flush')).toEqual(['cgroup_rstat_flush']);
    expect(await names('bpf_wq_set_callback')).toEqual(['bpf_wq_set_callback']);
  });

  it('answers per tree: the same flag means different things in 6.8 and 7.0', async () => {
    const file = path.join(b, 'kernel/cgroup/rstat.c');
    const uri = await client.open(file);
    const sleepable = hoverText(await client.request('textDocument/hover', { textDocument: { uri }, position: positionOf(client.text(uri), 'KF_SLEEPABLE', 3) }));
    expect(sleepable).toContain('bit 5');
    const tree7 = path.join(a, 'kernel/bpf/helpers.c');
    const uri7 = await client.open(tree7);
    const text7 = client.text(uri7);
    const kfunc = hoverText(await client.request('textDocument/hover', { textDocument: { uri: uri7 }, position: positionOf(text7, 'bpf_wq_init(struct', 3) }));
    expect(kfunc).toContain('kernel 7.0');
    // A verifier suffix on a parameter.
    const suffix = hoverText(await client.request('textDocument/hover', { textDocument: { uri: uri7 }, position: positionOf(text7, 'p__map', 2) }));
    expect(suffix).toContain('verifier suffix `__map`');
    expect(suffix).toContain('must be a map pointer');
    await client.notify('textDocument/didClose', { textDocument: { uri } });
    await client.notify('textDocument/didClose', { textDocument: { uri: uri7 } });
  });

  it('re-reads index.exclude and rebuilds the index without a restart', async () => {
    client.settings = { index: { exclude: ['**/cgroup/**'] } };
    await client.notify('workspace/didChangeConfiguration', { settings: null });
    await client.waitIndexed();
    expect(await names('cgroup_rstat_flush')).toEqual([]);
    client.settings = {};
    await client.notify('workspace/didChangeConfiguration', { settings: null });
    await client.waitIndexed();
    expect(await names('cgroup_rstat_flush')).toEqual(['cgroup_rstat_flush']);
  });

  it('skips files over index.maxFileSizeKB', async () => {
    const big = path.join(a, 'kernel/bpf/big.c');
    writeFileSync(big, `__bpf_kfunc int bpf_in_big_file(int x)\n{\n\treturn x;\n}\n${'/* padding */\n'.repeat(200)}`);
    client.settings = { index: { maxFileSizeKB: 2 } };
    await client.notify('workspace/didChangeConfiguration', { settings: null });
    await client.waitIndexed();
    expect(await names('bpf_in_big_file')).toEqual([]);
    client.settings = {};
    await client.notify('workspace/didChangeConfiguration', { settings: null });
    await client.waitIndexed();
    expect(await names('bpf_in_big_file')).toEqual(['bpf_in_big_file']);
  });

  it('follows workspace folders being removed and added', async () => {
    await client.notify('workspace/didChangeWorkspaceFolders', { event: { added: [], removed: [{ uri: uriOf(b), name: 'linux-6.8' }] } });
    expect(await names('cgroup_rstat_flush')).toEqual([]);
    await client.notify('workspace/didChangeWorkspaceFolders', { event: { added: [{ uri: uriOf(b), name: 'linux-6.8' }], removed: [] } });
    await client.waitIndexed();
    expect(await names('cgroup_rstat_flush')).toEqual(['cgroup_rstat_flush']);
  });
});
