// Implicit arguments (contracts §4, kfunc-spec §E.2): a parameter is implicit when its type is a pointer to one of
// the configured structs (const/volatile skipped, typedefs not resolved) or its name ends in a configured suffix.
// The BPF-visible `foo` keeps the parameters before the first implicit one; the generated `foo_impl` keeps all and
// is not in vmlinux.h; a real `foo_impl` in the tree replaces the generated one.
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings, mergeSettings, type Settings } from '../../../server/src/config';
import { extractFacts } from '../../../server/src/facts/extract';
import type { FileFacts, FunctionFact } from '../../../server/src/facts/types';
import { flagsForVersion } from '../../../server/src/kernel/flags';
import { isImplicitParam } from '../../../server/src/model/implicit';
import { buildModel } from '../../../server/src/model/join';
import { bpfPrototypes } from '../../../server/src/model/prototypes';
import type { ModelContext } from '../../../server/src/model/types';
import { initParser } from '../../../server/src/parse/treeSitter';

beforeAll(async () => {
  await initParser();
});

function fn(source: string): FunctionFact {
  const facts = extractFacts('t.c', source, { allFunctions: true });
  expect(facts.functions).toHaveLength(1);
  return facts.functions[0];
}

/** Which parameters of `int f(<params>)` are implicit under `settings`. */
function implicitOf(params: string, settings: Settings = defaultSettings()): boolean[] {
  return fn(`int f(${params});\n`).params.map((p) => isImplicitParam(p, settings));
}

describe('which parameters are implicit', () => {
  it('the type rule: struct bpf_prog_aux * and struct btf_struct_meta *', () => {
    expect(implicitOf('int a, struct bpf_prog_aux *aux')).toEqual([false, true]);
    expect(implicitOf('u64 id, struct btf_struct_meta *meta')).toEqual([false, true]);
  });

  it('const and volatile are skipped', () => {
    expect(implicitOf('const struct bpf_prog_aux *aux')).toEqual([true]);
    expect(implicitOf('volatile struct btf_struct_meta *meta')).toEqual([true]);
  });

  it('typedefs are not resolved; other derivations are not pointers to the struct', () => {
    expect(implicitOf('bpf_prog_aux_t *aux')).toEqual([false]);
    expect(implicitOf('struct bpf_prog_aux **aux')).toEqual([false]);
    expect(implicitOf('struct bpf_prog_aux aux')).toEqual([false]);
    expect(implicitOf('struct bpf_prog *prog')).toEqual([false]);
    expect(implicitOf('union bpf_prog_aux *aux')).toEqual([false]);
    expect(implicitOf('void *aux__ign')).toEqual([false]);
  });

  it('the name suffix: p__implicit; the suffix alone is not a match (the name must be longer)', () => {
    expect(implicitOf('int a, void *p__implicit')).toEqual([false, true]);
    expect(implicitOf('u64 cookie__implicit')).toEqual([true]);
    expect(implicitOf('void *__implicit')).toEqual([false]);
    expect(implicitOf('void *implicit')).toEqual([false]);
  });

  it('settings change the lists', () => {
    const custom = mergeSettings(defaultSettings(), { implicitArgs: { types: ['struct scx_sched'], nameSuffixes: ['__magic'] } });
    expect(custom.implicitArgs.types).toEqual(['scx_sched']);
    expect(implicitOf('struct scx_sched *sch, struct bpf_prog_aux *aux, void *p__implicit, void *q__magic', custom)).toEqual([
      true,
      false,
      false,
      true,
    ]);
    const none = mergeSettings(defaultSettings(), { 'kfuncLsp.implicitArgs.types': [], 'kfuncLsp.implicitArgs.nameSuffixes': [] });
    expect(implicitOf('struct bpf_prog_aux *aux, void *p__implicit', none)).toEqual([false, false]);
  });
});

