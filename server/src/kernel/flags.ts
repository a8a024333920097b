/**
 * KF_* flags: names, bits and meanings. A tree's own include/linux/btf.h is the authority when present; otherwise
 * the built-in table (kfunc-spec §C.1) gives the flags of the target kernel version.
 */
import { parseDefine } from '../parse/macros';
import { scanSource } from '../parse/scanner';
import { atLeast, compareVersions, type KernelVersion } from './version';

export interface FlagInfo {
  name: string;
  bit: number;
  /** One line for hovers. */
  meaning: string;
  /** First kernel with the flag, and the first without it again (null while it exists). */
  since: KernelVersion;
  removedIn: KernelVersion | null;
}

const v = (major: number, minor: number): KernelVersion => ({ major, minor });

export const KNOWN_FLAGS: readonly FlagInfo[] = [
  { name: 'KF_ACQUIRE', bit: 0, since: v(5, 18), removedIn: null, meaning: 'returns a referenced pointer that the program must release (or store as a kptr)' },
  { name: 'KF_RELEASE', bit: 1, since: v(5, 18), removedIn: null, meaning: 'releases the referenced pointer passed to it; implies trusted arguments' },
  { name: 'KF_RET_NULL', bit: 2, since: v(5, 18), removedIn: null, meaning: 'the returned pointer may be NULL and must be checked before use' },
  { name: 'KF_KPTR_GET', bit: 3, since: v(5, 19), removedIn: v(6, 4), meaning: 'takes a kptr and returns a referenced pointer to it (removed in 6.4)' },
  { name: 'KF_TRUSTED_ARGS', bit: 4, since: v(6, 0), removedIn: v(7, 0), meaning: 'pointer arguments must be trusted (the default for every kfunc from 7.0, where the flag is gone)' },
  { name: 'KF_SLEEPABLE', bit: 5, since: v(6, 0), removedIn: null, meaning: 'may sleep: only sleepable programs may call it' },
  { name: 'KF_DESTRUCTIVE', bit: 6, since: v(6, 1), removedIn: null, meaning: 'destructive to the system: the caller needs CAP_SYS_BOOT' },
  { name: 'KF_RCU', bit: 7, since: v(6, 2), removedIn: null, meaning: 'arguments may be trusted or RCU-protected pointers' },
  { name: 'KF_ITER_NEW', bit: 8, since: v(6, 4), removedIn: null, meaning: 'open-coded iterator constructor (bpf_iter_<type>_new)' },
  { name: 'KF_ITER_NEXT', bit: 9, since: v(6, 4), removedIn: null, meaning: 'open-coded iterator step (bpf_iter_<type>_next); returns NULL at the end' },
  { name: 'KF_ITER_DESTROY', bit: 10, since: v(6, 4), removedIn: null, meaning: 'open-coded iterator destructor (bpf_iter_<type>_destroy)' },
  { name: 'KF_RCU_PROTECTED', bit: 11, since: v(6, 7), removedIn: null, meaning: 'must be used inside an RCU read-side critical section' },
  { name: 'KF_FASTCALL', bit: 12, since: v(6, 13), removedIn: null, meaning: 'follows the bpf_fastcall contract: the verifier assumes only R0-R5 are clobbered (only for inlined kfuncs)' },
  { name: 'KF_ARENA_RET', bit: 13, since: v(6, 15), removedIn: null, meaning: 'the returned pointer points into a BPF arena (address_space(1) in BTF)' },
  { name: 'KF_ARENA_ARG1', bit: 14, since: v(6, 15), removedIn: null, meaning: 'argument 1 points into a BPF arena (address_space(1) in BTF)' },
  { name: 'KF_ARENA_ARG2', bit: 15, since: v(6, 15), removedIn: null, meaning: 'argument 2 points into a BPF arena (address_space(1) in BTF)' },
  { name: 'KF_IMPLICIT_ARGS', bit: 16, since: v(7, 0), removedIn: null, meaning: 'the verifier fills in the trailing implicit arguments; BPF programs do not pass them' },
  { name: 'KF_SPINLOCK_SAFE', bit: 17, since: v(7, 2), removedIn: null, meaning: 'may be called while a bpf_spin_lock or resilient lock is held' },
];

