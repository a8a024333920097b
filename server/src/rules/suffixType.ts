/**
 * suffix-type: a verifier suffix on a parameter of the wrong kind, where the verifier silently ignores it
 * (kfunc-spec §D): `__k`/`__sz`/`__szk` are read only on scalars (check_kfunc_args' scalar path,
 * is_kfunc_arg_mem_size); pointer suffixes (`__map`, `__nullable`, `__alloc`, ...) only on pointers; `__str` is meant
 * for a `const char *` (the verifier hands the kfunc a read-only map value holding a constant string).
 */
import { relatedEntry } from './helpers';
import { atLeast } from '../kernel/version';
import { callableDefinition, callableRegistrations, kindOf, POINTER_SUFFIXES, suffixOf } from './prototypeShared';
import type { TypeInfo } from '../facts/types';
import type { Finding, Rule } from './types';

function isConstCharPointer(t: TypeInfo): boolean {
  return t.derivations.length === 1 && t.derivations[0] === 'ptr' && t.base === 'char' && t.qualifiers.includes('const');
}

export const suffixType: Rule = {
  code: 'suffix-type',
  defaultSeverity: 'warning',
  description:
    'A verifier suffix on a parameter of the wrong kind (__k/__sz/__szk on a non-scalar, __str not const char *, a ' +
    'pointer suffix on a scalar).',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    const removed = atLeast(ctx.version, 7, 0);
    for (const k of ctx.model.kfuncs.values()) {
      const def = callableDefinition(k);
      if (!def) continue;
      def.fact.params.forEach((p, i) => {
        const suffix = suffixOf(p.name);
        if (!suffix || suffix === '__ign') return;
        // Gone on 7.0+: suffix-removed reports them there.
        if (removed && (suffix === '__prog' || suffix === '__opt')) return;
        if (k.implicitArgsFlag && k.implicit[i]) return;
        const kind = kindOf(p.type);
        if (kind === 'unknown') return;
        const who = `${p.name} (${p.type.text}) of ${k.name}`;
        let message: string | undefined;
        if (suffix === '__k' || suffix === '__sz' || suffix === '__szk') {
          if (kind === 'scalar') return;
          const meaning =
            suffix === '__k'
              ? 'a known constant (the verifier tracks its value, e.g. a BTF type ID)'
              : `the size of the memory passed just before it${suffix === '__szk' ? ', as a known constant' : ''}`;
          message =
            `${who} carries ${suffix}, which marks ${meaning}, but it is not an integer: the verifier reads ` +
            `${suffix} only on scalar parameters and ignores it here` +
            (suffix === '__k' ? ', so nothing is required to be constant.' : ', so the pointer before it gets no size.');
        } else if (suffix === '__str') {
          if (isConstCharPointer(p.type)) return;
          message =
            kind === 'pointer'
              ? `${who} carries __str but is not a const char *: the verifier passes a pointer into a read-only map ` +
                `value holding a NUL-terminated constant string, which the kfunc must not write and should read as ` +
                `characters. Declare it const char *${p.name}.`
              : `${who} carries __str but is not a pointer: the verifier checks scalar parameters as plain values ` +
                `and ignores the suffix, so no constant string is checked. Declare it const char *${p.name}.`;
        } else if (POINTER_SUFFIXES.has(suffix)) {
          if (kind === 'pointer') return;
          message =
            `${who} carries ${suffix}, which the verifier reads only on pointer parameters: it checks this ` +
            `${kind === 'scalar' ? 'scalar as a plain value' : `${kind} argument`} and ignores the suffix. Drop the ` +
            `suffix or make the parameter the pointer it describes.`;
        }
        if (!message) return;
        out.push({
          file: def.file,
          span: p.span,
          kfunc: k.name,
          related: callableRegistrations(k).map((r) => relatedEntry(r)),
          message,
        });
      });
    }
    return out;
  },
};