describe('bpfPrototypes', () => {
  const split = (source: string, implicitArgsFlag: boolean, hasRealImpl = false, fastcall = false) => {
    const def = fn(source);
    const implicit = def.params.map((p) => isImplicitParam(p, defaultSettings()));
    return bpfPrototypes({ name: def.name, definition: def, implicit, implicitArgsFlag, hasRealImpl, tagged: true, fastcall }).map((b) => [
      b.name,
      b.params.map((p) => p.name),
      b.vmlinuxH,
      b.decl,
    ]);
  };

  it('a plain kfunc: itself, in vmlinux.h', () => {
    expect(split('int bpf_plain(struct task_struct *p, u32 n);\n', false)).toEqual([
      ['bpf_plain', ['p', 'n'], true, 'extern int bpf_plain(struct task_struct *p, u32 n) __weak __ksym;'],
    ]);
  });

  it('KF_IMPLICIT_ARGS: foo without the trailing implicit parameter, then foo_impl with all (not in vmlinux.h)', () => {
    // kfunc-spec §E.4: bpf_wq_set_callback
    const src = 'int bpf_wq_set_callback(struct bpf_wq *wq, int (callback_fn)(void *, int *, void *), unsigned int flags, struct bpf_prog_aux *aux);\n';
    expect(split(src, true)).toEqual([
      [
        'bpf_wq_set_callback',
        ['wq', 'callback_fn', 'flags'],
        true,
        'extern int bpf_wq_set_callback(struct bpf_wq *wq, int (*callback_fn)(void *, int *, void *), unsigned int flags) __weak __ksym;',
      ],
      [
        'bpf_wq_set_callback_impl',
        ['wq', 'callback_fn', 'flags', 'aux'],
        false,
        'extern int bpf_wq_set_callback_impl(struct bpf_wq *wq, int (*callback_fn)(void *, int *, void *), unsigned int flags, struct bpf_prog_aux *aux) __weak __ksym;',
      ],
    ]);
  });

  it('the first implicit parameter in the middle cuts everything after it', () => {
    const got = split('int bpf_mid(int a, struct bpf_prog_aux *aux, int b);\n', true);
    expect(got.map(([name, params]) => [name, params])).toEqual([
      ['bpf_mid', ['a']],
      ['bpf_mid_impl', ['a', 'aux', 'b']],
    ]);
  });

  it('an implicit first parameter leaves foo(void)', () => {
    const got = split('int bpf_only(struct bpf_prog_aux *aux);\n', true);
    expect(got[0][3]).toBe('extern int bpf_only(void) __weak __ksym;');
  });

  it('a real foo_impl in the tree: no generated one', () => {
    const got = split('void *bpf_obj_new(u64 local_type_id__k, struct btf_struct_meta *meta);\n', true, true);
    expect(got).toEqual([['bpf_obj_new', ['local_type_id__k'], true, 'extern void *bpf_obj_new(u64 local_type_id__k) __weak __ksym;']]);
  });

  it('without the flag an implicit-looking parameter stays visible', () => {
    expect(split('int bpf_noflag(int a, struct bpf_prog_aux *aux);\n', false).map(([n, p]) => [n, p])).toEqual([['bpf_noflag', ['a', 'aux']]]);
  });

  it('the flag without an implicit parameter: foo is the full prototype, foo_impl is still generated', () => {
    expect(split('int bpf_pointless(int a);\n', true).map(([n, p, h]) => [n, p, h])).toEqual([
      ['bpf_pointless', ['a'], true],
      ['bpf_pointless_impl', ['a'], false],
    ]);
  });

  it('KF_FASTCALL puts __bpf_fastcall after extern', () => {
    expect(split('u32 bpf_fast(void);\n', false, false, true)[0][3]).toBe('extern __bpf_fastcall u32 bpf_fast(void) __weak __ksym;');
  });
});

describe('through the model', () => {
  const SOURCE = `
__bpf_kfunc int bpf_wq_set_callback(struct bpf_wq *wq, int (callback_fn)(void *, int *, void *),
				    unsigned int flags, struct bpf_prog_aux *aux)
{
	return 0;
}

__bpf_kfunc void *bpf_obj_new(u64 local_type_id__k, struct btf_struct_meta *meta)
{
	return NULL;
}

__bpf_kfunc void *bpf_obj_new_impl(u64 local_type_id__k, void *meta__ign)
{
	return bpf_obj_new(local_type_id__k, meta__ign);
}

__bpf_kfunc int bpf_suffix(int a, void *p__implicit)
{
	return a;
}

BTF_KFUNCS_START(generic_btf_ids)
BTF_ID_FLAGS(func, bpf_wq_set_callback, KF_IMPLICIT_ARGS)
BTF_ID_FLAGS(func, bpf_obj_new, KF_ACQUIRE | KF_RET_NULL | KF_IMPLICIT_ARGS)
BTF_ID_FLAGS(func, bpf_obj_new_impl, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, bpf_suffix, KF_IMPLICIT_ARGS)
BTF_KFUNCS_END(generic_btf_ids)
`;
  const model = (major: number, minor: number, settings = defaultSettings()) => {
    const facts: FileFacts = extractFacts('kernel/bpf/helpers.c', SOURCE);
    const ctx: ModelContext = { version: { major, minor }, flags: { flags: flagsForVersion({ major, minor }), source: 'built-in' }, settings };
    return buildModel([facts], ctx, () => []);
  };
  const bpf = (m: ReturnType<typeof model>, name: string) => m.kfuncs.get(name)!.bpf.map((b) => [b.name, b.params.map((p) => p.name), b.vmlinuxH]);

  it('7.1: generated _impl, legacy real _impl, and the name-suffix rule', () => {
    const m = model(7, 1);
    expect(bpf(m, 'bpf_wq_set_callback')).toEqual([
      ['bpf_wq_set_callback', ['wq', 'callback_fn', 'flags'], true],
      ['bpf_wq_set_callback_impl', ['wq', 'callback_fn', 'flags', 'aux'], false],
    ]);
    expect(m.kfuncs.get('bpf_wq_set_callback')!.implicit).toEqual([false, false, false, true]);
    // The tree defines bpf_obj_new_impl: it is its own kfunc, and bpf_obj_new gets no generated twin.
    expect(bpf(m, 'bpf_obj_new')).toEqual([['bpf_obj_new', ['local_type_id__k'], true]]);
    expect(bpf(m, 'bpf_obj_new_impl')).toEqual([['bpf_obj_new_impl', ['local_type_id__k', 'meta__ign'], true]]);
    expect(bpf(m, 'bpf_suffix')).toEqual([
      ['bpf_suffix', ['a'], true],
      ['bpf_suffix_impl', ['a', 'p__implicit'], false],
    ]);
  });

  it('settings without the suffix rule keep p__implicit visible', () => {
    const settings = mergeSettings(defaultSettings(), { implicitArgs: { nameSuffixes: [] } });
    expect(bpf(model(7, 1, settings), 'bpf_suffix')).toEqual([
      ['bpf_suffix', ['a', 'p__implicit'], true],
      ['bpf_suffix_impl', ['a', 'p__implicit'], false],
    ]);
  });

  it('on 6.12, where KF_IMPLICIT_ARGS does not exist, nothing is implicit and the flag value is unknown', () => {
    const m = model(6, 12);
    const k = m.kfuncs.get('bpf_wq_set_callback')!;
    expect(k.implicit).toEqual([false, false, false, false]);
    expect(k.registrations[0].flagsValue).toBeNull();
  });
});
