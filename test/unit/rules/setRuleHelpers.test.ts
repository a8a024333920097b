// Helpers of the set/flag rules: #if-branch exclusivity and the "can this acquire fail" body heuristic.
import { describe, expect, it } from 'vitest';
import type { FunctionFact } from '../../../server/src/facts/types';
import { bodyMayReturnNull, conjuncts, guardsExclusive } from '../../../server/src/rules/setRuleHelpers';

describe('guardsExclusive', () => {
  it('sees #ifdef / #else alternatives', () => {
    expect(guardsExclusive('CONFIG_A', '!CONFIG_A')).toBe(true);
    expect(guardsExclusive('CONFIG_B && CONFIG_A', 'CONFIG_B && !CONFIG_A')).toBe(true);
    expect(guardsExclusive('defined(CONFIG_X86)', '!defined(CONFIG_X86) && defined(CONFIG_ARM64)')).toBe(true);
    expect(guardsExclusive('!(A || B)', '(A || B)')).toBe(true);
  });
  it('keeps overlapping conditions', () => {
    expect(guardsExclusive('CONFIG_A', null)).toBe(false);
    expect(guardsExclusive(null, null)).toBe(false);
    expect(guardsExclusive('CONFIG_A', 'CONFIG_B')).toBe(false);
  });
  it('splits only top-level &&', () => {
    expect(conjuncts('A && (B && C) && !D')).toEqual(['A', '(B && C)', '!D']);
  });
});

function fn(text: string): { text: string; def: { file: string; fact: FunctionFact } } {
  const open = text.indexOf('{');
  const span = (start: number, end: number) => ({ start, end, line: 0, character: start, endLine: 0, endCharacter: end });
  const fact = { kind: 'definition', headSpan: span(0, open), span: span(0, text.length) } as unknown as FunctionFact;
  return { text, def: { file: 'x.c', fact } };
}

describe('bodyMayReturnNull', () => {
  it('is false for an unconditional get (scx_bpf_task_cgroup)', () => {
    const { text, def } = fn('struct cgroup *f(struct task_struct *p)\n{\n\t/* css.cgroup is %NULL for autogroups */\n\tstruct cgroup *c = root;\n\tcgroup_get(c);\n\treturn c;\n}');
    expect(bodyMayReturnNull(text, def)).toBe(false);
  });
  it('is true for tryget, inc_not_zero, NULL and returned calls', () => {
    expect(bodyMayReturnNull(...(Object.values(fn('struct cgroup *f(struct cgroup *c)\n{\n\treturn cgroup_tryget(c) ? c : 0;\n}')) as [string, never]))).toBe(true);
    expect(bodyMayReturnNull(...(Object.values(fn('struct t *f(struct t *p)\n{\n\tif (refcount_inc_not_zero(&p->r))\n\t\treturn p;\n\treturn NULL;\n}')) as [string, never]))).toBe(true);
    expect(bodyMayReturnNull(...(Object.values(fn('struct t *f(u64 id)\n{\n\treturn lookup_by_id(id);\n}')) as [string, never]))).toBe(true);
  });
});
