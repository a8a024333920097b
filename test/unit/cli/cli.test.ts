// The command line in process (contracts §2): usage errors exit 2, and bad files inside a walked tree are skipped
// with a note without stopping the run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../server/src/config';
import { runCli } from '../../../server/src/cli/main';
import { parseArgs, UsageError } from '../../../server/src/cli/args';
import { decodeSource, hasKfuncMarker, walkSourceFiles } from '../../../server/src/workspace/sourceFiles';
import { indexPaths } from '../../../server/src/workspace/indexPaths';
import { initParser } from '../../../server/src/parse/treeSitter';

async function run(argv: string[]) {
  let out = '';
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => (out += t), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

let dir: string;
const write = (rel: string, content: string | Buffer) => {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
};

const GOOD = `#include <linux/btf.h>

__bpf_kfunc int bpf_good(struct task_struct *p)
{
	return 0;
}

BTF_KFUNCS_START(good_ids)
BTF_ID_FLAGS(func, bpf_good, KF_RCU)
BTF_KFUNCS_END(good_ids)
`;

beforeAll(async () => {
  await initParser();
  dir = mkdtempSync(path.join(tmpdir(), 'kfunc-cli-'));
  write('Makefile', 'VERSION = 6\nPATCHLEVEL = 12\n');
  write('kernel/bpf/good.c', GOOD);
  // Binary (NUL bytes) and invalid UTF-8, both containing a marker so the prefilter lets them through.
  write('kernel/bpf/blob.c', Buffer.concat([Buffer.from('__bpf_kfunc int bpf_blob(void) {}\n'), Buffer.from([0, 1, 2, 0, 0xff])]));
  write('kernel/bpf/latin1.c', Buffer.concat([Buffer.from('/* caf'), Buffer.from([0xe9]), Buffer.from(' */\n__bpf_kfunc int bpf_latin1(void) { return 0; }\n')]));
  // Over the limit used below (1 KB).
  write('kernel/bpf/huge.c', `__bpf_kfunc int bpf_huge(void) { return 0; }\n/* ${'x'.repeat(4096)} */\n`);
  // Skipped directories.
  write('tools/testing/selftests/bpf/progs/ksym.c', 'extern int bpf_progs_only(void) __ksym;\n__bpf_kfunc int bpf_in_progs(void) { return 0; }\n');
  write('.git/objects/x.c', '__bpf_kfunc int bpf_in_git(void) { return 0; }\n');
  write('node_modules/m/x.c', '__bpf_kfunc int bpf_in_node_modules(void) { return 0; }\n');
  write('kernel/bpf/notes.txt', '__bpf_kfunc int bpf_not_c(void) { return 0; }\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('usage errors exit 2', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown command', ['frobnicate', '.'], /unknown command frobnicate/],
    ['protos without PATH', ['protos'], /needs at least one PATH/],
    ['check without PATH', ['check', '--json'], /needs at least one PATH/],
    ['a PATH that does not exist', ['protos', '/nonexistent/kfunc-lsp-test'], /no such file or directory/],
    ['an unknown option', ['protos', '--frob', '.'], /unknown option --frob/],
    ['an option of another command', ['protos', '--fix', '.'], /unknown option --fix/],
    ['a value option without a value', ['protos', '.', '--kernel-version'], /--kernel-version needs a value/],
    ['a bad --format', ['protos', '--format', 'sarif', '.'], /--format must be one of text, json/],
    ['a bad --kernel-version', ['protos', '--kernel-version', 'six', '.'], /--kernel-version must look like 6.12/],
    ['a bad --severity', ['check', '--severity', 'kfunc-static=loud', '.'], /--severity wants CODE=/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    });
  }

  it('no command: the usage text, exit 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.out + r.err).toMatch(/usage:/);
  });

  it('a --config that is not JSON', async () => {
    const bad = write('bad-config.json', '{ not json');
    const r = await run(['protos', '--config', bad, dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read config/);
  });

  it('--help prints the usage and exits 0', async () => {
    const r = await run(['protos', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage:/);
  });

  it('parseArgs: --opt=value, -- ends options, repeated --severity', () => {
    const a = parseArgs(['check', '--severity=a=off', '--severity', 'b=hint', '--', '--weird-path']);
    expect(a.paths).toEqual(['--weird-path']);
    expect(a.repeated.get('--severity')).toEqual(['a=off', 'b=hint']);
    expect(() => parseArgs(['protos', '--json=yes'])).toThrow(UsageError);
  });
});

