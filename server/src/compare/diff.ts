/**
 * `diff`: kfunc API changes between two snapshots (contracts §2.5, kfunc-spec §G). Pure.
 *
 * A kfunc is added or removed by name. For one present on both sides the changes are: `prototype` (the BPF-visible
 * prototype, parameter names included), `flags`, `progTypes`, `guard` and `file`. A change is breaking when a BPF
 * program built against OLD can fail to load against NEW:
 * - removed kfuncs;
 * - a prototype whose return or parameter types or arity change, or whose parameter names change what the verifier
 *   reads (a suffix such as `__sz`, `__k`, `__nullable`); a rename without a suffix change is reported as not breaking;
 * - a flag added that restricts callers (KF_ACQUIRE, KF_RELEASE, KF_RET_NULL, KF_SLEEPABLE, KF_DESTRUCTIVE,
 *   KF_RCU_PROTECTED, KF_ITER_*), KF_ACQUIRE/KF_RELEASE/KF_ITER_* removed (the reference protocol changes), or
 *   pointer arguments that must now be trusted: KF_TRUSTED_ARGS added, KF_RCU dropped, or a 7.0 boundary crossed
 *   (7.0 made trusted arguments the default and deleted KF_TRUSTED_ARGS);
 * - program types removed, counted per verifier hook (TRACING, TRACEPOINT, PERF_EVENT and LSM share one; a set for
 *   BPF_PROG_TYPE_UNSPEC serves every program type).
 * A removed and an added kfunc that look like one renamed (`bpf_wq_set_callback_impl` → `bpf_wq_set_callback`) are
 * still reported as removed and added, with `likelyRenamedTo` / `likelyRenameOf`.
 */
import { atLeast, formatVersion, type KernelVersion } from '../kernel/version';
import {
  describeShapeDifference, flagText, isStructPointer, nameMeaning, prototypeChangeBreaks, sameShape, sameTypes,
  type ApiKfunc, type ApiRegistration, type ApiSnapshot, type ProtoShape,
} from './shapes';

export type ChangeKind = 'prototype' | 'flags' | 'progTypes' | 'guard' | 'file';

export interface DiffChange {
  kind: ChangeKind;
  old: string;
  new: string;
  breaking: boolean;
  /** What differs or why it breaks, in words. */
  detail?: string[];
}

export interface DiffAdded {
  name: string;
  file: string | null;
  /** BPF-visible prototype (null when no definition was found). */
  prototype: string | null;
  /** The removed kfunc this one probably replaces. */
  likelyRenameOf?: string;
  renameReason?: string;
}

export interface DiffRemoved {
  name: string;
  file: string | null;
  prototype: string | null;
  breaking: true;
  likelyRenamedTo?: string;
  renameReason?: string;
}

export interface DiffChanged {
  name: string;
  breaking: boolean;
  file: string | null;
  changes: DiffChange[];
}

export interface DiffSide {
  path: string;
  kernelVersion: string | null;
  kfuncs: number;
}

export interface DiffReport {
  schema: 1;
  old: DiffSide;
  new: DiffSide;
  added: DiffAdded[];
  removed: DiffRemoved[];
  changed: DiffChanged[];
  summary: { added: number; removed: number; changed: number; breaking: number; likelyRenames: number };
}

const BREAKS_WHEN_ADDED = new Set([
  'KF_ACQUIRE', 'KF_RELEASE', 'KF_RET_NULL', 'KF_SLEEPABLE', 'KF_DESTRUCTIVE', 'KF_RCU_PROTECTED',
  'KF_ITER_NEW', 'KF_ITER_NEXT', 'KF_ITER_DESTROY', 'KF_PERFMON',
]);
const BREAKS_WHEN_REMOVED = new Set(['KF_ACQUIRE', 'KF_RELEASE', 'KF_ITER_NEW', 'KF_ITER_NEXT', 'KF_ITER_DESTROY', 'KF_SPINLOCK_SAFE']);

