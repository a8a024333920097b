/** The workspace-wide kfunc model: per-file facts joined by name across files. */
import type { Settings } from '../config';
import type {
  FunctionFact,
  IdSetFact,
  ParamFact,
  RegistrationFact,
  SetEntry,
  SetFact,
  TypeInfo,
} from '../facts/types';
import type { FlagTable } from '../kernel/flags';
import type { KernelVersion } from '../kernel/version';

export interface Located<T> {
  file: string;
  fact: T;
}

export interface SetInfo {
  file: string;
  fact: SetFact;
  /** Entries as the build sees them: the file's own plus X-macro entries resolved through headers. */
  entries: SetEntry[];
  /** BTF_KFUNCS_START, or BTF_SET8_START on trees older than 6.9: its members are kfuncs (and get decl tags). */
  isKfuncSet: boolean;
  /** `struct btf_kfunc_id_set` initialisers with `.set = &this`. */
  idSets: Array<Located<IdSetFact>>;
  /** Registrations of those id sets. */
  registrations: Array<Located<RegistrationFact>>;
  /** Program types from the registrations, in order, without repeats; `fmodret` for register_btf_fmodret_id_set. */
  progTypes: string[];
}

/** One appearance of a function in a set. */
export interface KfuncEntry {
  set: SetInfo;
  entry: SetEntry;
  /** Flag names sorted by bit value. */
  flags: string[];
  /** Their OR, or null when a flag is unknown to the tree. */
  flagsValue: number | null;
}

export interface DtorInfo {
  file: string;
  /** The BTF_ID_LIST entry naming the destructor. */
  entry: SetEntry;
  /** The struct it destroys (`task_struct`). */
  typeName: string | null;
  listName: string;
  arrayName: string;
}

export interface BpfParam {
  name: string | null;
  type: TypeInfo;
}

/** A BTF FUNC the build emits for a kfunc (contracts §2.1 `bpf`). */
export interface BpfProto {
  name: string;
  ret: TypeInfo;
  params: BpfParam[];
  variadic: boolean;
  /** bpftool prints it into vmlinux.h (it has the bpf_kfunc decl tag). */
  vmlinuxH: boolean;
  /** The vmlinux.h line. */
  decl: string;
}

export interface Kfunc {
  name: string;
  /** The definition the build uses (a real one in a .c file over a header stub), or null. */
  definition: Located<FunctionFact> | null;
  /** `__bpf_kfunc` on the definition or on an earlier prototype in the same file (attributes merge). */
  bpfKfuncTag: boolean;
  /** Linkage of the definition: `static` on it or on an earlier prototype in the same file makes it internal. */
  storage: 'extern' | 'static' | null;
  /** Every definition found (`#ifdef` alternatives, `static inline` stubs in headers). */
  definitions: Array<Located<FunctionFact>>;
  declarations: Array<Located<FunctionFact>>;
  /** Entries in kfunc sets. */
  registrations: KfuncEntry[];
  /** Entries in other sets (fmodret BTF_SET8_START sets on ≥ 6.9, BTF_SET_START lists). */
  otherEntries: KfuncEntry[];
  dtors: DtorInfo[];
  /** Per parameter of the definition: verifier-filled (contracts §4). */
  implicit: boolean[];
  /** Some registration carries KF_IMPLICIT_ARGS. */
  implicitArgsFlag: boolean;
  /** The tree defines `<name>_impl` itself (the legacy pattern). */
  realImpl: Located<FunctionFact> | null;
  bpf: BpfProto[];
}

export interface ModelContext {
  version: KernelVersion;
  flags: FlagTable;
  settings: Settings;
}

export interface KfuncModel {
  context: ModelContext;
  kfuncs: Map<string, Kfunc>;
  sets: SetInfo[];
  /** Every function definition or prototype by name (all files), for navigation. */
  functions: Map<string, Array<Located<FunctionFact>>>;
  /**
   * Every destructor registered through register_btf_id_dtor_kfuncs, by function name, whether or not it is a
   * kfunc (untagged destructors of older trees are not in `kfuncs`). Optional for models built elsewhere.
   */
  dtors?: Map<string, DtorInfo[]>;
}

export type { ParamFact };
