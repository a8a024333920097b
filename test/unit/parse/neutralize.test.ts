// The neutraliser blanks what the preprocessor would rewrite, so tree-sitter reads the C that is left at the same
// offsets. Checked two ways: the text keeps every offset (same length, same line breaks, only spaces added), and
// the facts extracted afterwards see the declarations the kernel compiler sees.
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFacts } from '../../../server/src/facts/extract';
import { neutralize } from '../../../server/src/parse/neutralize';
import { scanSource } from '../../../server/src/parse/scanner';
import { initParser } from '../../../server/src/parse/treeSitter';

beforeAll(async () => {
  await initParser();
});

function masked(text: string) {
  return neutralize(scanSource(text));
}

/** Offsets are kept: same length, every \n and \r where it was, and every changed character became a space. */
function expectOffsetsKept(input: string, output: string): void {
  expect(output.length).toBe(input.length);
  for (let i = 0; i < input.length; i++) {
    const a = input[i];
    const b = output[i];
    if (a === '\n' || a === '\r') expect(b, `line break at ${i}`).toBe(a);
    else if (a !== b) expect(b, `offset ${i} (${JSON.stringify(a)})`).toBe(' ');
  }
}

const KERNEL_FILE = `// SPDX-License-Identifier: GPL-2.0
#include <linux/btf.h>
#include <linux/btf_ids.h>

__diag_push();
__diag_ignore_all("-Wmissing-prototypes",
\t\t  "Global functions as their definitions will be in vmlinux BTF");

__bpf_kfunc_start_defs();

/**
 * bpf_thing_acquire - take a thing
 */
__bpf_kfunc static struct thing *bpf_thing_acquire(struct thing __rcu *t, const char __user *name)
{
\treturn t;
}
__diag_pop()

__bpf_kfunc_end_defs();

BPF_CALL_2(bpf_helper_add, int, a, int, b)
{
\treturn a + b;
}

#define THING_KFUNC_LIST(X) X(bpf_thing_acquire) X(bpf_thing_peek)
#define THING_ENTRY(name) BTF_ID_FLAGS(func, name, KF_RCU)

BTF_KFUNCS_START(thing_kfunc_ids)
BTF_ID_FLAGS(func, bpf_thing_acquire, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_thing_release, \\
\t     KF_RELEASE)
THING_KFUNC_LIST(THING_ENTRY)
BTF_KFUNCS_END(thing_kfunc_ids)

BTF_ID_LIST(thing_dtor_ids)
BTF_ID(struct, thing)
BTF_ID(func, bpf_thing_release_dtor)

static const struct btf_kfunc_id_set thing_kfunc_set = {
\t.owner = THIS_MODULE,
\t.set   = &thing_kfunc_ids,
};

static int __init thing_kfunc_init(void)
{
\treturn register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &thing_kfunc_set);
}
late_initcall(thing_kfunc_init);
`;

describe('offsets', () => {
  it('keeps length, line breaks and columns on a kernel-like file', () => {
    const out = masked(KERNEL_FILE).text;
    expectOffsetsKept(KERNEL_FILE, out);
    // Things that are C stay exactly where they were.
    for (const word of ['static struct thing *bpf_thing_acquire(', 'static const struct btf_kfunc_id_set thing_kfunc_set', 'thing_kfunc_init(void)']) {
      const at = KERNEL_FILE.indexOf(word);
      expect(out.slice(at, at + word.length)).toBe(word);
    }
  });

  it('keeps offsets on a CRLF file, including CRs inside blanked multi-line macros', () => {
    const crlf = KERNEL_FILE.replace(/\n/g, '\r\n');
    const out = masked(crlf).text;
    expectOffsetsKept(crlf, out);
    expect(out.split('\r\n').length).toBe(crlf.split('\r\n').length);
  });

  it('blanks directives (with their continuation lines) but keeps their line breaks', () => {
    const text = '#define X(a) \\\n\tfoo(a)\nint y;\n';
    const out = masked(text).text;
    expectOffsetsKept(text, out);
    expect(out).toBe(' '.repeat(14) + '\n' + ' '.repeat(7) + '\nint y;\n');
  });

  it('leaves comments, strings and code that mention macro names alone', () => {
    const text = '/* __bpf_kfunc BTF_ID_FLAGS(func, x) */\nconst char *s = "__bpf_kfunc";\n';
    expect(masked(text).text).toBe(text);
  });
});

