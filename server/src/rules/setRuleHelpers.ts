/**
 * Helpers of the set/flag rules: preprocessor-branch exclusivity, C type predicates the verifier's checks reduce
 * to, program type → kfunc hook, and the per-kfunc views of registrations those rules share.
 */
import type { FunctionFact, SetEntry, Span, TypeInfo } from '../facts/types';
import type { Kfunc, KfuncEntry, Located, SetInfo } from '../model/types';
import { firstWordOffset } from '../text/words';
import { entryLabel } from './helpers';
import type { RelatedLocation } from './types';

// ---------------------------------------------------------------------------------------------------------------
// Preprocessor conditions

/** Top-level `&&` conjuncts of a rendered guard (`A && (B || C) && !D` → ['A', '(B || C)', '!D']). */
export function conjuncts(guard: string | null): string[] {
  if (!guard) return [];
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < guard.length; i++) {
    const c = guard[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && guard.startsWith('&&', i)) {
      out.push(guard.slice(start, i).trim());
      start = i + 2;
      i++;
    }
  }
  out.push(guard.slice(start).trim());
  return out.filter((s) => s.length > 0).map(normalizeCondition);
}

/** `defined(X)`, `defined X` → `X`; spacing collapsed. */
function normalizeCondition(c: string): string {
  return c
    .replace(/\s+/g, ' ')
    .replace(/\bdefined\s*\(\s*(\w+)\s*\)/g, '$1')
    .replace(/\bdefined\s+(\w+)/g, '$1')
    .trim();
}

/** `(x)` → `x` when the parentheses wrap the whole condition. */
function stripOuterParens(c: string): string {
  while (c.startsWith('(') && c.endsWith(')')) {
    let depth = 0;
    let wraps = true;
    for (let i = 0; i < c.length - 1; i++) {
      if (c[i] === '(') depth++;
      else if (c[i] === ')') depth--;
      if (depth === 0) {
        wraps = false;
        break;
      }
    }
    if (!wraps) break;
    c = c.slice(1, -1).trim();
  }
  return c;
}

/** A condition with its negations folded and outer parentheses dropped: `!(A || B)` and `!((A || B))` agree. */
function canonical(c: string): string {
  let rest = stripOuterParens(normalizeCondition(c));
  let negated = false;
  while (rest.startsWith('!')) {
    negated = !negated;
    rest = stripOuterParens(rest.slice(1).trim());
  }
  return (negated ? '!' : '') + rest;
}

/** Both guards can never hold at once: one has a conjunct whose negation is a conjunct of the other. */
export function guardsExclusive(a: string | null, b: string | null): boolean {
  const cb = new Set(conjuncts(b).map(canonical));
  return conjuncts(a).some((c) => cb.has(canonical(`!(${c})`)));
}

/** Code under `#if 0` (or a guard with a literal 0 conjunct) is never compiled. */
export function deadGuard(guard: string | null): boolean {
  return conjuncts(guard).includes('0');
}

// ---------------------------------------------------------------------------------------------------------------
// Types

/** Typedefs the kernel uses for scalars (never structs): a pointer to one of them points to a scalar. */
const SCALAR_TYPEDEFS = new Set([
  'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64',
  '__u8', '__u16', '__u32', '__u64', '__s8', '__s16', '__s32', '__s64',
  '__be16', '__be32', '__be64', '__le16', '__le32', '__le64', '__wsum', '__sum16',
  'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'int8_t', 'int16_t', 'int32_t', 'int64_t',
  'size_t', 'ssize_t', 'bool', '_Bool', 'uintptr_t', 'ptrdiff_t', 'gfp_t', 'pid_t', 'uid_t', 'gid_t',
  'loff_t', 'off_t', 'dma_addr_t', 'phys_addr_t', 'resource_size_t', 'umode_t', 'time64_t', 'ktime_t', 'dev_t',
]);

/** `void` with no derivations. */
export function isVoid(t: TypeInfo): boolean {
  return t.derivations.length === 0 && t.base === 'void';
}

/** Known to be a scalar (int/enum/known scalar typedef), not a pointer. */
export function isKnownScalar(t: TypeInfo): boolean {
  if (t.derivations.length > 0) return false;
  if (t.base === 'void') return false;
  return t.baseKind === 'primitive' || t.baseKind === 'enum' || (t.baseKind === 'typedef' && SCALAR_TYPEDEFS.has(t.base));
}

/** Known not to be a pointer: void, or a known scalar. Typedef names we cannot resolve are "unknown" (false). */
export function isKnownNonPointer(t: TypeInfo): boolean {
  return isVoid(t) || isKnownScalar(t);
}

export function isPointer(t: TypeInfo): boolean {
  return t.derivations.length >= 1 && t.derivations[0] === 'ptr';
}

/** `struct x *` / `union x *` (qualifiers allowed), what btf_type_is_struct_ptr() accepts. */
export function isStructPointer(t: TypeInfo): boolean {
  return t.derivations.length === 1 && t.derivations[0] === 'ptr' && (t.baseKind === 'struct' || t.baseKind === 'union');
}

/** Might be a pointer to a struct: a struct pointer, or a pointer to a typedef we cannot resolve. */
export function mayBeStructPointer(t: TypeInfo): boolean {
  if (isStructPointer(t)) return true;
  return t.derivations.length === 1 && t.derivations[0] === 'ptr' && t.baseKind !== 'struct' && t.baseKind !== 'union' &&
    (t.baseKind === 'typedef' || t.baseKind === 'unknown') && !SCALAR_TYPEDEFS.has(t.base);
}

