// Bad input never throws: random bytes, files cut in the middle of a definition, unbalanced braces, parentheses
// and conditionals, and very long lines. Inputs are generated from fixed seeds so a failure is reproducible.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFacts } from '../../../server/src/facts/extract';
import { neutralize } from '../../../server/src/parse/neutralize';
import { scanSource } from '../../../server/src/parse/scanner';
import { initParser } from '../../../server/src/parse/treeSitter';
import { rng } from '../../helpers/rng';

beforeAll(async () => {
  await initParser();
});


/** The neutraliser's promise holds on any input: same length, line breaks where they were, blanks only. */
function expectOffsetsKept(input: string): void {
  const out = neutralize(scanSource(input)).text;
  expect(out.length).toBe(input.length);
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== out[i] && (out[i] !== ' ' || input[i] === '\n' || input[i] === '\r')) {
      throw new Error(`offset ${i}: ${JSON.stringify(input[i])} became ${JSON.stringify(out[i])}`);
    }
  }
}

const TOKENS = [
  '__bpf_kfunc ', 'static ', 'inline ', 'int ', 'struct task_struct ', '*', 'f', 'bpf_x', '(', ')', '{', '}', ';', ',',
  'void', '\n', '\r\n', ' ', '\t', '/*', '*/', '//', '"', "'", '\\', '\\\n', '#', '#if A\n', '#ifdef B\n', '#else\n',
  '#elif C\n', '#endif\n', '#define X(a) ', 'BTF_KFUNCS_START(s)', 'BTF_KFUNCS_END(s)', 'BTF_ID_FLAGS(func, ',
  'KF_ACQUIRE | ', 'KF_RET_NULL', 'BTF_ID_LIST(l)\n', 'BTF_ID(func, d)\n', 'BTF_ID_UNUSED\n', 'BTF_SET8_START(o)',
  'BPF_CALL_2(', '__diag_pop()', '__bpf_kfunc_start_defs();', 'LIST_xxx\n', '.set = &s', 'register_btf_kfunc_id_set(',
  'struct btf_kfunc_id_set k = {', '[', ']', '=', 'é', '\u2028', '\ud83d\ude00', '\ud800',
];

function tokenSoup(seed: number, count: number): string {
  const r = rng(seed);
  let s = '';
  for (let i = 0; i < count; i++) s += TOKENS[Math.floor(r() * TOKENS.length)];
  return s;
}

const EXAMPLE = readFileSync(path.join(__dirname, '../../fixtures/patterns/i14-function-typed-callback/kernel/bpf/helpers.c'), 'utf8');

