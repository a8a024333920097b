/**
 * Per-file facts: plain, serialisable data extracted from one source file (no syntax tree kept). The workspace
 * index joins them across files into the kfunc model.
 */

/** A range in the file: offsets (UTF-16 units) plus zero-based line/character of both ends. */
export interface Span {
  start: number;
  end: number;
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
}

/** A C type as written, reduced to what prototypes and rules need. */
export interface TypeInfo {
  /** Canonical spelling (contracts §2.1): `struct task_struct *`, `const char *`, `int (*)(void *, int *, void *)`. */
  text: string;
  /** The same with NAME_SLOT ('\0') where a declaration's name goes: `int (*\0)(void *)`, `u32 \0`. */
  named: string;
  /** Base type without qualifiers: `struct task_struct`, `char`, `u32`, `void`. */
  base: string;
  baseKind: 'struct' | 'union' | 'enum' | 'primitive' | 'typedef' | 'unknown';
  /** `const`/`volatile` on the base type. */
  qualifiers: string[];
  /** Derivations from the name outwards: `ptr`, `array`, `fn` (`char **` is ['ptr', 'ptr']). */
  derivations: Array<'ptr' | 'array' | 'fn'>;
}

export interface ParamFact {
  /** Null when the parameter has no name (prototypes may omit it). */
  name: string | null;
  type: TypeInfo;
  span: Span;
}

export interface FunctionFact {
  name: string;
  kind: 'definition' | 'declaration';
  nameSpan: Span;
  /** From the first specifier/attribute to the end of the body (definition) or ';' (declaration). */
  span: Span;
  /** The part before the body: specifiers, return type, name and parameters. */
  headSpan: Span;
  storage: 'extern' | 'static';
  /** `inline`, `__always_inline` or `__inline__`. */
  inline: boolean;
  /** Attribute macros written before the name (`__bpf_kfunc`, `__weak`, `noinline`, ...), in order. */
  attributes: string[];
  /** Offset/position of the `__bpf_kfunc` attribute, when present. */
  bpfKfuncSpan: Span | null;
  /** Span of the `static` keyword, when present. */
  staticSpan: Span | null;
  ret: TypeInfo;
  params: ParamFact[];
  variadic: boolean;
  guard: string | null;
  /** Inside a `__bpf_kfunc_start_defs()` ... `__bpf_kfunc_end_defs()` region (or the older `__diag_push` form). */
  inDefsRegion: boolean;
  /** The kernel-doc comment right before the function, cleaned of comment markers. */
  doc: string | null;
  /**
   * The name is used as a value elsewhere in the file's code (a struct_ops table, a function pointer), so the
   * compiler must keep an out-of-line copy with its signature even when the function is static.
   */
  addressTaken: boolean;
  /**
   * The function is called from C code elsewhere in its file (inside another function's body). Optional: facts
   * from older extractors lack it.
   */
  calledInFile?: boolean;
}

export interface SetEntry {
  /** `func`, `struct`, ... (the first macro argument). */
  prefix: string;
  name: string;
  nameSpan: Span;
  /** The whole macro invocation (for an X-macro entry: the list macro's invocation). */
  span: Span;
  /** Every argument after the name, as written (comments removed); only the first is the flag word. */
  flagArgs: string[];
  /** Where each flag argument is written (empty for an entry produced by a macro). */
  flagArgSpans: Span[];
  /** The invocation's closing ')' (null for an entry produced by a macro). */
  closeParen: Span | null;
  /** The flag names of the first flag argument (`KF_A | KF_B` → ['KF_A', 'KF_B']); numbers kept as text. */
  flags: string[];
  guard: string | null;
  /** Set when the entry came from expanding a macro: the invocation's macro name. */
  viaMacro: string | null;
  /** Names in `flags` that this file #defines before the entry (a local flag macro, not a KF_* of btf.h). */
  localFlagDefines?: string[];
}

export type SetMacro = 'BTF_KFUNCS_START' | 'BTF_SET8_START' | 'BTF_SET_START' | 'BTF_ID_LIST';

export interface SetFact {
  name: string;
  macro: SetMacro;
  /** From START to END (or to the last entry when END is missing). */
  span: Span;
  startSpan: Span;
  /** Span of the END invocation, null when missing. */
  endSpan: Span | null;
  /** Name given to END (may differ from `name`: a mistake). */
  endName: string | null;
  guard: string | null;
  entries: SetEntry[];
  /**
   * Where the set's name is used in this file's code other than in its START/END macros and in `.set = &name` of a
   * `struct btf_kfunc_id_set` initialiser (`btf_id_set8_contains(&name, id)` in a filter), and #define bodies that
   * mention it.
   */
  uses?: Span[];
}

/** A list-macro invocation inside a set whose definition is not in this file (resolved by the index). */
export interface PendingMacro {
  setName: string;
  /** The invocation text, e.g. `XDP_METADATA_KFUNC_xxx`. */
  text: string;
  name: string;
  span: Span;
  guard: string | null;
  /** This file's definitions in effect at the invocation that produce BTF_ID entries. */
  localDefs: Array<{ name: string; params: string[] | null; body: string }>;
}

export interface IdSetFact {
  /** Name of the `struct btf_kfunc_id_set` variable. */
  name: string;
  span: Span;
  /** The set named by `.set = &x`, or null. */
  set: string | null;
  filter: string | null;
  guard: string | null;
  /** Where its name is used in this file's code other than in its own declaration (registration calls included), and #define bodies that mention it. */
  uses?: Span[];
}

export interface RegistrationFact {
  fn: 'register_btf_kfunc_id_set' | 'register_btf_fmodret_id_set';
  /** First argument of register_btf_kfunc_id_set (`BPF_PROG_TYPE_TRACING`), null for fmodret. */
  progType: string | null;
  /** The `struct btf_kfunc_id_set` passed (`&x` → `x`), null when not a plain `&name`. */
  idSet: string | null;
  span: Span;
  guard: string | null;
}

/** One `{ .btf_id = L[i], .kfunc_btf_id = L[j] }` pair of a `struct btf_id_dtor_kfunc` array. */
export interface DtorPair {
  list: string;
  typeIndex: number;
  funcIndex: number;
  span: Span;
  guard: string | null;
}

export interface DtorArrayFact {
  name: string;
  pairs: DtorPair[];
  span: Span;
}

export interface DtorRegistrationFact {
  /** The array passed to register_btf_id_dtor_kfuncs. */
  array: string;
  span: Span;
}

export interface RegionFact {
  kind: 'kfunc-defs' | 'hook' | 'diag';
  start: Span;
  end: Span | null;
}

export interface FileFacts {
  /** Path as given to the extractor (the index keys files by it). */
  path: string;
  /** Set when the file was not analysed (binary, not UTF-8, too large, parse failure); the reason. */
  skipped: string | null;
  functions: FunctionFact[];
  sets: SetFact[];
  pendingMacros: PendingMacro[];
  idSets: IdSetFact[];
  registrations: RegistrationFact[];
  dtorArrays: DtorArrayFact[];
  dtorRegistrations: DtorRegistrationFact[];
  regions: RegionFact[];
  /** `#include` targets as written (`linux/btf.h`, `"internal.h"`). */
  includes: Array<{ path: string; system: boolean }>;
  /** Number of ERROR/MISSING nodes tree-sitter produced (after neutralising macros). */
  parseErrors: number;
  /** Conditional directives left open at the end of the file. */
  unterminatedConditionals: number;
}
