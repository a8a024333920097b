import { describe, expect, it } from 'vitest';
import { Btf } from '../../../server/src/btf/btf';
import { BtfError } from '../../../server/src/btf/errors';
import {
  canonicalIntName, canonicalizeTypeString, formatDeclaration, renderDeclaration, renderFunction, renderPrototype, renderType,
} from '../../../server/src/btf/render';
import { BtfBuilder } from '../../helpers/btfWriter';

function kernelTypes() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const char = b.int('char', 1, { signed: true, char: true });
  const ulong = b.int('long unsigned int', 8);
  const u32 = b.typedef('u32', b.typedef('__u32', b.int('unsigned int', 4)));
  const task = b.struct('task_struct', 64, []);
  const cpumask = b.struct('cpumask', 8, []);
  const dynptrType = b.enum('bpf_dynptr_type', 4, [['BPF_DYNPTR_TYPE_INVALID', 0]]);
  const anyUnion = b.union('x', 4, []);
  const ptr = (t: number) => b.ptr(t);
  const ids = {
    int, char, ulong, u32,
    void: 0,
    voidPtr: ptr(0),
    taskPtr: ptr(task),
    constCharPtr: ptr(b.const(char)),
    charPtrPtr: ptr(ptr(char)),
    charConstPtr: b.const(ptr(char)),
    charPtrConstPtr: ptr(b.const(ptr(char))),
    constCpumaskPtr: ptr(b.const(cpumask)),
    // const volatile in either nesting order prints as `const volatile`.
    cvInt: b.volatile(b.const(int)),
    vcInt: b.const(b.volatile(int)),
    restrictPtr: b.restrict(ptr(char)),
    enumType: dynptrType,
    unionType: anyUnion,
    fwdUnionPtr: ptr(b.fwd('later', true)),
    fwdStructPtr: ptr(b.fwd('opaque')),
    u32Ptr: ptr(u32),
    rcuTaskPtr: ptr(b.typeTag('rcu', task)),
    userCharPtr: ptr(b.typeTag('user', b.const(char))),
    percpuPtr: ptr(b.typeTag('percpu', int)),
    arenaPtr: ptr(b.typeTag('address_space(1)', int, true)),
    intArray: b.array(int, int, 4),
    constIntArray: b.const(b.array(int, int, 2)),
    arrayOfPtrs: b.array(ptr(char), int, 3),
    fnPtr: ptr(b.funcProto(int, [['a', ptr(0)], ['b', ptr(int)], ['c', ptr(0)]])),
    fnPtrNoParams: ptr(b.funcProto(0, [])),
    fnPtrVarargs: ptr(b.funcProto(int, [['fmt', ptr(b.const(char))]], true)),
    fnPtrPtr: ptr(ptr(b.funcProto(int, [['x', int]]))),
    arrayOfFnPtrs: b.array(ptr(b.funcProto(0, [['x', int]])), int, 2),
    ptrToArray: ptr(b.array(int, int, 4)),
    fnReturningFnPtr: 0,
    floatType: b.float('double', 8),
    anonStructPtr: ptr(b.struct('', 4, [])),
    enum64Type: b.enum64('big', 8, [['A', 1n]]),
  };
  ids.fnReturningFnPtr = ptr(b.funcProto(ptr(b.funcProto(int, [['x', int]])), [['y', char]]));
  const acquireProto = b.funcProto(ids.taskPtr, [['p', ids.taskPtr]]);
  const funcs = {
    acquire: b.func('bpf_task_acquire', acquireProto),
    noParams: b.func('bpf_rcu_read_lock', b.funcProto(0, [])),
    withCallback: b.func('bpf_wq_set_callback_impl', b.funcProto(int, [['wq', ptr(0)], ['callback_fn', ids.fnPtr], ['flags', ids.u32]])),
    variadic: b.func('printk_like', b.funcProto(int, [['fmt', ids.constCharPtr]], true)),
    unnamedParam: b.func('anon_param', b.funcProto(ids.voidPtr, [['', int]])),
    returnsFnPtr: b.func('get_handler', b.funcProto(ids.fnPtr, [['which', int]])),
    arrayParam: b.func('takes_array', b.funcProto(0, [['vals', ids.intArray], ['cp', ids.charConstPtr]])),
  };
  return { btf: Btf.parse(b.build()), ids, funcs };
}

