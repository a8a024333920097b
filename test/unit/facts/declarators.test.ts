// C declarators → type strings (contracts §2.1): single spaces, qualifiers before the base type, typedef names
// kept, array and function parameters decayed to pointers (C11 6.7.6.3p7-8), parameter names dropped inside
// function types, kernel annotations gone. Expected strings are the C spellings of the declared types.
import { beforeAll, describe, expect, it } from 'vitest';
import { NAME_SLOT } from '../../../server/src/facts/declarators';
import { extractFacts } from '../../../server/src/facts/extract';
import type { FunctionFact } from '../../../server/src/facts/types';
import { declLine } from '../../../server/src/model/prototypes';
import { initParser } from '../../../server/src/parse/treeSitter';

beforeAll(async () => {
  await initParser();
});

/** The one function of a snippet. */
function fn(source: string): FunctionFact {
  const facts = extractFacts('t.c', source, { allFunctions: true });
  expect(facts.parseErrors, 'parse errors').toBe(0);
  expect(facts.functions).toHaveLength(1);
  return facts.functions[0];
}

/** Name and type text of each parameter of `int f(<params>);`. */
function params(list: string): Array<[string | null, string]> {
  return fn(`int f(${list});\n`).params.map((p) => [p.name, p.type.text]);
}

/** The type text of the single parameter `decl`. */
function typeOf(decl: string): string {
  const ps = fn(`int f(${decl});\n`).params;
  expect(ps).toHaveLength(1);
  return ps[0].type.text;
}