describe('bad files in a walked tree', () => {
  const small = () => {
    const s = defaultSettings();
    s.index.maxFileSizeKB = 1;
    return s;
  };

  it('indexPaths skips binary, non-UTF-8 and oversized files with a note each, and indexes the rest', async () => {
    const result = await indexPaths([dir], small());
    const notes = result.notes.map((n) => [path.relative(dir, n.file), n.message]).sort();
    expect(notes).toEqual([
      ['kernel/bpf/blob.c', 'skipped: binary file (contains NUL bytes)'],
      ['kernel/bpf/huge.c', 'skipped: larger than 1 KB'],
      ['kernel/bpf/latin1.c', 'skipped: not valid UTF-8'],
    ]);
    expect([...result.index.model.kfuncs.keys()]).toEqual(['bpf_good']);
    // The skipped files are known to the index, with the reason.
    expect(result.index.facts(path.join(dir, 'kernel/bpf/blob.c'))?.skipped).toBe('binary file (contains NUL bytes)');
  });

  it('the walk skips .git, node_modules, progs/ and files that are not .c/.h', () => {
    const files = walkSourceFiles(dir, { exclude: defaultSettings().index.exclude }).map((f) => path.relative(dir, f)).sort();
    expect(files).toEqual(['kernel/bpf/blob.c', 'kernel/bpf/good.c', 'kernel/bpf/huge.c', 'kernel/bpf/latin1.c']);
  });

  it('protos over the tree: exit 0, the good kfunc on stdout, one note per skipped file on stderr', async () => {
    const config = write('small.json', JSON.stringify({ index: { maxFileSizeKB: 1 } }));
    const r = await run(['protos', '--json', '--config', config, dir]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.kfuncs.map((k: { name: string }) => k.name)).toEqual(['bpf_good']);
    expect(json.kfuncs[0]).toMatchObject({ file: 'kernel/bpf/good.c', line: 3 });
    expect(r.err.split('\n').filter((l) => l.includes('skipped')).length).toBe(3);
    expect(r.err).toMatch(/blob\.c: skipped: binary/);
  });

  it('with the default size limit the big file is read', async () => {
    const r = await run(['protos', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('extern int bpf_good(struct task_struct *p) __weak __ksym;');
    expect(r.err).not.toMatch(/huge\.c/);
  });

  it('--kernel-version overrides the Makefile', async () => {
    const r = await run(['protos', '--json', '--kernel-version', '6.1', dir]);
    expect(JSON.parse(r.out).kernelVersion).toBe('6.1');
    const auto = await run(['protos', '--json', dir]);
    expect(JSON.parse(auto.out).kernelVersion).toBe('6.12');
  });

  it('a single file as PATH', async () => {
    const r = await run(['protos', '--json', path.join(dir, 'kernel/bpf/good.c')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).kfuncs.map((k: { name: string }) => k.name)).toEqual(['bpf_good']);
  });
});

describe('decodeSource and the prefilter', () => {
  it('decodes UTF-8 (a BOM is not part of the text), refuses NUL, bad UTF-8 and size', () => {
    expect(decodeSource(Buffer.from('int x; /* é */'), 1024)).toEqual({ text: 'int x; /* é */', size: 15 });
    const bom = decodeSource(Buffer.from('\ufeff__bpf_kfunc int x;'), 1024);
    expect('text' in bom && bom.text.trimStart()).toBe('__bpf_kfunc int x;');
    expect(decodeSource(Buffer.from([0x41, 0, 0x42]), 1024)).toMatchObject({ skipped: 'binary file (contains NUL bytes)' });
    expect(decodeSource(Buffer.from([0x41, 0xc3, 0x28]), 1024)).toMatchObject({ skipped: 'not valid UTF-8' });
    expect(decodeSource(Buffer.alloc(2048, 0x41), 1024)).toMatchObject({ skipped: 'larger than 1 KB' });
  });

  it('the prefilter finds each marker and nothing else', () => {
    for (const m of ['__bpf_kfunc', 'BTF_KFUNCS_START', 'BTF_SET8_START', 'BTF_ID_FLAGS', 'register_btf_kfunc_id_set']) {
      expect(hasKfuncMarker(Buffer.from(`int x;\n${m}(y)\n`)), m).toBe(true);
    }
    expect(hasKfuncMarker(Buffer.from('BTF_ID_LIST(x)\nBTF_ID(func, y)\nBTF_SET_START(z)\n'))).toBe(false);
    expect(hasKfuncMarker(Buffer.from('BTF_'))).toBe(false);
  });
});