describe('attribute macros', () => {
  it('are blanked and remembered, with the storage class after them', () => {
    const text = '__bpf_kfunc static struct x *f(int a)\n{\n\treturn 0;\n}\n';
    const n = masked(text);
    expect(n.text.startsWith(' '.repeat('__bpf_kfunc'.length) + ' static struct x *f(')).toBe(true);
    expect(n.attributes.map((a) => [a.name, a.start, a.end])).toEqual([['__bpf_kfunc', 0, 11]]);
  });

  it('tree-sitter then reads the function: static storage, struct pointer return, no ERROR node', () => {
    const text = '__bpf_kfunc static struct x *f(int a)\n{\n\treturn 0;\n}\n';
    const facts = extractFacts('t.c', text);
    expect(facts.parseErrors).toBe(0);
    expect(facts.functions).toHaveLength(1);
    const f = facts.functions[0];
    expect([f.name, f.storage, f.ret.text, f.bpfKfuncSpan?.start, f.attributes]).toEqual(['f', 'static', 'struct x *', 0, ['__bpf_kfunc']]);
  });

  it('several attributes, before and after the storage class', () => {
    const text = '__weak noinline __bpf_kfunc __used int g(void)\n{\n\treturn 0;\n}\n';
    const facts = extractFacts('t.c', text);
    expect(facts.parseErrors).toBe(0);
    expect(facts.functions[0].attributes).toEqual(['__weak', 'noinline', '__bpf_kfunc', '__used']);
    expect(facts.functions[0].ret.text).toBe('int');
  });

  it('annotation macros with arguments are blanked with their arguments', () => {
    const text = '__printf(2, 3) __bpf_kfunc int bpf_log(void *ctx, const char *fmt, ...)\n{\n\treturn 0;\n}\n';
    const n = masked(text);
    expectOffsetsKept(text, n.text);
    expect(n.text.indexOf('__printf')).toBe(-1);
    const facts = extractFacts('t.c', text);
    expect(facts.parseErrors).toBe(0);
    expect(facts.functions[0].variadic).toBe(true);
  });
});

describe('statement macros', () => {
  it('__diag_pop() without a semicolon does not swallow the next function', () => {
    const text = '__diag_push();\n__diag_ignore_all("-Wmissing-prototypes", "x");\n__bpf_kfunc int a(void) { return 0; }\n__diag_pop()\n\n__bpf_kfunc int b(void) { return 1; }\n';
    const n = masked(text);
    expect(n.statements.map((s) => s.name)).toEqual(['__diag_push', '__diag_ignore_all', '__diag_pop']);
    const facts = extractFacts('t.c', text);
    expect(facts.parseErrors).toBe(0);
    expect(facts.functions.map((f) => f.name)).toEqual(['a', 'b']);
    // a is inside the old-style diag region, b after its pop is not.
    expect(facts.functions.map((f) => f.inDefsRegion)).toEqual([true, false]);
  });

  it('statement macros keep their argument text (for the regions the rules care about)', () => {
    const n = masked('__diag_ignore_all("-Wmissing-prototypes",\n\t"Global functions");\n');
    expect(n.statements[0].argText).toBe('"-Wmissing-prototypes", "Global functions"');
  });

  it('start/end defs regions are found, nested inside the old __diag form', () => {
    const facts = extractFacts('t.c', KERNEL_FILE);
    expect(facts.regions.map((r) => [r.kind, r.start.line, r.end?.line ?? null])).toEqual([
      ['diag', 5, 17],
      ['kfunc-defs', 8, 19],
    ]);
  });
});