describe('parameter types', () => {
  it('struct pointers, pointers to pointers, const', () => {
    expect(params('struct task_struct *p, const char *name, char **argv, const struct cpumask *mask')).toEqual([
      ['p', 'struct task_struct *'],
      ['name', 'const char *'],
      ['argv', 'char **'],
      ['mask', 'const struct cpumask *'],
    ]);
  });

  it('const after the base type is the same type as const before it', () => {
    expect(typeOf('char const *s')).toBe('const char *');
    expect(typeOf('struct sock const *sk')).toBe('const struct sock *');
  });

  it('a const pointer (char *const) keeps const on the pointer', () => {
    expect(typeOf('char *const p')).toBe('char *const');
    expect(typeOf('const char *const *names')).toBe('const char *const *');
  });

  it('typedef names are kept, not resolved', () => {
    expect(params('u32 a, __u64 b, size_t len, bpf_callback_t cb, u8 *buf')).toEqual([
      ['a', 'u32'],
      ['b', '__u64'],
      ['len', 'size_t'],
      ['cb', 'bpf_callback_t'],
      ['buf', 'u8 *'],
    ]);
  });

  it('multi-word integer types with single spaces', () => {
    expect(params('unsigned long flags, unsigned int  n, long long v, unsigned char c, signed char s')).toEqual([
      ['flags', 'unsigned long'],
      ['n', 'unsigned int'],
      ['v', 'long long'],
      ['c', 'unsigned char'],
      ['s', 'signed char'],
    ]);
  });

  it('enum and union parameters', () => {
    expect(params('enum bpf_dynptr_type type, union bpf_attr *attr')).toEqual([
      ['type', 'enum bpf_dynptr_type'],
      ['attr', 'union bpf_attr *'],
    ]);
    const p = fn('int f(enum bpf_dynptr_type type);\n').params[0];
    expect([p.type.baseKind, p.type.base]).toEqual(['enum', 'enum bpf_dynptr_type']);
  });

  it('arrays decay to pointers (only the outermost dimension)', () => {
    expect(typeOf('int a[4]')).toBe('int *');
    expect(typeOf('char *argv[]')).toBe('char **');
    expect(typeOf('u8 m[][8]')).toBe('u8 (*)[8]');
    expect(typeOf('const u32 ids[BPF_MAX]')).toBe('const u32 *');
  });

  it('a function-typed parameter decays to a function pointer; names inside are dropped', () => {
    // kernel/bpf/helpers.c bpf_wq_set_callback_impl: int (callback_fn)(void *map, int *key, void *value)
    const p = fn('int f(int (callback_fn)(void *map, int *key, void *value));\n').params[0];
    expect([p.name, p.type.text]).toEqual(['callback_fn', 'int (*)(void *, int *, void *)']);
    expect(typeOf('int (cb)(void *a, int *b)')).toBe('int (*)(void *, int *)');
    // bpf_rbtree_add_impl's less: bool (less)(struct bpf_rb_node *a, const struct bpf_rb_node *b)
    expect(typeOf('bool (less)(struct bpf_rb_node *a, const struct bpf_rb_node *b)')).toBe(
      'bool (*)(struct bpf_rb_node *, const struct bpf_rb_node *)',
    );
  });

  it('a function-typed parameter without parentheses around the name decays too', () => {
    expect(typeOf('int cb(void *a)')).toBe('int (*)(void *)');
  });

  it('an array of function pointers decays to a pointer to function pointer', () => {
    expect(typeOf('void (*fns[4])(void)')).toBe('void (**)(void)');
  });

  it('a pointer to a function returning a pointer to an array', () => {
    expect(typeOf('char (*(*x)(void))[3]')).toBe('char (*(*)(void))[3]');
  });

  it('function pointers', () => {
    expect(params('int (*cb)(void *ctx), void (*done)(void), struct sk_buff *(*get)(int i, ...)')).toEqual([
      ['cb', 'int (*)(void *)'],
      ['done', 'void (*)(void)'],
      ['get', 'struct sk_buff *(*)(int, ...)'],
    ]);
  });

  it('a function type without parameters inside is `(void)`; pointer to array', () => {
    expect(typeOf('int (*cb)()')).toBe('int (*)(void)');
    expect(typeOf('int (*rows)[4]')).toBe('int (*)[4]');
  });

  it('unnamed parameters', () => {
    expect(params('struct sock *, u32, const char *, int (*)(void *)')).toEqual([
      [null, 'struct sock *'],
      [null, 'u32'],
      [null, 'const char *'],
      [null, 'int (*)(void *)'],
    ]);
  });

  it('(void) means no parameters; () too', () => {
    expect(fn('int f(void);\n').params).toEqual([]);
    expect(fn('int f();\n').params).toEqual([]);
    // `void *` is a parameter, not "no parameters".
    expect(params('void *')).toEqual([[null, 'void *']]);
  });

  it('varargs: the named parameters, and variadic set', () => {
    const f = fn('int bpf_log(void *ctx, const char *fmt, ...);\n');
    expect(f.params.map((p) => p.name)).toEqual(['ctx', 'fmt']);
    expect(f.variadic).toBe(true);
    expect(fn('int g(int a);\n').variadic).toBe(false);
  });

  it('kernel annotations are dropped: __user, __rcu, __percpu, __iomem, __force', () => {
    expect(
      params('const char __user *ubuf, struct task_struct __rcu *t, int __percpu *pcpu, void __iomem *regs, void __force *p'),
    ).toEqual([
      ['ubuf', 'const char *'],
      ['t', 'struct task_struct *'],
      ['pcpu', 'int *'],
      ['regs', 'void *'],
      ['p', 'void *'],
    ]);
  });

  it('a parameter written over several lines', () => {
    expect(params('struct bpf_dynptr_kern\n\t\t*ptr,\n\t\tu32   offset')).toEqual([
      ['ptr', 'struct bpf_dynptr_kern *'],
      ['offset', 'u32'],
    ]);
  });

  it('derivations and base of a pointer to pointer', () => {
    const t = fn('int f(const char **pp);\n').params[0].type;
    expect([t.base, t.baseKind, t.qualifiers, t.derivations]).toEqual(['char', 'primitive', ['const'], ['ptr', 'ptr']]);
  });
});

describe('TypeInfo.named', () => {
  it('puts the name where C declares it', () => {
    const ps = fn('int f(struct task_struct *p, u32 n, int (*cb)(void *), char *const q, int arr[2]);\n').params;
    expect(ps.map((p) => p.type.named.replace(NAME_SLOT, p.name!))).toEqual([
      'struct task_struct *p',
      'u32 n',
      'int (*cb)(void *)',
      'char *const q',
      'int *arr',
    ]);
  });

  it('a function-typed parameter gets its name inside (*name)', () => {
    const p = fn('int f(int (callback_fn)(void *map, int *key, void *value));\n').params[0];
    expect(p.type.named.replace(NAME_SLOT, 'callback_fn')).toBe('int (*callback_fn)(void *, int *, void *)');
  });
});

