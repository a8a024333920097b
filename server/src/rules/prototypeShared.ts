/**
 * Shared by the prototype, suffix and implicit-argument rules: which kfuncs BPF programs can call, what kind of C
 * type a parameter has as the verifier sees it (scalar, pointer, ...), and verifier parameter-name suffixes
 * (kfunc-spec §C.3, §D; kernel/bpf/verifier.c get_kfunc_ptr_arg_type / check_kfunc_args).
 */
import type { FunctionFact, ParamFact, TypeInfo } from '../facts/types';
import type { Kfunc, KfuncEntry, Located } from '../model/types';
import { prototypeText } from '../model/prototypes';

/** The verifier's maximum number of kfunc arguments (MAX_BPF_FUNC_REG_ARGS: R1-R5). */
export const MAX_KFUNC_ARGS = 5;

/**
 * Registrations through which BPF programs can call the kfunc. A set registered only through
 * register_btf_fmodret_id_set lists BPF_MODIFY_RETURN attach targets (net/bpf/test_run.c bpf_test_modify_return_ids,
 * 6.12 bpf_modify_return_test2 with 7 parameters): its members are never called by BPF, so call-time rules do not
 * apply. A set with no registration at all counts as callable (set-unregistered reports that).
 */
export function callableRegistrations(k: Kfunc): KfuncEntry[] {
  return k.registrations.filter((r) => !(r.set.progTypes.length > 0 && r.set.progTypes.every((t) => t === 'fmodret')));
}

/** The kfunc's definition when BPF programs can call it (registered in a callable kfunc set). */
export function callableDefinition(k: Kfunc): Located<FunctionFact> | null {
  return k.definition && callableRegistrations(k).length > 0 ? k.definition : null;
}

/** Typedef names the kernel defines as integers (others stay unknown: atomic_t is a struct, *_fn_t a pointer). */
const SCALAR_TYPEDEFS = new Set([
  'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64',
  '__u8', '__u16', '__u32', '__u64', '__s8', '__s16', '__s32', '__s64',
  '__le16', '__le32', '__le64', '__be16', '__be32', '__be64', '__wsum', '__sum16',
  'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'int8_t', 'int16_t', 'int32_t', 'int64_t',
  'size_t', 'ssize_t', 'uintptr_t', 'intptr_t', 'ptrdiff_t', 'bool', 'gfp_t', 'pid_t', 'uid_t', 'gid_t', 'loff_t',
  'off_t', 'time64_t', 'ktime_t', 'dma_addr_t', 'phys_addr_t', 'resource_size_t', 'umode_t', 'fmode_t', 'dev_t',
  'netdev_features_t', 'sector_t', 'blkcnt_t',
]);

export type ParamKind = 'scalar' | 'pointer' | 'float' | 'aggregate' | 'void' | 'unknown';

/** How the verifier classifies a C type (typedefs other than well-known integer ones are `unknown`). */
export function kindOf(t: TypeInfo): ParamKind {
  if (t.derivations.length > 0) return t.derivations[0] === 'ptr' ? 'pointer' : 'unknown';
  switch (t.baseKind) {
    case 'struct':
    case 'union':
      return 'aggregate';
    case 'enum':
      return 'scalar';
    case 'primitive':
      if (/\b(float|double)\b/.test(t.base)) return 'float';
      if (t.base === 'void') return 'void';
      return 'scalar';
    case 'typedef':
      return SCALAR_TYPEDEFS.has(t.base) ? 'scalar' : 'unknown';
    default:
      return 'unknown';
  }
}

/** `void *` / `const void *` (one pointer level, void pointee). */
export function isVoidPointer(t: TypeInfo): boolean {
  return t.derivations.length === 1 && t.derivations[0] === 'ptr' && t.baseKind === 'primitive' && t.base === 'void';
}

/** A pointer to a function (callbacks: `int (*cb)(...)`, function-typed parameters after decay). */
export function isFunctionPointer(t: TypeInfo): boolean {
  return t.derivations.length >= 2 && t.derivations[0] === 'ptr' && t.derivations[1] === 'fn';
}

/** `struct <name> *` with const/volatile on the struct allowed. */
export function isPointerToStruct(t: TypeInfo, name?: string): boolean {
  return (
    t.derivations.length === 1 &&
    t.derivations[0] === 'ptr' &&
    t.baseKind === 'struct' &&
    (name === undefined || t.base === `struct ${name}`)
  );
}

/**
 * btf_param_match_suffix(): the name ends with the suffix and is strictly longer than it (a parameter named `__k`
 * alone does not match).
 */
export function hasSuffix(name: string | null, suffix: string): boolean {
  return name !== null && name.length > suffix.length && name.endsWith(suffix);
}

/** The verifier suffix a parameter name carries, if any (longest match first: `__szk` before `__k`). */
export const KNOWN_SUFFIXES = [
  '__refcounted_kptr',
  '__nonown_allowed',
  '__irq_flag',
  '__nullable',
  '__uninit',
  '__arena',
  '__alloc',
  '__iter',
  '__prog',
  '__szk',
  '__str',
  '__map',
  '__ign',
  '__opt',
  '__sz',
  '__k',
] as const;

export type Suffix = (typeof KNOWN_SUFFIXES)[number];

export function suffixOf(name: string | null): Suffix | null {
  for (const s of KNOWN_SUFFIXES) if (hasSuffix(name, s)) return s;
  return null;
}

/** `__sz` / `__szk`: size of the memory the directly preceding pointer points to. */
export function isSizeSuffix(s: Suffix | null): s is '__sz' | '__szk' {
  return s === '__sz' || s === '__szk';
}

/**
 * Suffixes the verifier reads only on pointer parameters (on a scalar it takes the scalar path and never looks at
 * them). `__ign` works on any kind; `__k`, `__sz`, `__szk` are scalar suffixes.
 */
export const POINTER_SUFFIXES: ReadonlySet<Suffix> = new Set<Suffix>([
  '__refcounted_kptr',
  '__nonown_allowed',
  '__irq_flag',
  '__nullable',
  '__uninit',
  '__arena',
  '__alloc',
  '__iter',
  '__prog',
  '__str',
  '__map',
  '__opt',
]);

/** `name (type)` for messages. */
export function paramLabel(p: ParamFact, index: number): string {
  return `${p.name ?? `#${index + 1} (unnamed)`} (${p.type.text})`;
}

/** `int bpf_foo(u32 a, void *b)`: the definition's full C prototype, for messages. */
export function fullPrototype(def: FunctionFact): string {
  return prototypeText(def.name, def.ret, def.params.map((p) => ({ name: p.name, type: p.type })), def.variadic);
}

/**
 * `foo_impl` is the legacy half of a pair: `foo` is registered with KF_IMPLICIT_ARGS and the tree defines `foo_impl`
 * itself, so the build keeps foo_impl's full prototype on purpose (7.0 selftest bpf_kfunc_implicit_arg_legacy_impl,
 * 7.1 bpf_obj_new_impl).
 */
export function isLegacyImplHalf(k: Kfunc, kfuncs: ReadonlyMap<string, Kfunc>): boolean {
  if (!k.name.endsWith('_impl')) return false;
  return kfuncs.get(k.name.slice(0, -'_impl'.length))?.implicitArgsFlag === true;
}

/** `struct bpf_prog_aux *` (const/volatile on the struct allowed): the type the 7.0 verifier fills in. */
export function isProgAuxPointer(t: TypeInfo): boolean {
  return isPointerToStruct(t, 'bpf_prog_aux');
}