describe('BTF macros', () => {
  it('a set written without semicolons leaves the id-set initialiser and the init function to tree-sitter', () => {
    const facts = extractFacts('t.c', KERNEL_FILE, { allFunctions: true });
    expect(facts.parseErrors).toBe(0);
    expect(facts.idSets.map((s) => [s.name, s.set, s.filter])).toEqual([['thing_kfunc_set', 'thing_kfunc_ids', null]]);
    expect(facts.registrations.map((r) => [r.fn, r.progType, r.idSet])).toEqual([
      ['register_btf_kfunc_id_set', 'BPF_PROG_TYPE_TRACING', 'thing_kfunc_set'],
    ]);
    const init = facts.functions.find((f) => f.name === 'thing_kfunc_init');
    expect(init).toBeDefined();
    expect([init!.kind, init!.storage, init!.attributes]).toEqual(['definition', 'static', ['__init']]);
  });

  it('every BTF_* call is blanked through its closing paren (and a trailing ;)', () => {
    const text = 'BTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, f, KF_A);\nBTF_ID_FLAGS(func, g,\n\tKF_B)\nBTF_KFUNCS_END(s)\nint after;\n';
    const n = masked(text);
    expectOffsetsKept(text, n.text);
    expect(n.text.replace(/\s+/g, ' ').trim()).toBe('int after;');
    expect(n.calls.map((c) => [c.name, text.slice(c.start, c.end)])).toEqual([
      ['BTF_KFUNCS_START', 'BTF_KFUNCS_START(s)'],
      ['BTF_ID_FLAGS', 'BTF_ID_FLAGS(func, f, KF_A);'],
      ['BTF_ID_FLAGS', 'BTF_ID_FLAGS(func, g,\n\tKF_B)'],
      ['BTF_KFUNCS_END', 'BTF_KFUNCS_END(s)'],
    ]);
  });

  it('BTF_ID inside a function body (a lookup, not a set) is not touched', () => {
    const text = 'int f(void)\n{\n\treturn BTF_ID(func, x);\n}\n';
    expect(masked(text).text).toBe(text);
  });

  it('X-macro lines inside a set and after BTF_ID_LIST are blanked as invocations', () => {
    const text = [
      'BTF_KFUNCS_START(xdp_ids)',
      'XDP_METADATA_KFUNC_xxx',
      'BTF_KFUNCS_END(xdp_ids)',
      'BTF_ID_LIST(xdp_list)',
      'XDP_METADATA_KFUNC_xxx',
      'static int after_list(void) { return 0; }',
      '',
    ].join('\n');
    const n = masked(text);
    expectOffsetsKept(text, n.text);
    const inv = n.calls.filter((c) => c.kind === 'invocation');
    expect(inv.map((c) => c.start)).toEqual([text.indexOf('XDP_METADATA_KFUNC_xxx'), text.lastIndexOf('XDP_METADATA_KFUNC_xxx')]);
    expect(n.text.indexOf('XDP_METADATA')).toBe(-1);
    // The list after BTF_ID_LIST ends at the first line that is not an invocation: the function stays.
    const facts = extractFacts('t.c', text, { allFunctions: true });
    expect(facts.parseErrors).toBe(0);
    expect(facts.functions.map((f) => f.name)).toEqual(['after_list']);
  });

  it('an X-macro call with arguments inside a set is blanked through its parens', () => {
    const text = 'BTF_KFUNCS_START(s)\nLIST(ENTRY)\nBTF_KFUNCS_END(s)\n';
    const n = masked(text);
    expect(n.calls.find((c) => c.kind === 'invocation')?.args?.map((a) => a.text)).toEqual(['ENTRY']);
    expect(n.text.trim()).toBe('');
  });

  it('an unterminated set does not swallow the declarations after it', () => {
    const text = 'BTF_KFUNCS_START(open_ids)\nBTF_ID_FLAGS(func, f)\n\nstatic const struct btf_kfunc_id_set s = {\n\t.set = &open_ids,\n};\n';
    const facts = extractFacts('t.c', text);
    expect(facts.parseErrors).toBe(0);
    expect(facts.idSets.map((s) => s.set)).toEqual(['open_ids']);
    expect(facts.sets[0].endSpan).toBeNull();
  });
});

describe('function-head macros', () => {
  it('BPF_CALL_n heads are blanked; the body stays and later functions are read', () => {
    const text = 'BPF_CALL_2(bpf_add, int, a, int, b)\n{\n\treturn a + b;\n}\n\n__bpf_kfunc int bpf_next(void)\n{\n\treturn 0;\n}\n';
    const n = masked(text);
    expectOffsetsKept(text, n.text);
    expect(n.text.startsWith(' '.repeat('BPF_CALL_2(bpf_add, int, a, int, b)'.length) + '\n{')).toBe(true);
    const facts = extractFacts('t.c', text);
    expect(facts.parseErrors).toBe(0);
    expect(facts.functions.map((f) => [f.name, f.nameSpan.line])).toEqual([['bpf_next', 5]]);
  });

  it('NOTRACE_BPF_CALL_1 and SYSCALL_DEFINE3 too', () => {
    const text = 'NOTRACE_BPF_CALL_1(bpf_x, int, a)\n{\n\treturn a;\n}\nSYSCALL_DEFINE3(bpf, int, cmd, void __user *, uattr, unsigned int, size)\n{\n\treturn 0;\n}\n';
    const facts = extractFacts('t.c', text);
    expect(facts.parseErrors).toBe(0);
    expectOffsetsKept(text, masked(text).text);
  });
});
