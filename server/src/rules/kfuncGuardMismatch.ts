/**
 * kfunc-guard-mismatch (kfunc-spec §B.3 R-07): a BTF_ID_FLAGS entry (or a destructor's BTF_ID) can be compiled in a
 * configuration where the function it names is not. BTF_ID_FLAGS names the function only in assembler text, so
 * such a build compiles and links; resolve_btfids warns "unresolved symbol", leaves ID 0, and the whole set is
 * rejected at registration.
 *
 * What is compared: the entry's condition (its `#if` guards and the Kbuild condition of its file) must imply the
 * definition's (the `#if` guards of any definition that yields an out-of-line function, and the Kbuild condition of
 * its file). Guards are read as propositional formulas over CONFIG_* atoms (conditions.ts), Kbuild conditions
 * from obj-$(CONFIG_X) lines and the directory chain (kbuild.ts). The other direction (a definition compiled
 * without its entry: the kfunc merely is not offered in that configuration) is not reported: crash_kexec is defined
 * in every kernel/crash_core.c build but registered only under #ifdef CONFIG_CRASH_DUMP in kernel/bpf/helpers.c,
 * and Kbuild compiles crash_core.o only with CONFIG_CRASH_DUMP, so the two agree exactly.
 */
import type { SetEntry } from '../facts/types';
import type { Kfunc, Located } from '../model/types';
import type { FunctionFact } from '../facts/types';
import { and, type Cond, counterexample, describeAssignment, or, parseCondition, renderCondition } from '../kernel/conditions';
import { realDefinitions } from './definitionShared';
import { entryLabel } from './helpers';
import { KbuildConditions } from '../kernel/kbuild';
import type { Finding, RelatedLocation, Rule, RuleContext } from './types';

interface EntryRef {
  file: string;
  entry: SetEntry;
  label: string;
  /** What fails at boot. */
  failure: string;
}

function entriesOf(k: Kfunc): EntryRef[] {
  const out: EntryRef[] = [];
  for (const r of [...k.registrations, ...k.otherEntries]) {
    const fmodret = r.set.progTypes.length > 0 && r.set.progTypes.every((t) => t === 'fmodret');
    out.push({
      file: r.set.file,
      entry: r.entry,
      label: `${entryLabel(r)} in set ${r.set.fact.name}`,
      failure: fmodret
        ? 'register_btf_fmodret_id_set() rejects the whole set with -EINVAL'
        : r.set.isKfuncSet
          ? 'register_btf_kfunc_id_set() rejects the whole set with -EINVAL'
          : 'the set holds ID 0 for it',
    });
  }
  for (const d of k.dtors) {
    out.push({
      file: d.file,
      entry: d.entry,
      label: `BTF_ID(func, ${d.entry.name}) in destructor list ${d.listName}`,
      failure: 'register_btf_id_dtor_kfuncs() fails with -EINVAL',
    });
  }
  return out;
}

function describe(guard: string | null, kbuild: Cond | null): string {
  const parts: string[] = [];
  if (guard) parts.push(`under #if ${guard}`);
  if (kbuild && !(kbuild.kind === 'const' && kbuild.value)) parts.push(`in a file Kbuild builds only with ${renderCondition(kbuild)}`);
  return parts.length ? parts.join(', ') : 'unconditionally';
}

/** The parts of `def` that `entry` does not already imply: what the entry's #if is missing. */
function missingCondition(entry: Cond, def: Cond): Cond {
  const parts = def.kind === 'and' ? def.args : [def];
  const missing = parts.filter((p) => counterexample(entry, p) !== null);
  return missing.length ? and(missing) : def;
}

/** Kbuild readers per check run (the model object identifies a run; Makefiles are read once). */
const readers = new WeakMap<object, KbuildConditions>();

function kbuildFor(ctx: RuleContext): KbuildConditions {
  let r = readers.get(ctx.model);
  if (!r) {
    r = new KbuildConditions((f) => ctx.text(f));
    readers.set(ctx.model, r);
  }
  return r;
}

export const kfuncGuardMismatch: Rule = {
  code: 'kfunc-guard-mismatch',
  defaultSeverity: 'warning',
  description: 'A definition and its BTF_ID_FLAGS entry sit under different preprocessor conditions.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    const kbuild = kbuildFor(ctx);
    for (const k of ctx.model.kfuncs.values()) {
      const defs: Array<Located<FunctionFact>> = realDefinitions(k);
      // No usable definition at all is kfunc-undefined's (or kfunc-inline's) finding, not a guard question.
      if (defs.length === 0) continue;
      const entries = entriesOf(k);
      if (entries.length === 0) continue;
      const defConds = defs.map((d) => ({ def: d, kb: kbuild.fileCondition(d.file) }));
      const defCond = or(defConds.map(({ def, kb }) => and([def.fact.guard ? parseCondition(def.fact.guard) : null, kb])));
      for (const e of entries) {
        const kb = kbuild.fileCondition(e.file);
        const entryCond = and([e.entry.guard ? parseCondition(e.entry.guard) : null, kb]);
        const bad = counterexample(entryCond, defCond);
        if (!bad) continue;
        const defText = defConds.map(({ def, kb: dkb }) => describe(def.fact.guard, dkb)).join(' or ');
        const related: RelatedLocation[] = defs.map((d) => ({
          file: d.file,
          span: d.fact.nameSpan,
          message: `defined here (${describe(d.fact.guard, kbuild.fileCondition(d.file))}): ${k.name}`,
        }));
        out.push({
          file: e.file,
          span: e.entry.nameSpan,
          kfunc: k.name,
          message:
            `${e.label} is compiled ${describe(e.entry.guard, kb)}, but ${k.name} is defined only ` +
            `${defText}: with ${describeAssignment(bad)} the entry names a function that is not built, so ` +
            `resolve_btfids warns "unresolved symbol ${k.name}" and leaves ID 0, and ${e.failure}. Put the entry ` +
            `under the definition's condition (#if ${renderCondition(missingCondition(entryCond, defCond))}).`,
          related,
        });
      }
    }
    return out;
  },
};
