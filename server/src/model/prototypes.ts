/**
 * BPF-visible prototypes: the BTF FUNCs pahole + resolve_btfids emit for a kfunc, and the line bpftool prints for
 * each into vmlinux.h (kfunc-spec §A.4, §E.2, §F).
 */
import { NAME_SLOT } from '../facts/declarators';
import type { FunctionFact, TypeInfo } from '../facts/types';
import type { BpfParam, BpfProto } from './types';

function paramText(p: BpfParam): string {
  return p.name ? p.type.named.replace(NAME_SLOT, p.name) : p.type.text;
}

/** `extern [__bpf_fastcall ]<ret> <name>(<params>) __weak __ksym;` */
export function declLine(name: string, ret: TypeInfo, params: BpfParam[], variadic: boolean, fastcall: boolean): string {
  const list = params.map(paramText);
  if (variadic) list.push('...');
  const head = ret.named.replace(NAME_SLOT, `${name}(${list.length ? list.join(', ') : 'void'})`);
  return `extern ${fastcall ? '__bpf_fastcall ' : ''}${head} __weak __ksym;`;
}

/** A prototype as C text without `extern`/attributes: `int bpf_foo(u32 a)` (for messages and hovers). */
export function prototypeText(name: string, ret: TypeInfo, params: BpfParam[], variadic = false): string {
  const list = params.map(paramText);
  if (variadic) list.push('...');
  return ret.named.replace(NAME_SLOT, `${name}(${list.length ? list.join(', ') : 'void'})`);
}

export interface ProtoInput {
  name: string;
  definition: FunctionFact;
  implicit: boolean[];
  implicitArgsFlag: boolean;
  /** The tree defines `<name>_impl` itself: the build leaves it alone and does not generate one. */
  hasRealImpl: boolean;
  /** The kfunc is in a kfunc set (so it carries the bpf_kfunc decl tag and bpftool prints it). */
  tagged: boolean;
  fastcall: boolean;
}

/**
 * A plain kfunc: itself. A KF_IMPLICIT_ARGS kfunc `foo`: `foo` with the parameters before the first implicit one,
 * then `foo_impl` with all of them (no kernel symbol, no decl tag, so not in vmlinux.h) unless `foo_impl` is real.
 */
export function bpfPrototypes(input: ProtoInput): BpfProto[] {
  const def = input.definition;
  const all: BpfParam[] = def.params.map((p) => ({ name: p.name, type: p.type }));
  const make = (name: string, params: BpfParam[], vmlinuxH: boolean, variadic: boolean): BpfProto => ({
    name,
    ret: def.ret,
    params,
    variadic,
    vmlinuxH,
    decl: declLine(name, def.ret, params, variadic, input.fastcall),
  });
  if (!input.implicitArgsFlag) return [make(input.name, all, input.tagged, def.variadic)];
  const cut = input.implicit.indexOf(true);
  const visible = cut === -1 ? all : all.slice(0, cut);
  const out = [make(input.name, visible, input.tagged, cut === -1 && def.variadic)];
  if (!input.hasRealImpl) out.push(make(`${input.name}_impl`, all, false, def.variadic));
  return out;
}
