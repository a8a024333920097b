// Golden tests: `kfunc-lsp protos --json DIR` and `kfunc-lsp protos DIR`, run in process on fixture trees, compared
// byte for byte with the checked-in test/golden/<name>.json and <name>.h. Every golden was reviewed by hand
// against contracts §2.1/§2.2 and kfunc-spec §A.4/§E.2/§F before it was checked in (see README.md here).
//
// UPDATE_GOLDEN=1 npx vitest run test/golden   rewrites them; review the diff before committing it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../server/src/cli/main';

const repo = path.join(__dirname, '../..');
const update = process.env.UPDATE_GOLDEN === '1';

/** Golden name → tree (relative to the repo root). */
const TREES: Record<string, string> = {
  'i03-xdp-xmacro': 'test/fixtures/patterns/i03-xdp-xmacro',
  'i04-ifdef-entries': 'test/fixtures/patterns/i04-ifdef-entries',
  'i14-function-typed-callback': 'test/fixtures/patterns/i14-function-typed-callback',
  'i24-legacy-impl': 'test/fixtures/patterns/i24-legacy-impl',
  'v6.1-plain-globals': 'test/fixtures/versions/v6.1-plain-globals',
  'v6.13-fastcall': 'test/fixtures/versions/v6.13-fastcall',
  'v7.0-implicit-args': 'test/fixtures/versions/v7.0-implicit-args',
  examples: 'examples',
};

async function protos(args: string[]): Promise<{ code: number; out: string; err: string[] }> {
  let out = '';
  const err: string[] = [];
  const code = await runCli(['protos', ...args], { out: (t) => (out += t), err: (l) => err.push(l) });
  return { code, out, err };
}

function compare(goldenFile: string, actual: string): void {
  if (update) {
    writeFileSync(goldenFile, actual);
    return;
  }
  expect(existsSync(goldenFile), `${path.relative(repo, goldenFile)} is missing (UPDATE_GOLDEN=1 writes it)`).toBe(true);
  expect(actual).toBe(readFileSync(goldenFile, 'utf8'));
}

describe('protos goldens', () => {
  for (const [name, tree] of Object.entries(TREES)) {
    const dir = path.join(repo, tree);
    describe(name, () => {
      it('--json', async () => {
        const r = await protos(['--json', dir]);
        expect(r.err).toEqual([]);
        expect(r.code).toBe(0);
        compare(path.join(__dirname, `${name}.json`), r.out);
      });

      it('vmlinux.h block', async () => {
        const r = await protos([dir]);
        expect(r.err).toEqual([]);
        expect(r.code).toBe(0);
        compare(path.join(__dirname, `${name}.h`), r.out);
      });

      it('the block is the vmlinuxH entries of the JSON, sorted by name', async () => {
        const json = JSON.parse((await protos(['--json', dir])).out) as {
          kfuncs: Array<{ bpf: Array<{ name: string; vmlinuxH: boolean; decl: string }> }>;
        };
        const decls = json.kfuncs
          .flatMap((k) => k.bpf)
          .filter((b) => b.vmlinuxH)
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map((b) => b.decl);
        const block = ['/* BPF kfuncs */', '#ifndef BPF_NO_KFUNC_PROTOTYPES', ...decls, '#endif', ''].join('\n');
        expect((await protos([dir])).out).toBe(block);
      });
    });
  }

  it('paths in the JSON are relative to the first PATH, whatever the working directory', async () => {
    const rel = await protos(['--json', path.relative(process.cwd(), path.join(repo, TREES['i14-function-typed-callback']))]);
    const abs = await protos(['--json', path.join(repo, TREES['i14-function-typed-callback'])]);
    expect(rel.out).toBe(abs.out);
  });
});
