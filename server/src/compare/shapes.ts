/**
 * The comparable shape of a kfunc, from either side: the source model (BPF-visible prototype, registrations with
 * flags and program types, guard, file) or a built kernel's BTF (prototype, flags from .BTF_ids). `verify` compares
 * source with BTF, `diff` two snapshots. Types are compared in one canonical spelling (GCC's DWARF writes
 * `long unsigned int` where the source says `unsigned long`).
 */
import { canonicalizeTypeString, formatDeclaration } from '../btf/render';
import { findFunction, type BtfKfunc, type LoadedBtf } from '../btf/kfuncs';
import type { Btf } from '../btf/btf';
import { KNOWN_FLAGS, type FlagTable } from '../kernel/flags';
import type { KernelVersion } from '../kernel/version';
import { prototypeText } from '../model/prototypes';
import type { BpfParam, BpfProto, Kfunc, KfuncModel } from '../model/types';
import type { TypeInfo } from '../facts/types';

export interface ProtoParam {
  /** '' when the parameter has no name. */
  name: string;
  /** Canonical C type. */
  type: string;
}

export interface ProtoShape {
  name: string;
  /** Canonical return type. */
  ret: string;
  params: ProtoParam[];
  variadic: boolean;
  /** Display text: `int bpf_foo(u32 a)`. */
  text: string;
}

export function canonicalType(type: string): string {
  return canonicalizeTypeString(type.replace(/\s+/g, ' ').trim());
}

/** A prototype from the source model (a BPF-visible FUNC, or the definition's full prototype). */
export function shapeFromSource(name: string, ret: TypeInfo, params: BpfParam[], variadic: boolean): ProtoShape {
  return {
    name,
    ret: canonicalType(ret.text),
    params: params.map((p) => ({ name: p.name ?? '', type: canonicalType(p.type.text) })),
    variadic,
    text: prototypeText(name, ret, params, variadic),
  };
}

export function shapeFromBpfProto(b: BpfProto): ProtoShape {
  return shapeFromSource(b.name, b.ret, b.params, b.variadic);
}

/** The definition's whole C prototype (implicit arguments included), as `<name>_impl` carries it. */
export function fullSourceShape(k: Kfunc, name = k.name): ProtoShape | null {
  const def = k.definition?.fact;
  if (!def) return null;
  return shapeFromSource(name, def.ret, def.params.map((p) => ({ name: p.name, type: p.type })), def.variadic);
}

/** The BPF-visible prototype of a source kfunc (the FUNC named like the kfunc), or null without a definition. */
export function visibleSourceShape(k: Kfunc): ProtoShape | null {
  const b = k.bpf.find((x) => x.name === k.name);
  return b ? shapeFromBpfProto(b) : null;
}

export function shapeFromBtfKfunc(k: Pick<BtfKfunc, 'name' | 'ret' | 'params' | 'variadic'>): ProtoShape {
  const params = k.params.map((p) => ({ name: p.name, type: canonicalType(p.type) }));
  return { name: k.name, ret: canonicalType(k.ret), params, variadic: k.variadic === true, text: btfText(k.name, k.ret, k.params, k.variadic === true) };
}

/** A FUNC of the BTF (or its base) by name, as a shape; null when absent. */
export function btfFunctionShape(btf: Btf, name: string): ProtoShape | null {
  const f = findFunction(btf, name);
  if (!f) return null;
  const p = f.prototype;
  return shapeFromBtfKfunc({ name, ret: p.ret, params: p.params, variadic: p.variadic || undefined });
}

function btfText(name: string, ret: string, params: Array<{ name: string; type: string }>, variadic: boolean): string {
  const list = params.map((p) => formatDeclaration(canonicalType(p.type), p.name));
  if (variadic) list.push('...');
  return formatDeclaration(canonicalType(ret), `${name}(${list.length ? list.join(', ') : 'void'})`);
}

/** Same return type, parameter types and names, and variadic-ness. */
export function sameShape(a: ProtoShape, b: ProtoShape): boolean {
  return a.ret === b.ret && a.variadic === b.variadic && a.params.length === b.params.length
    && a.params.every((p, i) => p.type === b.params[i].type && p.name === b.params[i].name);
}