describe('renderType', () => {
  const { btf, ids } = kernelTypes();
  const cases: Array<[keyof typeof ids, string]> = [
    ['void', 'void'],
    ['int', 'int'],
    ['ulong', 'long unsigned int'],
    ['voidPtr', 'void *'],
    ['taskPtr', 'struct task_struct *'],
    ['constCharPtr', 'const char *'],
    ['charPtrPtr', 'char **'],
    ['charConstPtr', 'char *const'],
    ['charPtrConstPtr', 'char *const *'],
    ['constCpumaskPtr', 'const struct cpumask *'],
    ['cvInt', 'const volatile int'],
    ['vcInt', 'const volatile int'],
    ['restrictPtr', 'char *restrict'],
    ['enumType', 'enum bpf_dynptr_type'],
    ['enum64Type', 'enum big'],
    ['unionType', 'union x'],
    ['fwdUnionPtr', 'union later *'],
    ['fwdStructPtr', 'struct opaque *'],
    ['u32', 'u32'],
    ['u32Ptr', 'u32 *'],
    ['rcuTaskPtr', 'struct task_struct *'],
    ['userCharPtr', 'const char *'],
    ['percpuPtr', 'int *'],
    ['arenaPtr', 'int *'],
    ['intArray', 'int [4]'],
    ['constIntArray', 'const int [2]'],
    ['arrayOfPtrs', 'char *[3]'],
    ['fnPtr', 'int (*)(void *, int *, void *)'],
    ['fnPtrNoParams', 'void (*)(void)'],
    ['fnPtrVarargs', 'int (*)(const char *, ...)'],
    ['fnPtrPtr', 'int (**)(int)'],
    ['arrayOfFnPtrs', 'void (*[2])(int)'],
    ['ptrToArray', 'int (*)[4]'],
    ['fnReturningFnPtr', 'int (*(*)(char))(int)'],
    ['floatType', 'double'],
    ['anonStructPtr', 'struct {...} *'],
  ];
  for (const [key, expected] of cases) {
    it(`${key} → ${expected}`, () => expect(renderType(btf, ids[key])).toBe(expected));
  }

  it('typedef names are kept, never resolved', () => {
    expect(renderType(btf, ids.u32)).not.toContain('unsigned');
  });

  it('refuses a reference cycle instead of recursing forever', () => {
    const b = new BtfBuilder();
    const self = b.ptr(b.nextId + 1);
    b.const(self); // const → ptr → const → …
    expect(() => renderType(Btf.parse(b.build()), self)).toThrow(BtfError);
  });

  it('refuses types that are not C types', () => {
    const b = new BtfBuilder();
    const v = b.var('x', b.int('int', 4));
    expect(() => renderType(Btf.parse(b.build()), v)).toThrow(/cannot be used as a C type/);
  });
});

describe('prototypes', () => {
  const { btf, funcs } = kernelTypes();

  it('a kfunc with names kept', () => {
    expect(renderPrototype(btf, funcs.acquire)).toBe('struct task_struct *bpf_task_acquire(struct task_struct *p)');
    expect(renderFunction(btf, funcs.acquire)).toMatchObject({
      name: 'bpf_task_acquire', ret: 'struct task_struct *', params: [{ name: 'p', type: 'struct task_struct *' }], variadic: false,
    });
  });

  it('(void) without parameters', () => {
    expect(renderPrototype(btf, funcs.noParams)).toBe('void bpf_rcu_read_lock(void)');
  });

  it('function-pointer parameters get the name inside the declarator', () => {
    expect(renderPrototype(btf, funcs.withCallback))
      .toBe('int bpf_wq_set_callback_impl(void *wq, int (*callback_fn)(void *, int *, void *), u32 flags)');
    expect(renderFunction(btf, funcs.withCallback).params[1]).toEqual({ name: 'callback_fn', type: 'int (*)(void *, int *, void *)' });
  });

  it('varargs, unnamed parameters, function-pointer returns, arrays and const pointers', () => {
    expect(renderPrototype(btf, funcs.variadic)).toBe('int printk_like(const char *fmt, ...)');
    expect(renderFunction(btf, funcs.variadic).variadic).toBe(true);
    expect(renderPrototype(btf, funcs.unnamedParam)).toBe('void *anon_param(int)');
    expect(renderPrototype(btf, funcs.returnsFnPtr)).toBe('int (*get_handler(int which))(void *, int *, void *)');
    expect(renderPrototype(btf, funcs.arrayParam)).toBe('void takes_array(int vals[4], char *const cp)');
  });

  it('renderDeclaration and formatDeclaration agree on every shape', () => {
    const { ids } = kernelTypes();
    for (const id of Object.values(ids)) {
      if (id === 0) continue;
      expect(formatDeclaration(renderType(btf, id), 'n')).toBe(renderDeclaration(btf, id, 'n'));
    }
  });

  it('rejects a non-function', () => {
    const { ids } = kernelTypes();
    expect(() => renderFunction(btf, ids.int)).toThrow(/not a function/);
  });
});