describe('never throws', () => {
  it('random bytes decoded leniently (invalid UTF-8 becomes U+FFFD)', () => {
    const decoder = new TextDecoder('utf-8', { fatal: false });
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const bytes = new Uint8Array(512 + Math.floor(r() * 8192));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
      const text = decoder.decode(bytes);
      const facts = extractFacts(`random-${seed}.c`, text);
      expect(facts.path).toBe(`random-${seed}.c`);
      expectOffsetsKept(text);
    }
  });

  it('random soups of C and kernel-macro tokens; offsets are kept on each', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = tokenSoup(seed, 40 + (seed % 7) * 60);
      let facts;
      try {
        facts = extractFacts(`soup-${seed}.c`, text);
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).stack}\n--- input ---\n${text}`);
      }
      expect(facts.path).toBe(`soup-${seed}.c`);
      expectOffsetsKept(text);
    }
  });

  it('a file cut at any point (in the middle of a definition, a set, a comment or a directive)', () => {
    expect(EXAMPLE.length).toBeGreaterThan(500);
    const full = extractFacts('full.c', EXAMPLE);
    const names = new Set(full.functions.map((f) => f.name));
    for (let cut = 0; cut <= EXAMPLE.length; cut += 3) {
      const facts = extractFacts('cut.c', EXAMPLE.slice(0, cut));
      // A prefix never invents a kfunc the whole file does not have.
      for (const f of facts.functions) expect(names.has(f.name), `cut at ${cut}: ${f.name}`).toBe(true);
    }
  });

  it('unbalanced braces, parentheses and conditionals', () => {
    const cases = [
      '__bpf_kfunc int f(void) {\n\tif (x) {\n',
      '}}}}\n__bpf_kfunc int g(void) { return 0; }\n',
      '__bpf_kfunc int f(int a, struct task_struct *p\n__bpf_kfunc int g(void) { return 0; }\n',
      ')))\nBTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, f, (KF_A | KF_B)\nBTF_KFUNCS_END(s)\n',
      '#if A\n#ifdef B\n__bpf_kfunc int f(void) { return 0; }\n',
      '#endif\n#endif\n#else\n__bpf_kfunc int f(void) { return 0; }\n',
      '#if A\n__bpf_kfunc int f(void) {\n#else\n__bpf_kfunc int f(int a) {\n#endif\n\treturn 0;\n}\n',
      'BTF_ID_FLAGS(func, orphan, KF_RCU)\nBTF_KFUNCS_END(nothing)\n',
      '/* never closed\n__bpf_kfunc int f(void) { return 0; }\n',
      'char *s = "never closed\n__bpf_kfunc int f(void) { return 0; }\n',
      '#define BROKEN(a, \\\n',
      'BTF_KFUNCS_START(s)\nLIST(\nBTF_KFUNCS_END(s)\n',
    ];
    for (const text of cases) {
      const facts = extractFacts('u.c', text);
      expect(facts.skipped).toBeNull();
      expectOffsetsKept(text);
    }
    expect(extractFacts('u.c', cases[4]).unterminatedConditionals).toBe(2);
    // One broken construct does not hide the function after it.
    expect(extractFacts('u.c', cases[1]).functions.map((f) => f.name)).toEqual(['g']);
  });

  it('a 5 MB line: flags, a comment, a string, code', () => {
    const M = 5 * 1024 * 1024;
    const flags = extractFacts('long.c', `BTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, f, ${'KF_RCU|'.repeat(M / 7)}KF_ACQUIRE)\nBTF_KFUNCS_END(s)\n`);
    expect(flags.sets[0].entries[0].flags.at(-1)).toBe('KF_ACQUIRE');
    const comment = extractFacts('long.c', `// ${'x'.repeat(M)}\n__bpf_kfunc int f(void) { return 0; }\n`);
    expect(comment.functions.map((f) => f.name)).toEqual(['f']);
    const str = extractFacts('long.c', `const char *s = "${'y'.repeat(M)}";\n__bpf_kfunc int f(void) { return 0; }\n`);
    expect(str.functions.map((f) => f.name)).toEqual(['f']);
    // Long identifiers keep the token count (and tree-sitter's time) moderate; the line is still 5 MB.
    const term = `v${'_'.repeat(1022)}+`;
    const code = extractFacts('long.c', `int x = ${term.repeat(M / term.length)}1;\n__bpf_kfunc int f(void) { return 0; }\n`);
    expect(code.functions.map((f) => f.name)).toEqual(['f']);
  }, 120_000);

  it('pathological nesting: 200k nested #if and a 100k-branch #elif chain', () => {
    const deep = extractFacts('deep.c', '#if A\n'.repeat(200_000) + '__bpf_kfunc int f(void) { return 0; }\n');
    expect(deep.unterminatedConditionals).toBe(200_000);
    expect(deep.functions[0].guard?.startsWith('A && A')).toBe(true);
    const chain = extractFacts('chain.c', '#if A\n' + '#elif B\n'.repeat(100_000) + '__bpf_kfunc int f(void) { return 0; }\n#endif\n');
    expect(chain.functions[0].guard?.startsWith('!A && !B')).toBe(true);
  }, 120_000);

  it('a 100k-deep parenthesised expression', () => {
    const facts = extractFacts('parens.c', `int x = ${'('.repeat(100_000)}1${')'.repeat(100_000)};\n__bpf_kfunc int f(void) { return 0; }\n`);
    expect(facts.functions.map((f) => f.name)).toEqual(['f']);
  });
});