/** Same return and parameter types (names ignored). */
export function sameTypes(a: ProtoShape, b: ProtoShape): boolean {
  return a.ret === b.ret && a.variadic === b.variadic && a.params.length === b.params.length
    && a.params.every((p, i) => p.type === b.params[i].type);
}

/** What differs between two prototypes, in words: `parameter 2 name: flags → flags__k`. Empty when equal. */
export function describeShapeDifference(a: ProtoShape, b: ProtoShape): string[] {
  const out: string[] = [];
  if (a.ret !== b.ret) out.push(`return type: ${a.ret} → ${b.ret}`);
  if (a.params.length !== b.params.length) {
    // Positions shift: say which parameters appeared and disappeared instead of comparing slot by slot.
    const key = (p: ProtoParam) => `${p.type}\u0000${p.name}`;
    const show = (p: ProtoParam) => (p.name ? formatDeclaration(p.type, p.name) : p.type);
    const gone = a.params.filter((p) => !b.params.some((q) => key(q) === key(p))).map(show);
    const came = b.params.filter((p) => !a.params.some((q) => key(q) === key(p))).map(show);
    out.push(`parameter count: ${a.params.length} → ${b.params.length}`
      + (came.length ? `; new: ${came.join(', ')}` : '') + (gone.length ? `; gone: ${gone.join(', ')}` : ''));
  }
  const n = a.params.length === b.params.length ? a.params.length : 0;
  for (let i = 0; i < n; i++) {
    const x = a.params[i];
    const y = b.params[i];
    if (x.type !== y.type) out.push(`parameter ${i + 1} (${x.name || y.name || '?'}) type: ${x.type} → ${y.type}`);
    if (x.name !== y.name) out.push(`parameter ${i + 1} name: ${x.name || '(none)'} → ${y.name || '(none)'}`);
  }
  if (a.variadic !== b.variadic) out.push(`variadic: ${a.variadic} → ${b.variadic}`);
  return out;
}

/*
 * Parameter-name suffixes the verifier reads (kfunc-spec §D) and the exact names it treats specially. Two names
 * with the same meaning to the verifier differ only for human readers.
 */
const SUFFIXES = [
  '__sz', '__szk', '__k', '__ign', '__uninit', '__opt', '__alloc', '__refcounted_kptr', '__nullable', '__str', '__map',
  '__iter', '__prog', '__irq_flag', '__nonown_allowed', '__arena', '__implicit',
];
const EXACT_NAMES = new Set(['rdonly_buf_size', 'rdwr_buf_size']);

/** The verifier-visible meaning of a parameter name: its suffix (`__sz`), a special exact name, or ''. */
export function nameMeaning(name: string): string {
  if (EXACT_NAMES.has(name)) return name;
  let best = '';
  for (const s of SUFFIXES) if (name.length > s.length && name.endsWith(s) && s.length > best.length) best = s;
  return best;
}

/** Drops const/volatile, which libbpf's prototype compatibility check skips. */
function looseType(type: string): string {
  return type.replace(/\b(const|volatile)\b ?/g, '').replace(/\s+/g, ' ').trim();
}

/**
 * Could a BPF program built against `a` fail against `b`? Yes when the return or a parameter type changes (beyond
 * const/volatile), the arity changes, or a parameter name changes what the verifier reads from it (a suffix).
 * A plain rename (`p` → `task`) is visible in vmlinux.h but breaks nothing.
 */
export function prototypeChangeBreaks(a: ProtoShape, b: ProtoShape): boolean {
  if (looseType(a.ret) !== looseType(b.ret) || a.variadic !== b.variadic || a.params.length !== b.params.length) return true;
  return a.params.some((p, i) => looseType(p.type) !== looseType(b.params[i].type) || nameMeaning(p.name) !== nameMeaning(b.params[i].name));
}

/** `struct x *` / `const union y *`: an argument the trusted-args rules apply to. */
export function isStructPointer(type: string): boolean {
  return /^(?:const |volatile )*(?:struct|union) [\w$]+ \*$/.test(type);
}