// ---------------------------------------------------------------------------------------------------------------
// Program types and hooks (kernel/bpf/btf.c bpf_prog_type_to_kfunc_hook)

const HOOKS: Record<string, string> = {
  BPF_PROG_TYPE_UNSPEC: 'COMMON',
  BPF_PROG_TYPE_XDP: 'XDP',
  BPF_PROG_TYPE_SCHED_CLS: 'TC',
  BPF_PROG_TYPE_STRUCT_OPS: 'STRUCT_OPS',
  BPF_PROG_TYPE_TRACING: 'TRACING',
  BPF_PROG_TYPE_TRACEPOINT: 'TRACING',
  BPF_PROG_TYPE_PERF_EVENT: 'TRACING',
  BPF_PROG_TYPE_LSM: 'TRACING',
  BPF_PROG_TYPE_SYSCALL: 'SYSCALL',
  BPF_PROG_TYPE_CGROUP_SKB: 'CGROUP',
  BPF_PROG_TYPE_CGROUP_SOCK: 'CGROUP',
  BPF_PROG_TYPE_CGROUP_DEVICE: 'CGROUP',
  BPF_PROG_TYPE_CGROUP_SOCK_ADDR: 'CGROUP',
  BPF_PROG_TYPE_CGROUP_SOCKOPT: 'CGROUP',
  BPF_PROG_TYPE_CGROUP_SYSCTL: 'CGROUP',
  BPF_PROG_TYPE_SCHED_ACT: 'SCHED_ACT',
  BPF_PROG_TYPE_SK_SKB: 'SK_SKB',
  BPF_PROG_TYPE_SOCKET_FILTER: 'SOCKET_FILTER',
  BPF_PROG_TYPE_LWT_OUT: 'LWT',
  BPF_PROG_TYPE_LWT_IN: 'LWT',
  BPF_PROG_TYPE_LWT_XMIT: 'LWT',
  BPF_PROG_TYPE_LWT_SEG6LOCAL: 'LWT',
  BPF_PROG_TYPE_NETFILTER: 'NETFILTER',
  BPF_PROG_TYPE_KPROBE: 'KPROBE',
  fmodret: 'FMODRET',
};

/** The kfunc hook a program type registers into (unknown spellings map to themselves). */
export function hookOf(progType: string): string {
  return HOOKS[progType] ?? progType;
}

/** The hooks a set is registered for. */
export function hooksOf(set: SetInfo): Set<string> {
  return new Set(set.progTypes.map(hookOf));
}

/** Sets registered only through register_btf_fmodret_id_set: attach targets, their flag words unused. */
export function fmodretOnly(set: SetInfo): boolean {
  return set.progTypes.length > 0 && set.progTypes.every((t) => t === 'fmodret');
}

// ---------------------------------------------------------------------------------------------------------------
// Kfuncs and their registrations

/**
 * Can the function body return NULL? False only when its code (comments dropped) has no NULL, no conditional get
 * (`*tryget*`, `*_not_zero*`), no `return 0;` and returns no call's result directly: an unconditional reference.
 */
export function bodyMayReturnNull(text: string | undefined, def: Located<FunctionFact>): boolean {
  if (!text || def.fact.kind !== 'definition') return true;
  return mayReturnNull(text.slice(def.fact.headSpan.end, def.fact.span.end));
}

function mayReturnNull(body: string): boolean {
  const code = body.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ').replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
  return /\bNULL\b|tryget|_not_zero|\breturn\s+(?:\(\s*\w[^)]*\)\s*)?0\s*;|\breturn\b[^;]*\w\s*\(/.test(code);
}

/** "flagged here" related entries. */
export function relatedFlagged(entries: KfuncEntry[], what: string): RelatedLocation[] {
  return entries.map((r) => ({ file: r.set.file, span: r.entry.nameSpan, message: `${what}: ${entryLabel(r)} in set ${r.set.fact.name}` }));
}

/** The parameters BPF programs pass (implicit ones dropped). */
export function explicitParams(k: Kfunc, def: Located<FunctionFact>): FunctionFact['params'] {
  return def.fact.params.filter((_, i) => !k.implicit[i]);
}

/** A flag word as written for messages: `KF_ACQUIRE | KF_RET_NULL`, or `no flags`. */
export function flagWordText(flags: string[]): string {
  return flags.length ? flags.join(' | ') : 'no flags';
}

/**
 * The span of flag `name` inside an entry's flag word (for a precise squiggle), or the whole flag word, or the
 * entry when the flag word is not in this file (an X-macro entry).
 */
export function flagNameSpan(text: string | undefined, entry: SetEntry, name: string): Span {
  const word = entry.flagArgSpans[0];
  if (!word) return entry.span;
  if (!text) return word;
  const slice = text.slice(word.start, word.end);
  // A plain search, not a RegExp built from the name (V8 refuses patterns over ~32K characters).
  const at = firstWordOffset(slice, name);
  if (at === -1) return word;
  const before = slice.slice(0, at);
  const nl = before.lastIndexOf('\n');
  const line = word.line + (before.match(/\n/g)?.length ?? 0);
  const character = nl === -1 ? word.character + at : at - nl - 1;
  const start = word.start + at;
  return { start, end: start + name.length, line, character, endLine: line, endCharacter: character + name.length };
}
