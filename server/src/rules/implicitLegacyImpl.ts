/**
 * implicit-legacy-impl: for a KF_IMPLICIT_ARGS kfunc `foo`, resolve_btfids generates `foo_impl` (the full prototype)
 * only when BTF has no FUNC of that name. When the tree defines `foo_impl` itself (the legacy pattern: 7.0 selftest
 * bpf_kfunc_implicit_arg_legacy_impl, 7.1 bpf_obj_new_impl), that real function's prototype is the one the verifier
 * checks calls to `foo` against (kfunc-spec §E.2, §E.4).
 */
import { relatedDefinition } from './helpers';
import { fullPrototype } from './prototypeShared';
import type { Finding, Rule } from './types';

export const implicitLegacyImpl: Rule = {
  code: 'implicit-legacy-impl',
  defaultSeverity: 'information',
  description: 'A real <name>_impl exists, so the build uses it as the full prototype of a KF_IMPLICIT_ARGS kfunc.',
  appliesTo: (_version, flags) => flags.flags.has('KF_IMPLICIT_ARGS'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const def = k.definition;
      const impl = k.realImpl;
      if (!def || !impl || !k.implicitArgsFlag) continue;
      const implKfunc = ctx.model.kfuncs.get(impl.fact.name);
      const n = def.fact.params.length;
      const m = impl.fact.params.length;
      const visible = k.implicit.indexOf(true) === -1 ? n : k.implicit.indexOf(true);
      const arity =
        m !== n
          ? ` It has ${m} parameter${m === 1 ? '' : 's'} where ${k.name} has ${n}: the verifier maps a call's ` +
            `${visible} argument${visible === 1 ? '' : 's'} onto it by position and fills the rest.`
          : '';
      const callable = implKfunc && implKfunc.registrations.length > 0
        ? ` ${impl.fact.name} is also a kfunc of its own, printed in vmlinux.h with that prototype.`
        : ` ${impl.fact.name} is not registered as a kfunc: BPF programs cannot call it, but its BTF FUNC still stands in for the generated one.`;
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        related: [relatedDefinition(impl, 'real _impl defined here')],
        message:
          `${k.name} has KF_IMPLICIT_ARGS and the tree defines ${impl.fact.name} itself, so resolve_btfids does not ` +
          `generate one: the verifier checks calls to ${k.name} against \`${fullPrototype(impl.fact)}\`.${arity}${callable}`,
      });
    }
    return out;
  },
};