/** Names of the KF_* bits set in `value`, using the tree's table, then the built-in one; unknown bits as `1<<n`. */
export function flagNames(value: number, table?: FlagTable): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if ((value & 2 ** bit) === 0) continue;
    const fromTree = table ? [...table.flags.values()].find((f) => f.bit === bit)?.name : undefined;
    const known = fromTree ?? KNOWN_FLAGS.filter((f) => f.bit === bit).at(-1)?.name;
    out.push(known ?? `(1 << ${bit})`);
  }
  return out;
}

export function flagText(flags: readonly string[]): string {
  return flags.length ? flags.join(' | ') : '(none)';
}

/** One appearance of a kfunc in a kfunc set. */
export interface ApiRegistration {
  /** Set name; null when unknown (a stripped vmlinux). */
  set: string | null;
  /** Flag names sorted by bit. */
  flags: string[];
  /** The numeric flag word, or null when a flag name is unknown. */
  flagsValue: number | null;
  /** Program types the set is registered for (`fmodret` for attach targets); null when unknown (BTF). */
  progTypes: string[] | null;
}

/** A kfunc as the API comparison sees it. */
export interface ApiKfunc {
  name: string;
  file: string | null;
  line: number | null;
  guard: string | null;
  /** BPF-visible prototype (what vmlinux.h declares); null when the definition was not found. */
  proto: ProtoShape | null;
  /** The whole C prototype when it differs from `proto` (KF_IMPLICIT_ARGS), else null. */
  fullProto: ProtoShape | null;
  registrations: ApiRegistration[];
}

export interface ApiSnapshot {
  /** What was read: a source tree or a BTF file. */
  origin: 'source' | 'btf';
  version: KernelVersion | null;
  kfuncs: Map<string, ApiKfunc>;
}

/** Registered only for register_btf_fmodret_id_set: an attach target, not something programs call. */
function fmodretOnly(k: Kfunc): boolean {
  return k.registrations.length > 0 && k.registrations.every((r) => r.set.progTypes.length === 1 && r.set.progTypes[0] === 'fmodret');
}

/**
 * The callable kfunc API of a source model: every function named in a kfunc set (attach-target-only sets left out),
 * with file paths made relative by `rel`.
 */
export function snapshotFromModel(model: KfuncModel, rel: (file: string) => string): ApiSnapshot {
  const kfuncs = new Map<string, ApiKfunc>();
  for (const k of model.kfuncs.values()) {
    if (k.registrations.length === 0 || fmodretOnly(k)) continue;
    const proto = visibleSourceShape(k);
    const full = fullSourceShape(k);
    const def = k.definition;
    kfuncs.set(k.name, {
      name: k.name,
      file: def ? rel(def.file) : rel(k.registrations[0].set.file),
      line: def ? def.fact.nameSpan.line + 1 : null,
      guard: def ? def.fact.guard : (k.registrations[0]?.entry.guard ?? null),
      proto,
      fullProto: proto && full && !sameShape(proto, full) ? full : null,
      registrations: k.registrations.map((r) => ({
        set: r.set.fact.name,
        flags: r.flags,
        flagsValue: r.flagsValue,
        progTypes: [...r.set.progTypes],
      })),
    });
  }
  return { origin: 'source', version: model.context.version, kfuncs };
}

/** The kfuncs of a built kernel's BTF: prototypes, and flags when the file has .BTF_ids. */
export function snapshotFromBtf(loaded: LoadedBtf): ApiSnapshot {
  const kfuncs = new Map<string, ApiKfunc>();
  const names = new Set(loaded.kfuncs.map((k) => k.name));
  for (const k of loaded.kfuncs) {
    // A generated `<name>_impl` (KF_IMPLICIT_ARGS rewrite) has no bpf_kfunc tag; a real legacy one is a kfunc itself.
    const impl = names.has(`${k.name}_impl`) ? null : btfFunctionShape(loaded.btf, `${k.name}_impl`);
    kfuncs.set(k.name, {
      name: k.name,
      file: null,
      line: null,
      guard: null,
      proto: shapeFromBtfKfunc(k),
      fullProto: impl,
      registrations: k.sets.map((s) => ({ set: s.name, flags: flagNames(s.flags), flagsValue: s.flags, progTypes: null })),
    });
  }
  return { origin: 'btf', version: null, kfuncs };
}
