/** Shared by the definition rules (kfunc-static, -inline, -missing-tag, -unregistered, -undefined, ...). */
import type { FunctionFact } from '../facts/types';
import type { Kfunc, KfuncEntry, Located } from '../model/types';

export function isHeader(file: string): boolean {
  return file.endsWith('.h');
}

/**
 * A `static inline` body in a header with no `__bpf_kfunc`: the `!CONFIG_X` stub of a function whose real definition
 * lives in a .c file (crash_kexec in include/linux/crash_core.h). It never becomes a BTF FUNC.
 */
export function isHeaderStub(def: Located<FunctionFact>): boolean {
  return isHeader(def.file) && def.fact.inline && !def.fact.bpfKfuncSpan;
}

/** A set registered only through register_btf_fmodret_id_set lists BPF_MODIFY_RETURN attach targets, not kfuncs. */
export function isFmodretOnly(r: KfuncEntry): boolean {
  return r.set.progTypes.length > 0 && r.set.progTypes.every((t) => t === 'fmodret');
}

/** Definitions that can give the build an out-of-line function (header stubs and untagged inline bodies cannot). */
export function realDefinitions(k: Kfunc): Array<Located<FunctionFact>> {
  return k.definitions.filter((d) => !(d.fact.inline && !d.fact.bpfKfuncSpan));
}

/** `foo.c:12` for messages. */
export function shortLocation(file: string, line: number): string {
  const parts = file.split(/[\\/]/);
  return `${parts.slice(-2).join('/')}:${line + 1}`;
}