/** Verifier hook of a program type (kfunc-spec §B.2); program types that share a hook share kfuncs. */
const HOOKS: Record<string, string> = {
  BPF_PROG_TYPE_UNSPEC: 'COMMON',
  BPF_PROG_TYPE_XDP: 'XDP',
  BPF_PROG_TYPE_SCHED_CLS: 'TC',
  BPF_PROG_TYPE_STRUCT_OPS: 'STRUCT_OPS',
  BPF_PROG_TYPE_TRACING: 'TRACING', BPF_PROG_TYPE_TRACEPOINT: 'TRACING', BPF_PROG_TYPE_PERF_EVENT: 'TRACING', BPF_PROG_TYPE_LSM: 'TRACING',
  BPF_PROG_TYPE_SYSCALL: 'SYSCALL',
  BPF_PROG_TYPE_CGROUP_SKB: 'CGROUP', BPF_PROG_TYPE_CGROUP_SOCK: 'CGROUP', BPF_PROG_TYPE_CGROUP_DEVICE: 'CGROUP',
  BPF_PROG_TYPE_CGROUP_SOCK_ADDR: 'CGROUP', BPF_PROG_TYPE_CGROUP_SOCKOPT: 'CGROUP', BPF_PROG_TYPE_CGROUP_SYSCTL: 'CGROUP',
  BPF_PROG_TYPE_SCHED_ACT: 'SCHED_ACT',
  BPF_PROG_TYPE_SK_SKB: 'SK_SKB',
  BPF_PROG_TYPE_SOCKET_FILTER: 'SOCKET_FILTER',
  BPF_PROG_TYPE_LWT_OUT: 'LWT', BPF_PROG_TYPE_LWT_IN: 'LWT', BPF_PROG_TYPE_LWT_XMIT: 'LWT', BPF_PROG_TYPE_LWT_SEG6LOCAL: 'LWT',
  BPF_PROG_TYPE_NETFILTER: 'NETFILTER',
  BPF_PROG_TYPE_KPROBE: 'KPROBE',
  fmodret: 'FMODRET',
};
const hookOf = (progType: string) => HOOKS[progType] ?? progType;

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export interface DiffInput {
  old: ApiSnapshot;
  new: ApiSnapshot;
  oldPath: string;
  newPath: string;
}

export function diffSnapshots(input: DiffInput): DiffReport {
  const { old: a, new: b } = input;
  const added: DiffAdded[] = [];
  const removed: DiffRemoved[] = [];
  const changed: DiffChanged[] = [];
  for (const k of a.kfuncs.values()) {
    if (!b.kfuncs.has(k.name)) removed.push({ name: k.name, file: k.file, prototype: k.proto?.text ?? null, breaking: true });
  }
  for (const k of b.kfuncs.values()) {
    const before = a.kfuncs.get(k.name);
    if (!before) {
      added.push({ name: k.name, file: k.file, prototype: k.proto?.text ?? null });
      continue;
    }
    const changes = compareKfunc(before, k, a.version, b.version);
    if (changes.length) changed.push({ name: k.name, breaking: changes.some((c) => c.breaking), file: k.file, changes });
  }
  added.sort(byName);
  removed.sort(byName);
  changed.sort(byName);
  const renames = findRenames(removed, added, a, b);
  return {
    schema: 1,
    old: { path: input.oldPath, kernelVersion: a.version ? formatVersion(a.version) : null, kfuncs: a.kfuncs.size },
    new: { path: input.newPath, kernelVersion: b.version ? formatVersion(b.version) : null, kfuncs: b.kfuncs.size },
    added,
    removed,
    changed,
    summary: {
      added: added.length,
      removed: removed.length,
      changed: changed.length,
      breaking: removed.length + changed.filter((c) => c.breaking).length,
      likelyRenames: renames,
    },
  };
}

function compareKfunc(a: ApiKfunc, b: ApiKfunc, va: KernelVersion | null, vb: KernelVersion | null): DiffChange[] {
  const out: DiffChange[] = [];
  if (a.proto && b.proto && !sameShape(a.proto, b.proto)) {
    const breaking = prototypeChangeBreaks(a.proto, b.proto);
    const detail = describeShapeDifference(a.proto, b.proto);
    const n = a.proto.params.length === b.proto.params.length ? a.proto.params.length : 0;
    for (let i = 0; i < n; i++) {
      const [x, y] = [nameMeaning(a.proto.params[i].name), nameMeaning(b.proto.params[i].name)];
      if (x !== y) detail.push(`parameter ${i + 1}: the verifier reads ${x || '(no suffix)'} → ${y || '(no suffix)'}`);
    }
    if (!breaking) detail.push('not breaking: only parameter names without a verifier suffix, or const/volatile, changed');
    out.push({ kind: 'prototype', old: a.proto.text, new: b.proto.text, breaking, detail });
  }
  const flags = compareFlags(a, b, va, vb);
  if (flags) out.push(flags);
  const progTypes = compareProgTypes(a.registrations, b.registrations);
  if (progTypes) out.push(progTypes);
  if (a.guard !== b.guard && a.file !== null && b.file !== null) {
    out.push({ kind: 'guard', old: a.guard ?? '(none)', new: b.guard ?? '(none)', breaking: false });
  }
  if (a.file !== b.file && a.file !== null && b.file !== null) out.push({ kind: 'file', old: a.file, new: b.file, breaking: false });
  return out;
}

