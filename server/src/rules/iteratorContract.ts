/**
 * iterator-contract: the registration-time rules for open-coded iterator kfuncs (kernel/bpf/btf.c
 * btf_check_iter_kfuncs, kfunc-spec §C.2 R-11). Any violation makes register_btf_kfunc_id_set() reject the whole
 * set with -EINVAL, so every kfunc of that set is lost. The struct-size rule (a non-zero multiple of 8) needs the
 * struct's layout and is not checked here.
 */
import type { KfuncEntry } from '../model/types';
import { entryLabel } from './helpers';
import { explicitParams, isKnownNonPointer, isVoid, relatedFlagged } from './setRuleHelpers';
import type { Finding, Rule } from './types';

const ITER_FLAGS = ['KF_ITER_NEW', 'KF_ITER_NEXT', 'KF_ITER_DESTROY'] as const;
const SUFFIX: Record<string, string> = { KF_ITER_NEW: 'new', KF_ITER_NEXT: 'next', KF_ITER_DESTROY: 'destroy' };

function consequence(regs: KfuncEntry[]): string {
  const sets = [...new Set(regs.map((r) => r.set))];
  const names = sets.map((s) => {
    const n = s.entries.filter((e) => e.prefix === 'func').length;
    return `${s.fact.name} (${n} kfunc${n === 1 ? '' : 's'})`;
  });
  return (
    `register_btf_kfunc_id_set() checks every entry with btf_check_iter_kfuncs() and rejects the whole set with -EINVAL, ` +
    `so nothing in ${names.join(' and ')} can be called`
  );
}

export const iteratorContract: Rule = {
  code: 'iterator-contract',
  defaultSeverity: 'error',
  description: 'A KF_ITER_* kfunc breaks the registration-time iterator rules (name, first parameter, arity, return type, one ITER flag).',
  appliesTo: (_version, flags) => flags.flags.has('KF_ITER_NEW'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      const iterRegs = k.registrations.filter((r) => r.flags.some((f) => (ITER_FLAGS as readonly string[]).includes(f)));
      if (iterRegs.length === 0) continue;

      // Exactly one ITER flag per entry: a flag-word problem, reported on the entry.
      const multi = iterRegs.filter((r) => r.flags.filter((f) => (ITER_FLAGS as readonly string[]).includes(f)).length > 1);
      for (const r of multi) {
        out.push({
          file: r.set.file,
          span: r.entry.nameSpan,
          kfunc: k.name,
          message:
            `${entryLabel(r)} sets ${r.flags.filter((f) => (ITER_FLAGS as readonly string[]).includes(f)).join(' and ')}: an iterator ` +
            `kfunc must have exactly one of KF_ITER_NEW, KF_ITER_NEXT and KF_ITER_DESTROY. ${consequence([r])}.`,
        });
      }

      const def = k.definition;
      if (!def) continue;
      // One role per kfunc from here on (the entries with a single ITER flag).
      const single = iterRegs.filter((r) => !multi.includes(r));
      const roles = [...new Set(single.map((r) => r.flags.find((f) => (ITER_FLAGS as readonly string[]).includes(f))!))];
      for (const role of roles) {
        const regs = single.filter((r) => r.flags.includes(role));
        const params = k.implicitArgsFlag ? explicitParams(k, def) : def.fact.params;
        const ret = def.fact.ret;
        const problems: string[] = [];
        const sfx = SUFFIX[role];
        if (params.length === 0) {
          problems.push(`it takes no parameters (the first must be 'struct bpf_iter_<type> *')`);
        } else {
          const t = params[0].type;
          const ptr = t.derivations.length >= 1 && t.derivations[0] === 'ptr';
          const known = t.baseKind === 'struct' || t.baseKind === 'union' || t.baseKind === 'primitive' || t.baseKind === 'enum';
          const structName = t.baseKind === 'struct' ? t.base.replace(/^struct\s+/, '') : null;
          if (known && (!ptr || t.derivations.length !== 1 || !structName || !structName.startsWith('bpf_iter_'))) {
            problems.push(`its first parameter is '${t.text}' (it must be a pointer to a struct named bpf_iter_<type>)`);
          } else if (structName?.startsWith('bpf_iter_')) {
            const expected = `bpf_iter_${structName.slice('bpf_iter_'.length)}_${sfx}`;
            if (k.name !== expected) problems.push(`its iterator is 'struct ${structName}', so it must be named ${expected}`);
          }
        }
        if (role !== 'KF_ITER_NEW' && params.length > 1) {
          problems.push(`it takes ${params.length} parameters (only the _new constructor may take more than the iterator)`);
        }
        if (role === 'KF_ITER_NEXT' && isKnownNonPointer(ret)) {
          problems.push(`it returns '${ret.text}' (_next must return a pointer; NULL ends the loop)`);
        }
        if (role === 'KF_ITER_DESTROY' && !isVoid(ret)) {
          problems.push(`it returns '${ret.text}' (_destroy must return void)`);
        }
        if (problems.length === 0) continue;
        out.push({
          file: def.file,
          span: def.fact.nameSpan,
          kfunc: k.name,
          message: `${k.name} is registered as an iterator (${role}), but ${problems.join('; ')}. ${consequence(regs)}.`,
          related: relatedFlagged(regs, `${role} here`),
        });
      }
    }
    return out;
  },
};