describe('formatDeclaration', () => {
  it.each([
    ['u32', 'x', 'u32 x'],
    ['struct task_struct *', 'p', 'struct task_struct *p'],
    ['char **', 'argv', 'char **argv'],
    ['char *const', 'p', 'char *const p'],
    ['char *const *', 'p', 'char *const *p'],
    ['int (*)(void *, int *, void *)', 'cb', 'int (*cb)(void *, int *, void *)'],
    ['int [4]', 'a', 'int a[4]'],
    ['int (*)[4]', 'pa', 'int (*pa)[4]'],
    ['const struct cpumask *', 'm', 'const struct cpumask *m'],
    ['int', '', 'int'],
  ])('%s + %s', (type, name, expected) => expect(formatDeclaration(type, name)).toBe(expected));
});

describe('canonicalIntName', () => {
  it.each([
    ['unsigned long', 'unsigned long'],
    ['long unsigned int', 'unsigned long'],
    ['unsigned long int', 'unsigned long'],
    ['long', 'long'],
    ['long int', 'long'],
    ['signed long', 'long'],
    ['long long unsigned int', 'unsigned long long'],
    ['unsigned long long', 'unsigned long long'],
    ['long long int', 'long long'],
    ['unsigned', 'unsigned int'],
    ['unsigned int', 'unsigned int'],
    ['signed', 'int'],
    ['int', 'int'],
    ['short', 'short'],
    ['short int', 'short'],
    ['short unsigned int', 'unsigned short'],
    ['signed char', 'signed char'],
    ['unsigned char', 'unsigned char'],
    ['char', 'char'],
    ['_Bool', '_Bool'],
    ['__int128 unsigned', 'unsigned __int128'],
    ['  long   unsigned  ', 'unsigned long'],
    ['u64', 'u64'],
    ['struct x', 'struct x'],
  ])('%s → %s', (spelling, canonical) => expect(canonicalIntName(spelling)).toBe(canonical));

  it('spellings of one type agree, different types do not', () => {
    expect(canonicalIntName('long unsigned int')).toBe(canonicalIntName('unsigned long'));
    expect(canonicalIntName('char')).not.toBe(canonicalIntName('signed char'));
    expect(canonicalIntName('long')).not.toBe(canonicalIntName('long long'));
  });

  it('canonicalizeTypeString rewrites integer runs inside full types and leaves other words alone', () => {
    expect(canonicalizeTypeString('const long unsigned int *')).toBe('const unsigned long *');
    expect(canonicalizeTypeString('long unsigned int')).toBe('unsigned long');
    expect(canonicalizeTypeString('unsigned const char *')).toBe('const unsigned char *');
    expect(canonicalizeTypeString('int (*)(long int, unsigned)')).toBe('int (*)(long, unsigned int)');
    expect(canonicalizeTypeString('struct long_name *')).toBe('struct long_name *');
    expect(canonicalizeTypeString('const struct cpumask *')).toBe('const struct cpumask *');
    expect(canonicalizeTypeString('u32 *')).toBe('u32 *');
  });
});