describe('return types', () => {
  it('a return type on its own line', () => {
    const f = fn('__bpf_kfunc struct nf_conn___init *\nbpf_xdp_ct_alloc(struct xdp_md *xdp_ctx, u32 opts__sz)\n{\n\treturn NULL;\n}\n');
    expect([f.name, f.ret.text, f.nameSpan.line]).toEqual(['bpf_xdp_ct_alloc', 'struct nf_conn___init *', 1]);
  });

  it('const struct cpumask * and other qualified or typedef returns', () => {
    expect(fn('__bpf_kfunc const struct cpumask *scx_bpf_get_possible_cpumask(void)\n{\n\treturn 0;\n}\n').ret.text).toBe(
      'const struct cpumask *',
    );
    expect(fn('__u8 *hid_bpf_get_data(struct hid_bpf_ctx *ctx, unsigned int offset, const size_t rdwr_buf_size);\n').ret.text).toBe(
      '__u8 *',
    );
    expect(fn('void *bpf_obj_new_impl(u64 local_type_id__k, void *meta__ign);\n').ret.text).toBe('void *');
    expect(fn('unsigned long f(void);\n').ret.text).toBe('unsigned long');
  });

  it('a function returning a function pointer', () => {
    const f = fn('int (*get_cb(void))(int x);\n');
    expect(f.ret.text).toBe('int (*)(int)');
    expect(declLine('get_cb', f.ret, [], false, false)).toBe('extern int (*get_cb(void))(int) __weak __ksym;');
  });

  it('the vmlinux.h line puts the name and parameters where C wants them', () => {
    const f = fn('struct task_struct *bpf_task_acquire(struct task_struct *p);\n');
    expect(declLine(f.name, f.ret, f.params, f.variadic, false)).toBe(
      'extern struct task_struct *bpf_task_acquire(struct task_struct *p) __weak __ksym;',
    );
    const g = fn('int bpf_wq_set_callback_impl(struct bpf_wq *wq, int (callback_fn)(void *map, int *key, void *value), unsigned int flags, void *aux__ign);\n');
    expect(declLine(g.name, g.ret, g.params, g.variadic, false)).toBe(
      'extern int bpf_wq_set_callback_impl(struct bpf_wq *wq, int (*callback_fn)(void *, int *, void *), unsigned int flags, void *aux__ign) __weak __ksym;',
    );
    const v = fn('void bpf_rcu_read_lock(void);\n');
    expect(declLine(v.name, v.ret, v.params, v.variadic, true)).toBe('extern __bpf_fastcall void bpf_rcu_read_lock(void) __weak __ksym;');
    const l = fn('int bpf_log(void *ctx, const char *fmt, ...);\n');
    expect(declLine(l.name, l.ret, l.params, l.variadic, false)).toBe('extern int bpf_log(void *ctx, const char *fmt, ...) __weak __ksym;');
  });
});

describe('function facts', () => {
  it('storage, inline and attributes', () => {
    expect(fn('static inline int f(void) { return 0; }\n')).toMatchObject({ storage: 'static', inline: true, kind: 'definition' });
    expect(fn('static __always_inline int f(void) { return 0; }\n')).toMatchObject({ storage: 'static', inline: true });
    expect(fn('extern int f(void);\n')).toMatchObject({ storage: 'extern', inline: false, kind: 'declaration' });
    expect(fn('__bpf_kfunc int f(void) { return 0; }\n')).toMatchObject({ storage: 'extern', attributes: ['__bpf_kfunc'] });
  });

  it('the kernel-doc comment right before a function, cleaned of markers', () => {
    const f = fn('/**\n * bpf_f - does f\n * @a: the a\n */\n__bpf_kfunc int bpf_f(int a) { return a; }\n');
    expect(f.doc).toBe('bpf_f - does f\n@a: the a');
    expect(fn('/** doc */\nint x;\n\nint f(void);\n').doc).toBeNull();
  });

  it('name span and line are those of the name, not of the return type', () => {
    const f = fn('__bpf_kfunc\nstruct sock *\nbpf_sk(void)\n{\n\treturn 0;\n}\n');
    expect([f.nameSpan.line, f.nameSpan.character, f.nameSpan.end - f.nameSpan.start]).toEqual([2, 0, 6]);
  });

  it('only kfunc candidates are kept without allFunctions', () => {
    const facts = extractFacts('t.c', 'static int helper(void) { return 0; }\n__bpf_kfunc int k(void) { return helper(); }\n');
    expect(facts.functions.map((f) => f.name)).toEqual(['k']);
  });
});
