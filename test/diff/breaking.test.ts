// The pure parts of `diff`: which changes break BPF programs built against the old kernel (contracts §2.5).
import { describe, expect, it } from 'vitest';
import { diffSnapshots } from '../../server/src/compare/diff';
import { nameMeaning, prototypeChangeBreaks, type ApiKfunc, type ApiSnapshot, type ProtoShape } from '../../server/src/compare/shapes';
import type { KernelVersion } from '../../server/src/kernel/version';

function proto(name: string, ret: string, params: Array<[string, string]>): ProtoShape {
  return { name, ret, params: params.map(([type, n]) => ({ type, name: n })), variadic: false, text: `${ret} ${name}(...)` };
}

function kfunc(name: string, o: { params?: Array<[string, string]>; flags?: string[][]; progTypes?: string[] } = {}): ApiKfunc {
  return {
    name, file: 'kernel/bpf/x.c', line: 1, guard: null,
    proto: proto(name, 'int', o.params ?? [['struct task_struct *', 'p']]),
    fullProto: null,
    registrations: (o.flags ?? [[]]).map((flags, i) => ({ set: `set${i}`, flags, flagsValue: null, progTypes: o.progTypes ?? ['BPF_PROG_TYPE_TRACING'] })),
  };
}

function snap(version: KernelVersion | null, ...ks: ApiKfunc[]): ApiSnapshot {
  return { origin: 'source', version, kfuncs: new Map(ks.map((k) => [k.name, k])) };
}

const v612 = { major: 6, minor: 12 };
const v70 = { major: 7, minor: 0 };

function change(a: ApiKfunc, b: ApiKfunc, va: KernelVersion | null = v612, vb: KernelVersion | null = v612) {
  const r = diffSnapshots({ old: snap(va, a), new: snap(vb, b), oldPath: 'a', newPath: 'b' });
  return r.changed[0]?.changes ?? [];
}

describe('parameter-name meaning', () => {
  it('reads the verifier suffixes and exact names', () => {
    expect(nameMeaning('buf__sz')).toBe('__sz');
    expect(nameMeaning('size__szk')).toBe('__szk');
    expect(nameMeaning('id__k')).toBe('__k');
    expect(nameMeaning('__k')).toBe(''); // must be longer than the suffix
    expect(nameMeaning('rdwr_buf_size')).toBe('rdwr_buf_size');
    expect(nameMeaning('task')).toBe('');
  });

  it('a rename that keeps the meaning does not break; a suffix change or a type change does', () => {
    const p = (params: Array<[string, string]>) => proto('f', 'int', params);
    expect(prototypeChangeBreaks(p([['struct task_struct *', 'p']]), p([['struct task_struct *', 'task']]))).toBe(false);
    expect(prototypeChangeBreaks(p([['void *', 'buf'], ['u32', 'buf__sz']]), p([['void *', 'data'], ['u32', 'data__sz']]))).toBe(false);
    expect(prototypeChangeBreaks(p([['u64', 'id__k']]), p([['u64', 'id']]))).toBe(true);
    expect(prototypeChangeBreaks(p([['struct path *', 'path']]), p([['const struct path *', 'path']]))).toBe(false);
    expect(prototypeChangeBreaks(p([['u32', 'x']]), p([['s32', 'x']]))).toBe(true);
    expect(prototypeChangeBreaks(p([['u32', 'x']]), p([['u32', 'x'], ['u32', 'y']]))).toBe(true);
  });
});