/** `KF_A | KF_B`, or `set_a: KF_A; set_b: (none)` when the kfunc's sets disagree. */
function profileText(regs: ApiRegistration[]): string {
  const texts = [...new Set(regs.map((r) => flagText(r.flags)))];
  if (texts.length <= 1) return texts[0] ?? '(none)';
  return regs.map((r) => `${r.set ?? '?'}: ${flagText(r.flags)}`).join('; ');
}

type Trust = 0 | 1 | 2; // any pointer, trusted or RCU, trusted only
const TRUST_NAMES = ['untrusted pointers allowed', 'trusted or RCU pointers', 'trusted pointers only'];

function trustLevel(flags: readonly string[], version: KernelVersion | null): Trust {
  if (version && atLeast(version, 7, 0)) return flags.includes('KF_RCU') ? 1 : 2;
  if (flags.includes('KF_RCU')) return 1;
  return flags.includes('KF_TRUSTED_ARGS') || flags.includes('KF_RELEASE') ? 2 : 0;
}

/** Pairs registrations by set name, then the rest in order. */
function pairRegistrations(a: ApiRegistration[], b: ApiRegistration[]): Array<[ApiRegistration, ApiRegistration]> {
  const pairs: Array<[ApiRegistration, ApiRegistration]> = [];
  const leftA = [...a];
  const leftB: ApiRegistration[] = [];
  for (const r of b) {
    const i = r.set === null ? -1 : leftA.findIndex((x) => x.set === r.set);
    if (i === -1) leftB.push(r);
    else pairs.push([leftA.splice(i, 1)[0], r]);
  }
  if (leftA.length === 1) for (const r of leftB) pairs.push([leftA[0], r]);
  else for (let i = 0; i < Math.min(leftA.length, leftB.length); i++) pairs.push([leftA[i], leftB[i]]);
  return pairs;
}

function compareFlags(a: ApiKfunc, b: ApiKfunc, va: KernelVersion | null, vb: KernelVersion | null): DiffChange | null {
  if (a.registrations.length === 0 || b.registrations.length === 0) return null;
  const oldText = profileText(a.registrations);
  const newText = profileText(b.registrations);
  // Trusted-argument rules only matter for pointer-to-struct arguments.
  const params = b.proto?.params ?? a.proto?.params ?? [];
  const hasStructPointer = params.some((p) => isStructPointer(p.type));
  // With one version unknown (a BTF file), both sides are read with the same era's rules.
  const [eraA, eraB] = va && vb ? [va, vb] : [va ?? vb, va ?? vb];
  const detail = new Set<string>();
  let breaking = false;
  for (const [x, y] of pairRegistrations(a.registrations, b.registrations)) {
    for (const f of y.flags) {
      if (x.flags.includes(f)) continue;
      if (BREAKS_WHEN_ADDED.has(f)) {
        breaking = true;
        detail.add(`${f} added: restricts callers`);
      }
    }
    for (const f of x.flags) {
      if (y.flags.includes(f)) continue;
      if (BREAKS_WHEN_REMOVED.has(f)) {
        breaking = true;
        detail.add(`${f} removed: programs written for the old behaviour are rejected`);
      }
    }
    const before = trustLevel(x.flags, eraA);
    const after = trustLevel(y.flags, eraB);
    const crossed = eraA && eraB && !atLeast(eraA, 7, 0) && atLeast(eraB, 7, 0);
    if (hasStructPointer && after > before) {
      breaking = true;
      detail.add(`pointer arguments: ${TRUST_NAMES[before]} → ${TRUST_NAMES[after]}`
        + (crossed ? ' (7.0 made trusted arguments the default; KF_RCU opts out)' : ''));
    } else if (crossed && x.flags.includes('KF_TRUSTED_ARGS') && !y.flags.includes('KF_TRUSTED_ARGS') && after === before) {
      detail.add('KF_TRUSTED_ARGS removed: 7.0 deleted the flag because trusted arguments are the default (no change for programs)');
    }
  }
  if (oldText === newText && !breaking) return null;
  if (oldText === newText) detail.add('same flags, different meaning in the new kernel');
  return { kind: 'flags', old: oldText, new: newText, breaking, ...(detail.size ? { detail: [...detail] } : {}) };
}