/** The flags a kernel version defines, by name. */
export function flagsForVersion(version: KernelVersion): Map<string, FlagInfo> {
  const out = new Map<string, FlagInfo>();
  for (const f of KNOWN_FLAGS) {
    if (compareVersions(version, f.since) >= 0 && (f.removedIn === null || compareVersions(version, f.removedIn) < 0)) {
      out.set(f.name, f);
    }
  }
  return out;
}

export function knownFlag(name: string): FlagInfo | undefined {
  return KNOWN_FLAGS.find((f) => f.name === name);
}

/** Evaluates the small constant forms KF_* are defined with: `(1 << 4)`, `BIT(4)`, `0x10`, `16`. */
function bitOf(body: string): number | undefined {
  const b = body.replace(/\/\*.*?\*\//g, '').trim();
  let m = /^\(?\s*1U?L?\s*<<\s*(\d+)\s*\)?$/.exec(b) ?? /^\(?\s*BIT(?:_ULL)?\s*\(\s*(\d+)\s*\)\s*\)?$/.exec(b);
  if (m) return Number(m[1]);
  m = /^\(?\s*(0x[0-9a-fA-F]+|\d+)U?L?\s*\)?$/.exec(b);
  if (m) {
    const value = Number(m[1]);
    if (value > 0 && (value & (value - 1)) === 0) return Math.log2(value);
  }
  return undefined;
}

/** `#define KF_X (1 << n)` lines of a btf.h, with meanings from the built-in table (or the line's comment). */
export function flagsFromBtfHeader(text: string): Map<string, FlagInfo> {
  const out = new Map<string, FlagInfo>();
  for (const d of scanSource(text).directives) {
    if (d.keyword !== 'define') continue;
    const def = parseDefine(d, text);
    if (!def || def.params !== null || !/^KF_[A-Z0-9_]+$/.test(def.name)) continue;
    const bit = bitOf(def.body);
    if (bit === undefined) continue;
    const known = knownFlag(def.name);
    const comment = /\/\*\s*(.*?)\s*\*\//.exec(text.slice(d.start, d.end + 200).split('\n')[0])?.[1];
    out.set(def.name, {
      name: def.name,
      bit,
      meaning: known?.meaning ?? comment ?? 'defined in include/linux/btf.h',
      since: known?.since ?? v(0, 0),
      removedIn: null,
    });
  }
  return out;
}

export interface FlagTable {
  flags: Map<string, FlagInfo>;
  /** Where the table came from: the tree's btf.h, or the built-in table for a version. */
  source: 'btf.h' | 'built-in';
}

/** Numeric OR of flag names; null when one is unknown. Numbers written in the flag word count as themselves. */
export function flagsValue(names: string[], table: FlagTable): number | null {
  let value = 0;
  for (const n of names) {
    const f = table.flags.get(n);
    if (f) value |= 2 ** f.bit;
    else if (/^(0x[0-9a-f]+|\d+)$/i.test(n)) value |= Number(n);
    else return null;
  }
  return value;
}

/** Sorts flag names by bit (unknown names last, in their written order). */
export function sortFlags(names: string[], table: FlagTable): string[] {
  const bit = (n: string) => table.flags.get(n)?.bit ?? knownFlag(n)?.bit ?? Number.MAX_SAFE_INTEGER;
  return names
    .map((n, i) => ({ n, i }))
    .sort((a, b) => bit(a.n) - bit(b.n) || a.i - b.i)
    .map((x) => x.n);
}

export function hasFlagSupport(version: KernelVersion, flag: string): boolean {
  const f = knownFlag(flag);
  return f !== undefined && atLeast(version, f.since.major, f.since.minor);
}
