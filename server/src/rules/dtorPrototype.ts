/**
 * dtor-prototype: a destructor registered through register_btf_id_dtor_kfuncs must be `void f(T *)`
 * (kernel/bpf/btf.c btf_check_dtor_kfuncs: a FUNC whose prototype returns void and takes exactly one parameter whose
 * BTF type is a pointer; typedefs and qualifiers are not skipped there). From 7.0 the parameter must be `void *`
 * ("bpf, btf: Enforce destructor kfunc type with CFI": the destructor is called through btf_dtor_kfunc_t,
 * `void (*)(void *)`, and CONFIG_CFI_CLANG traps on a typed parameter).
 */
import type { FunctionFact, TypeInfo } from '../facts/types';
import { atLeast } from '../kernel/version';
import type { DtorInfo, Located } from '../model/types';
import { isHeaderStub } from './definitionShared';
import type { Finding, Rule } from './types';

function isVoid(t: TypeInfo): boolean {
  return t.base === 'void' && t.derivations.length === 0;
}

/** The parameter is a pointer in BTF: `T *`, or an array/function parameter (they decay); not a typedef'd pointer. */
function isPointer(t: TypeInfo): boolean {
  return t.derivations.length > 0;
}

function isVoidPointer(t: TypeInfo): boolean {
  return t.base === 'void' && t.derivations.length === 1 && t.derivations[0] === 'ptr';
}

function problems(fn: FunctionFact, needVoidPtr: boolean): string[] {
  const out: string[] = [];
  if (!isVoid(fn.ret)) out.push(`it returns ${fn.ret.text}, not void`);
  if (fn.variadic) out.push('it is variadic');
  if (fn.params.length !== 1) out.push(`it takes ${fn.params.length} parameters, not exactly one`);
  else {
    const p = fn.params[0].type;
    if (p.derivations.length === 0 && p.baseKind === 'typedef') {
      out.push(`its parameter type ${p.text} is a typedef, and btf_check_dtor_kfuncs does not resolve typedefs to a pointer`);
    } else if (!isPointer(p)) out.push(`its parameter is ${p.text}, not a pointer`);
    else if (needVoidPtr && !isVoidPointer(p)) {
      out.push(`its parameter is ${p.text}: from 7.0 a destructor must take void * (it is called through btf_dtor_kfunc_t, void (*)(void *), and CFI traps on a mismatch)`);
    }
  }
  return out;
}

export const dtorPrototype: Rule = {
  code: 'dtor-prototype',
  defaultSeverity: 'error',
  description: 'A destructor registered through register_btf_id_dtor_kfuncs is not void f(T *).',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    const needVoidPtr = atLeast(ctx.version, 7, 0);
    // Every destructor, kfunc or not (an untagged destructor is not in the kfunc map).
    const dtors = new Map<string, DtorInfo[]>(ctx.model.dtors ?? []);
    if (!ctx.model.dtors) for (const k of ctx.model.kfuncs.values()) if (k.dtors.length) dtors.set(k.name, k.dtors);
    for (const [name, infos] of dtors) {
      const defs = (ctx.model.functions.get(name) ?? []).filter((f) => f.fact.kind === 'definition' && !isHeaderStub(f));
      const k = ctx.model.kfuncs.get(name);
      const def: Located<FunctionFact> | undefined = k?.definition && !isHeaderStub(k.definition) ? k.definition : defs.find((d) => !d.file.endsWith('.h')) ?? defs[0];
      if (!def) continue;
      const found = problems(def.fact, needVoidPtr);
      if (found.length === 0) continue;
      const info = infos[0];
      const type = info.typeName ? `struct ${info.typeName}` : 'its type';
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: name,
        message:
          `${name} is registered as the destructor of ${type} (${info.listName} via ${info.arrayName}) but is not ` +
          `void ${name}(${needVoidPtr ? 'void *' : 'T *'}): ${found.join('; ')}. btf_check_dtor_kfuncs() rejects ` +
          `it, so register_btf_id_dtor_kfuncs() fails with -EINVAL and no destructor of that list is registered ` +
          `(maps holding referenced kptrs of those types then fail to be created).`,
        related: infos.map((d) => ({ file: d.file, span: d.entry.span, message: `registered as a destructor here: BTF_ID(func, ${name}) in ${d.listName}` })),
      });
    }
    return out;
  },
};
