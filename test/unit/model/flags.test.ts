// KF_* flags (kfunc-spec §C.1): a tree's own include/linux/btf.h is the authority; otherwise the built-in table of
// the target version. Bits and version ranges below are the ones in the spec table, not read from the code.
import { describe, expect, it } from 'vitest';
import {
  type FlagTable,
  flagsForVersion,
  flagsFromBtfHeader,
  flagsValue,
  hasFlagSupport,
  sortFlags,
} from '../../../server/src/kernel/flags';
import { atLeast, compareVersions, formatVersion, parseVersion, versionFromMakefile } from '../../../server/src/kernel/version';

const v = (major: number, minor: number) => ({ major, minor });
const builtIn = (major: number, minor: number): FlagTable => ({ flags: flagsForVersion(v(major, minor)), source: 'built-in' });

describe('reading a btf.h', () => {
  const header = `/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_BTF_H
#define _LINUX_BTF_H 1

/*
 * These need to be macros, as the expressions are used in assembler input.
 */
#define KF_ACQUIRE	(1 << 0) /* kfunc is an acquire function */
#define KF_RELEASE	(1 << 1) /* kfunc is a release function */
#define KF_RET_NULL	(1 << 2) /* kfunc returns a pointer that may be NULL */
#define KF_TRUSTED_ARGS (1 << 4) /* kfunc only takes trusted pointer arguments */
#define KF_SLEEPABLE    BIT(5)   /* kfunc may sleep */
#define KF_DESTRUCTIVE  (1U << 6)
#define KF_RCU          0x80
#define KF_NEW_THING    (1 << 20) /* a flag this tool has never heard of */
#define KF_NOT_A_BIT    (KF_ACQUIRE | KF_RELEASE)
#define KF_FN(x)        (1 << (x))
#define BTF_TYPE_EMIT(type) ((void)(type *)0)

#endif
`;
  const flags = flagsFromBtfHeader(header);

  it('reads (1 << n), (1U << n), BIT(n) and a power-of-two constant', () => {
    expect([...flags.entries()].map(([name, f]) => [name, f.bit])).toEqual([
      ['KF_ACQUIRE', 0],
      ['KF_RELEASE', 1],
      ['KF_RET_NULL', 2],
      ['KF_TRUSTED_ARGS', 4],
      ['KF_SLEEPABLE', 5],
      ['KF_DESTRUCTIVE', 6],
      ['KF_RCU', 7],
      ['KF_NEW_THING', 20],
    ]);
  });

  it('skips combinations, function-like macros and other names', () => {
    expect(flags.has('KF_NOT_A_BIT')).toBe(false);
    expect(flags.has('KF_FN')).toBe(false);
    expect(flags.has('BTF_TYPE_EMIT')).toBe(false);
  });

  it('an unknown flag takes its meaning from the comment on its line', () => {
    expect(flags.get('KF_NEW_THING')?.meaning).toBe('a flag this tool has never heard of');
  });

  it('the header table gives values; a flag the header lacks makes the value unknown', () => {
    const table: FlagTable = { flags, source: 'btf.h' };
    expect(flagsValue(['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RCU'], table)).toBe(1 + 4 + 128);
    expect(flagsValue(['KF_NEW_THING'], table)).toBe(1 << 20);
    // KF_ITER_NEW exists in 6.12, but this tree's btf.h does not define it.
    expect(flagsValue(['KF_ITER_NEW'], table)).toBeNull();
  });
});

describe('flagsValue and sortFlags', () => {
  const t612 = builtIn(6, 12);

  it('ORs the bits (contracts §2.1: bpf_task_acquire KF_ACQUIRE | KF_RCU | KF_RET_NULL = 133)', () => {
    expect(flagsValue(['KF_ACQUIRE', 'KF_RCU', 'KF_RET_NULL'], t612)).toBe(133);
    expect(flagsValue([], t612)).toBe(0);
    expect(flagsValue(['KF_ITER_NEXT', 'KF_RET_NULL'], t612)).toBe(512 + 4);
  });

  it('null when a flag is unknown to the target', () => {
    expect(flagsValue(['KF_ACQUIRE', 'KF_DEPRECATED'], t612)).toBeNull();
    expect(flagsValue(['KF_FASTCALL'], t612)).toBeNull();
    expect(flagsValue(['KF_TRUSTED_ARGS'], builtIn(7, 0))).toBeNull();
  });

  it('a number written in the flag word counts as itself', () => {
    expect(flagsValue(['KF_ACQUIRE', '0x10'], t612)).toBe(17);
  });

  it('sorts by bit value; unknown names last in their written order', () => {
    expect(sortFlags(['KF_RET_NULL', 'KF_RCU', 'KF_ACQUIRE'], t612)).toEqual(['KF_ACQUIRE', 'KF_RET_NULL', 'KF_RCU']);
    expect(sortFlags(['KF_ZZZ', 'KF_SLEEPABLE', 'KF_AAA', 'KF_RELEASE'], t612)).toEqual(['KF_RELEASE', 'KF_SLEEPABLE', 'KF_ZZZ', 'KF_AAA']);
    // A flag the target lacks still sorts by its known bit.
    expect(sortFlags(['KF_IMPLICIT_ARGS', 'KF_FASTCALL', 'KF_RCU'], t612)).toEqual(['KF_RCU', 'KF_FASTCALL', 'KF_IMPLICIT_ARGS']);
  });
});