function compareProgTypes(a: ApiRegistration[], b: ApiRegistration[]): DiffChange | null {
  if (a.some((r) => r.progTypes === null) || b.some((r) => r.progTypes === null)) return null;
  const union = (regs: ApiRegistration[]) => [...new Set(regs.flatMap((r) => r.progTypes ?? []))].sort();
  const oldTypes = union(a);
  const newTypes = union(b);
  if (oldTypes.join() === newTypes.join()) return null;
  const newHooks = new Set(newTypes.map(hookOf));
  const lost = oldTypes.filter((t) => !newTypes.includes(t));
  const lostHooks = lost.filter((t) => !newHooks.has(hookOf(t)) && !(newHooks.has('COMMON') && t !== 'fmodret'));
  const detail: string[] = [];
  if (lostHooks.length) detail.push(`no longer callable from ${lostHooks.join(', ')}`);
  else if (lost.length) detail.push(`${lost.join(', ')} dropped, but still covered by the same verifier hook`);
  const gained = newTypes.filter((t) => !oldTypes.includes(t));
  if (gained.length) detail.push(`newly callable from ${gained.join(', ')}`);
  const show = (t: string[]) => (t.length ? t.join(', ') : '(none)');
  return { kind: 'progTypes', old: show(oldTypes), new: show(newTypes), breaking: lostHooks.length > 0, detail };
}

/** `bpf_wq_set_callback_impl` → `bpf_wq_set_callback`; `foo___v2` → `foo`. */
function stem(name: string): string {
  return name.replace(/_impl$/, '').replace(/___v\d+$/, '');
}

/** Bigram similarity of two names (Dice coefficient), 0..1. */
function similarity(x: string, y: string): number {
  const grams = (s: string) => {
    const out = new Map<string, number>();
    for (let i = 0; i < s.length - 1; i++) out.set(s.slice(i, i + 2), (out.get(s.slice(i, i + 2)) ?? 0) + 1);
    return out;
  };
  const gx = grams(x);
  const gy = grams(y);
  let common = 0;
  for (const [g, n] of gx) common += Math.min(n, gy.get(g) ?? 0);
  const total = Math.max(1, x.length - 1 + y.length - 1);
  return (2 * common) / total;
}

/** Drops trailing parameters the verifier fills in or ignores (`void *aux__ign`, `aux__prog`, implicit types). */
function withoutTrailingSupplied(p: ProtoShape): ProtoShape {
  const params = [...p.params];
  while (params.length) {
    const last = params[params.length - 1];
    const meaning = nameMeaning(last.name);
    if (meaning === '__ign' || meaning === '__prog' || meaning === '__implicit' || /^struct (bpf_prog_aux|btf_struct_meta) \*$/.test(last.type)) params.pop();
    else break;
  }
  return { ...p, params };
}

/**
 * Marks likely renames: a removed and an added kfunc whose names share a stem (`_impl`, `___vN` dropped) and whose
 * parameters agree apart from verifier-supplied trailing arguments, or two kfuncs with identical return and
 * parameter types and similar names. Each kfunc takes part in at most one rename. Returns the count.
 */
function findRenames(removed: DiffRemoved[], added: DiffAdded[], a: ApiSnapshot, b: ApiSnapshot): number {
  const usedOld = new Set<string>();
  const usedNew = new Set<string>();
  const link = (r: DiffRemoved, n: DiffAdded, reason: string) => {
    usedOld.add(r.name);
    usedNew.add(n.name);
    r.likelyRenamedTo = n.name;
    r.renameReason = reason;
    n.likelyRenameOf = r.name;
    n.renameReason = reason;
  };
  // Pass 1: same stem.
  for (const r of removed) {
    const old = a.kfuncs.get(r.name)?.proto;
    for (const n of added) {
      if (usedNew.has(n.name) || stem(r.name) !== stem(n.name)) continue;
      const kn = b.kfuncs.get(n.name);
      const neu = kn?.proto;
      if (!old || !neu) continue;
      const implicitOrIgnored = sameTypes(withoutTrailingSupplied(old), neu) || (kn.fullProto !== null && sameTypes(withoutTrailingSupplied(old), withoutTrailingSupplied(kn.fullProto)));
      if (sameTypes(old, neu)) link(r, n, 'same name stem, same return and parameter types');
      else if (implicitOrIgnored) {
        link(r, n, 'same name stem, same parameters apart from the trailing argument the verifier supplies (the 7.0 `_impl` → KF_IMPLICIT_ARGS migration)');
      } else continue;
      break;
    }
  }
  // Pass 2: identical types and a similar name, when exactly one candidate fits.
  for (const r of removed) {
    if (usedOld.has(r.name)) continue;
    const old = a.kfuncs.get(r.name)?.proto;
    if (!old || old.params.length === 0) continue;
    const candidates = added.filter((n) => {
      const neu = b.kfuncs.get(n.name)?.proto;
      return !usedNew.has(n.name) && neu !== null && neu !== undefined && sameTypes(old, neu) && similarity(r.name, n.name) >= 0.6;
    });
    if (candidates.length === 1) link(r, candidates[0], 'same return and parameter types, similar name');
  }
  return usedOld.size;
}
