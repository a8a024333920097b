// Preprocessor guards as formulas and Kbuild file conditions (kfunc-guard-mismatch), plus the facts the definition
// rules rely on: calls in the file (fentry targets) and untagged prototypes of tagged functions.
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFacts } from '../../../server/src/facts/extract';
import { initParser } from '../../../server/src/parse/treeSitter';
import { counterexample, describeAssignment, parseCondition, renderCondition } from '../../../server/src/kernel/conditions';
import { KbuildConditions } from '../../../server/src/kernel/kbuild';

const implies = (a: string, b: string) => counterexample(parseCondition(a), parseCondition(b)) === null;

describe('guard formulas', () => {
  it('treats CONFIG_X, defined(X), defined X and IS_ENABLED(X) as one atom', () => {
    expect(implies('CONFIG_A', 'defined(CONFIG_A)')).toBe(true);
    expect(implies('defined CONFIG_A', 'IS_ENABLED(CONFIG_A)')).toBe(true);
    expect(implies('IS_BUILTIN(CONFIG_A)', 'CONFIG_A')).toBe(true);
  });

  it('reads nesting, negation and alternatives', () => {
    expect(implies('CONFIG_KEYS && CONFIG_SIG', 'defined(CONFIG_KEYS) && IS_ENABLED(CONFIG_SIG)')).toBe(true);
    expect(implies('CONFIG_A', 'CONFIG_A || CONFIG_B')).toBe(true);
    expect(implies('CONFIG_A || CONFIG_B', 'CONFIG_A')).toBe(false);
    expect(implies('!CONFIG_A && CONFIG_B', '!(CONFIG_A)')).toBe(true);
    expect(implies('!(CONFIG_A || CONFIG_B)', '!CONFIG_B')).toBe(true);
  });

  it('keeps comparisons as opaque atoms that match their own spelling', () => {
    expect(implies('LINUX_VERSION_CODE >= 0x060c00 && CONFIG_A', 'LINUX_VERSION_CODE >= 0x060c00')).toBe(true);
    expect(implies('(CONFIG_NR_CPUS + 1) > 2', 'CONFIG_A')).toBe(false);
    expect(renderCondition(parseCondition('(X > 2) && CONFIG_A'))).toBe('X > 2 && CONFIG_A');
  });

  it('handles constants', () => {
    expect(implies('0', 'CONFIG_A')).toBe(true);
    expect(implies('1', 'CONFIG_A')).toBe(false);
  });

  it('reports only the options that matter in a counterexample', () => {
    const c = counterexample(parseCondition('CONFIG_A && CONFIG_B'), parseCondition('CONFIG_A && CONFIG_C'));
    expect(c && describeAssignment(c)).toBe('CONFIG_A=y, CONFIG_B=y, CONFIG_C=n');
  });
});