describe('built-in tables per version', () => {
  const names = (major: number, minor: number) => [...flagsForVersion(v(major, minor)).keys()].sort();

  it('6.1: KF_KPTR_GET and KF_TRUSTED_ARGS, no KF_RCU, no iterators', () => {
    expect(names(6, 1)).toEqual(
      ['KF_ACQUIRE', 'KF_DESTRUCTIVE', 'KF_KPTR_GET', 'KF_RELEASE', 'KF_RET_NULL', 'KF_SLEEPABLE', 'KF_TRUSTED_ARGS'].sort(),
    );
  });

  it('6.12: the 11 flags of the 6.12 header (§C.1), KF_KPTR_GET gone', () => {
    expect(names(6, 12)).toEqual(
      [
        'KF_ACQUIRE', 'KF_RELEASE', 'KF_RET_NULL', 'KF_TRUSTED_ARGS', 'KF_SLEEPABLE', 'KF_DESTRUCTIVE', 'KF_RCU',
        'KF_ITER_NEW', 'KF_ITER_NEXT', 'KF_ITER_DESTROY', 'KF_RCU_PROTECTED',
      ].sort(),
    );
  });

  it('7.0: KF_TRUSTED_ARGS removed; fastcall, arena and implicit-args flags present', () => {
    const f = names(7, 0);
    expect(f).not.toContain('KF_TRUSTED_ARGS');
    expect(f).not.toContain('KF_KPTR_GET');
    for (const n of ['KF_FASTCALL', 'KF_ARENA_RET', 'KF_ARENA_ARG1', 'KF_ARENA_ARG2', 'KF_IMPLICIT_ARGS', 'KF_RCU_PROTECTED']) expect(f).toContain(n);
  });

  it('the version boundaries: KF_KPTR_GET in 6.3 not 6.4, KF_RCU from 6.2, iterators from 6.4, KF_FASTCALL from 6.13', () => {
    expect(flagsForVersion(v(6, 3)).has('KF_KPTR_GET')).toBe(true);
    expect(flagsForVersion(v(6, 4)).has('KF_KPTR_GET')).toBe(false);
    expect(flagsForVersion(v(6, 1)).has('KF_RCU')).toBe(false);
    expect(flagsForVersion(v(6, 2)).has('KF_RCU')).toBe(true);
    expect(flagsForVersion(v(6, 3)).has('KF_ITER_NEW')).toBe(false);
    expect(flagsForVersion(v(6, 4)).has('KF_ITER_NEW')).toBe(true);
    expect(flagsForVersion(v(6, 12)).has('KF_FASTCALL')).toBe(false);
    expect(flagsForVersion(v(6, 13)).has('KF_FASTCALL')).toBe(true);
    expect(flagsForVersion(v(6, 19)).has('KF_TRUSTED_ARGS')).toBe(true);
    expect(flagsForVersion(v(6, 19)).has('KF_IMPLICIT_ARGS')).toBe(false);
  });

  it('bits are the kernel bits (§C.1)', () => {
    const t = flagsForVersion(v(7, 0));
    expect(
      ['KF_ACQUIRE', 'KF_RELEASE', 'KF_RET_NULL', 'KF_SLEEPABLE', 'KF_DESTRUCTIVE', 'KF_RCU', 'KF_ITER_NEW', 'KF_ITER_NEXT', 'KF_ITER_DESTROY', 'KF_RCU_PROTECTED', 'KF_FASTCALL', 'KF_ARENA_RET', 'KF_ARENA_ARG1', 'KF_ARENA_ARG2', 'KF_IMPLICIT_ARGS'].map(
        (n) => t.get(n)?.bit,
      ),
    ).toEqual([0, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(flagsForVersion(v(6, 1)).get('KF_KPTR_GET')?.bit).toBe(3);
    expect(flagsForVersion(v(6, 12)).get('KF_TRUSTED_ARGS')?.bit).toBe(4);
  });

  it('hasFlagSupport: introduced-in check', () => {
    expect(hasFlagSupport(v(6, 12), 'KF_RCU_PROTECTED')).toBe(true);
    expect(hasFlagSupport(v(6, 6), 'KF_RCU_PROTECTED')).toBe(false);
    expect(hasFlagSupport(v(7, 0), 'KF_NOPE')).toBe(false);
  });
});

describe('kernel versions', () => {
  it('reads VERSION and PATCHLEVEL from a top-level Makefile', () => {
    const mk = '# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\nEXTRAVERSION =\nNAME = Baby Opossum Posse\n';
    expect(versionFromMakefile(mk)).toEqual(v(6, 12));
    expect(versionFromMakefile('KERNELVERSION = 6.12\n')).toBeUndefined();
    expect(versionFromMakefile('VERSION = 7\n')).toBeUndefined();
  });

  it('parses, formats and compares', () => {
    expect(parseVersion('6.12')).toEqual(v(6, 12));
    expect(parseVersion('v7.0-rc3')).toEqual(v(7, 0));
    expect(parseVersion('six')).toBeUndefined();
    expect(formatVersion(v(6, 1))).toBe('6.1');
    // 6.9 < 6.12: numeric, not lexical.
    expect(compareVersions(v(6, 9), v(6, 12))).toBeLessThan(0);
    expect(compareVersions(v(7, 0), v(6, 19))).toBeGreaterThan(0);
    expect(atLeast(v(6, 12), 6, 9)).toBe(true);
    expect(atLeast(v(6, 8), 6, 9)).toBe(false);
  });
});
