/**
 * Verifier parameter-name suffixes (kfunc-spec §D), for hovers on a kfunc's parameters. The verifier compares the
 * end of the BTF parameter name; the name must be strictly longer than the suffix.
 */
import { atLeast, type KernelVersion } from '../kernel/version';

export interface SuffixInfo {
  suffix: string;
  /** What the parameter's type must be. */
  type: string;
  meaning: string;
  /** Removed in this version (the verifier no longer knows the suffix). */
  removedIn?: KernelVersion;
}

export const SUFFIXES: readonly SuffixInfo[] = [
  { suffix: '__refcounted_kptr', type: 'pointer', meaning: 'an owning or non-owning reference to a local object that has a `bpf_refcount` field' },
  { suffix: '__nullable', type: 'pointer', meaning: 'NULL is allowed, even where arguments must otherwise be trusted' },
  { suffix: '__irq_flag', type: '`unsigned long *`', meaning: 'the IRQ flag save slot of `bpf_local_irq_save/restore`' },
  { suffix: '__uninit', type: '`struct bpf_dynptr *` (or an out-struct)', meaning: 'must be uninitialised: the kfunc initialises it' },
  { suffix: '__alloc', type: 'pointer', meaning: 'must be an object the program allocated (`bpf_obj_new` family); checked against the matching drop kfunc' },
  { suffix: '__iter', type: '`struct bpf_iter_<type> *`', meaning: 'an initialised open-coded iterator passed to a non-iterator kfunc' },
  { suffix: '__szk', type: 'scalar', meaning: 'size of the memory the directly preceding pointer parameter points to; must be a known constant (the value is remembered)' },
  { suffix: '__sz', type: 'scalar', meaning: 'size of the memory the directly preceding pointer parameter points to (0 allowed); the verifier checks the pair' },
  { suffix: '__ign', type: 'any', meaning: 'ignored by the verifier (often filled in by a fixup)' },
  { suffix: '__str', type: '`const char *`', meaning: 'must point to a read-only map value holding a NUL-terminated constant string' },
  { suffix: '__map', type: 'pointer (usually `void *`)', meaning: 'must be a map pointer (`struct bpf_map`)' },
  { suffix: '__opt', type: 'pointer followed by `__sz`/`__szk`', meaning: 'the buffer may be NULL; its size is not checked then', removedIn: { major: 7, minor: 0 } },
  { suffix: '__prog', type: '`void *`', meaning: "the verifier fills in the calling program's `struct bpf_prog_aux *`", removedIn: { major: 7, minor: 0 } },
  { suffix: '__k', type: 'scalar', meaning: 'a known constant that matters for safety (for example a BTF type ID); tracked precisely' },
];

/** The suffix a parameter name carries, if any (longest match). */
export function suffixOf(name: string): SuffixInfo | undefined {
  for (const s of SUFFIXES) if (name.length > s.suffix.length && name.endsWith(s.suffix)) return s;
  return undefined;
}

export function suffixRemoved(s: SuffixInfo, version: KernelVersion): boolean {
  return s.removedIn !== undefined && atLeast(version, s.removedIn.major, s.removedIn.minor);
}