describe('flag changes', () => {
  it('restricting flags added break; relaxing ones do not', () => {
    expect(change(kfunc('f'), kfunc('f', { flags: [['KF_SLEEPABLE']] }))).toMatchObject([{ kind: 'flags', breaking: true }]);
    expect(change(kfunc('f', { flags: [['KF_SLEEPABLE']] }), kfunc('f'))).toMatchObject([{ kind: 'flags', breaking: false }]);
    expect(change(kfunc('f', { flags: [['KF_RET_NULL']] }), kfunc('f'))).toMatchObject([{ kind: 'flags', breaking: false }]);
    expect(change(kfunc('f'), kfunc('f', { flags: [['KF_DESTRUCTIVE']] }))).toMatchObject([{ breaking: true }]);
    expect(change(kfunc('f'), kfunc('f', { flags: [['KF_FASTCALL']] }))).toMatchObject([{ breaking: false }]);
  });

  it('the reference protocol breaks both ways', () => {
    expect(change(kfunc('f', { flags: [['KF_RELEASE']] }), kfunc('f'))).toMatchObject([{ breaking: true }]);
    expect(change(kfunc('f', { flags: [['KF_ACQUIRE']] }), kfunc('f'))).toMatchObject([{ breaking: true }]);
  });

  it('trusted arguments: KF_TRUSTED_ARGS added or KF_RCU dropped breaks, but only with pointer-to-struct arguments', () => {
    expect(change(kfunc('f'), kfunc('f', { flags: [['KF_TRUSTED_ARGS']] }))).toMatchObject([{ breaking: true }]);
    expect(change(kfunc('f', { flags: [['KF_RCU']] }), kfunc('f', { flags: [['KF_TRUSTED_ARGS']] }))).toMatchObject([{ breaking: true }]);
    const scalar = { params: [['u64', 'x']] as Array<[string, string]> };
    expect(change(kfunc('f', scalar), kfunc('f', { ...scalar, flags: [['KF_TRUSTED_ARGS']] }))).toMatchObject([{ breaking: false }]);
  });

  it('crossing 7.0: the default becomes trusted; dropping KF_TRUSTED_ARGS there changes nothing', () => {
    const untrusted = change(kfunc('f'), kfunc('f'), v612, v70);
    expect(untrusted).toMatchObject([{ kind: 'flags', old: '(none)', new: '(none)', breaking: true }]);
    expect(change(kfunc('f', { flags: [['KF_TRUSTED_ARGS']] }), kfunc('f'), v612, v70)).toMatchObject([{ breaking: false }]);
    expect(change(kfunc('f', { flags: [['KF_RCU']] }), kfunc('f', { flags: [['KF_RCU']] }), v612, v70)).toEqual([]);
    // Without versions (BTF files) nothing is assumed.
    expect(change(kfunc('f'), kfunc('f'), null, null)).toEqual([]);
  });

  it('a kfunc in several sets: paired by set name', () => {
    const a = kfunc('f', { flags: [['KF_SLEEPABLE'], []] });
    const b = kfunc('f', { flags: [['KF_SLEEPABLE'], ['KF_SLEEPABLE']] });
    expect(change(a, b)).toMatchObject([{ kind: 'flags', old: 'set0: KF_SLEEPABLE; set1: (none)', new: 'KF_SLEEPABLE', breaking: true }]);
  });
});

describe('program types, by verifier hook', () => {
  it('types sharing a hook, or an UNSPEC registration, keep the kfunc callable', () => {
    expect(change(kfunc('f', { progTypes: ['BPF_PROG_TYPE_TRACING'] }), kfunc('f', { progTypes: ['BPF_PROG_TYPE_LSM'] })))
      .toMatchObject([{ kind: 'progTypes', breaking: false }]);
    expect(change(kfunc('f', { progTypes: ['BPF_PROG_TYPE_XDP'] }), kfunc('f', { progTypes: ['BPF_PROG_TYPE_UNSPEC'] })))
      .toMatchObject([{ kind: 'progTypes', breaking: false }]);
    expect(change(kfunc('f', { progTypes: ['BPF_PROG_TYPE_XDP', 'BPF_PROG_TYPE_SCHED_CLS'] }), kfunc('f', { progTypes: ['BPF_PROG_TYPE_XDP'] })))
      .toMatchObject([{ kind: 'progTypes', breaking: true, detail: ['no longer callable from BPF_PROG_TYPE_SCHED_CLS'] }]);
  });
});