describe('Kbuild conditions', () => {
  const tree: Record<string, string> = {
    '/k/Makefile': 'VERSION = 6\nPATCHLEVEL = 12\n',
    '/k/Kbuild': 'obj-y += init/\nobj-$(CONFIG_NET) += net/\n',
    '/k/kernel/Makefile': 'obj-y = fork.o\nobj-$(CONFIG_CRASH_DUMP) += crash_core.o\nobj-$(CONFIG_BPF) += bpf/\n',
    '/k/kernel/bpf/Makefile': [
      'obj-$(CONFIG_BPF_SYSCALL) += helpers.o \\',
      '\tbpf_iter.o',
      'ifeq ($(CONFIG_MMU)$(CONFIG_64BIT),yy)',
      'obj-$(CONFIG_BPF_SYSCALL) += arena.o',
      'endif',
      'ifeq ($(CONFIG_CGROUPS),y)',
      'obj-$(CONFIG_BPF_SYSCALL) += cgroup_iter.o',
      'else',
      'obj-$(CONFIG_BPF_SYSCALL) += no_cgroup.o',
      'endif',
      'ifneq ($(CONFIG_BPF_JIT),)',
      'obj-$(CONFIG_BPF_SYSCALL) += cpumask.o',
      'endif',
    ].join('\n'),
    '/k/net/Makefile': 'obj-y := socket.o\nobj-y += bpf/\nobj-$(CONFIG_NETFILTER) += netfilter/\n',
    '/k/net/bpf/Makefile': 'obj-$(CONFIG_BPF_SYSCALL) := test_run.o\n',
    '/k/net/netfilter/Makefile': [
      'nf_conntrack-y := nf_conntrack_core.o',
      'ifeq ($(CONFIG_NF_CONNTRACK),m)',
      'nf_conntrack-$(CONFIG_DEBUG_INFO_BTF_MODULES) += nf_conntrack_bpf.o',
      'else ifeq ($(CONFIG_NF_CONNTRACK),y)',
      'nf_conntrack-$(CONFIG_DEBUG_INFO_BTF) += nf_conntrack_bpf.o',
      'endif',
      'obj-$(CONFIG_NF_CONNTRACK) += nf_conntrack.o',
    ].join('\n'),
  };
  const kb = new KbuildConditions((f) => tree[f]);
  const cond = (f: string) => {
    const c = kb.fileCondition(f);
    return c ? renderCondition(c) : null;
  };

  it('follows obj-$(CONFIG_X) lines and the directory chain up to the top-level Kbuild', () => {
    expect(cond('/k/kernel/crash_core.c')).toBe('CONFIG_CRASH_DUMP');
    expect(cond('/k/kernel/bpf/helpers.c')).toBe('CONFIG_BPF_SYSCALL && CONFIG_BPF');
    expect(cond('/k/kernel/bpf/bpf_iter.c')).toBe('CONFIG_BPF_SYSCALL && CONFIG_BPF');
    expect(cond('/k/net/bpf/test_run.c')).toBe('CONFIG_BPF_SYSCALL && CONFIG_NET');
  });

  it('reads ifeq/ifneq blocks, with an unknown else of a `,y` comparison', () => {
    expect(cond('/k/kernel/bpf/arena.c')).toBe('CONFIG_MMU && CONFIG_64BIT && CONFIG_BPF_SYSCALL && CONFIG_BPF');
    expect(cond('/k/kernel/bpf/cgroup_iter.c')).toBe('CONFIG_CGROUPS && CONFIG_BPF_SYSCALL && CONFIG_BPF');
    // `else` of `ifeq (X,y)` is "m or n": unknown, so it never narrows the condition.
    expect(cond('/k/kernel/bpf/no_cgroup.c')).toBe('CONFIG_BPF_SYSCALL && CONFIG_BPF');
    expect(cond('/k/kernel/bpf/cpumask.c')).toBe('CONFIG_BPF_JIT && CONFIG_BPF_SYSCALL && CONFIG_BPF');
  });

  it('follows composite objects', () => {
    expect(cond('/k/net/netfilter/nf_conntrack_bpf.c')).toBe(
      '((CONFIG_DEBUG_INFO_BTF_MODULES && CONFIG_NF_CONNTRACK) || (CONFIG_NF_CONNTRACK && CONFIG_DEBUG_INFO_BTF)) && CONFIG_NETFILTER && CONFIG_NET',
    );
  });

  it('says nothing about files no Makefile lists (ext.c is #included by build_policy.c)', () => {
    expect(cond('/k/kernel/sched/ext.c')).toBeNull();
    expect(cond('/k/kernel/bpf/unlisted.c')).toBeNull();
  });
});

describe('facts used by the definition rules', () => {
  beforeAll(async () => {
    await initParser();
  });

  it('records calls from other functions of the file (fentry targets)', () => {
    const facts = extractFacts(
      't.c',
      [
        '__bpf_kfunc u32 bpf_fentry_demo9(u32 *a) { return *a; }',
        '__bpf_kfunc int bpf_demo_alone(void) { return bpf_demo_alone(); }',
        'int run(void) { u32 r = 0; return bpf_fentry_demo9(&r); }',
      ].join('\n'),
    );
    const by = new Map(facts.functions.map((f) => [f.name, f]));
    expect(by.get('bpf_fentry_demo9')?.calledInFile).toBe(true);
    // A call inside its own body (recursion) does not count.
    expect(by.get('bpf_demo_alone')?.calledInFile).toBe(false);
  });

  it('records an untagged prototype of a function tagged later in the file', () => {
    const facts = extractFacts('t.c', 'static void scx_demo_kick(int cpu);\n\n__bpf_kfunc void scx_demo_kick(int cpu) { }\n');
    expect(facts.functions.map((f) => `${f.kind}:${f.storage}`)).toEqual(['declaration:static', 'definition:extern']);
  });
});
