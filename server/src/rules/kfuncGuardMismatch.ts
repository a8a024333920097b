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
import type { Kfunc, KfuncEntry, Located } from '../model/types';
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

function entryRef(r: KfuncEntry): EntryRef {
  const fmodret = r.set.progTypes.length > 0 && r.set.progTypes.every((t) => t === 'fmodret');
  return {
    file: r.set.file,
    entry: r.entry,
    label: `${entryLabel(r)} in set ${r.set.fact.name}`,
    failure: fmodret
      ? 'register_btf_fmodret_id_set() rejects the whole set with -EINVAL'
      : r.set.isKfuncSet
        ? 'register_btf_kfunc_id_set() rejects the whole set with -EINVAL'
        : 'the set holds ID 0 for it',
  };
}

function dtorRef(d: Kfunc['dtors'][number]): EntryRef {
  return {
    file: d.file,
    entry: d.entry,
    label: `BTF_ID(func, ${d.entry.name}) in destructor list ${d.listName}`,
    failure: 'register_btf_id_dtor_kfuncs() fails with -EINVAL',
  };
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

/**
 * Kbuild readers, one per source of file text (the language server's, a CLI run's), kept from one check to the
 * next while every Makefile/Kbuild file they read still has the same text: an edit elsewhere re-reads (a stat, for
 * the language server) but does not re-parse them.
 */
interface ReaderState {
  reader: KbuildConditions;
  reads: Map<string, string | undefined>;
  /** counterexample() answers for entry/definition condition pairs (rendered), valid with the reader. */
  verdicts: Map<string, ReturnType<typeof counterexample>>;
  /** The same by entry file and guard and definitions' files and guards. */
  rawVerdicts: Map<string, ReturnType<typeof counterexample>>;
}

let readers = new WeakMap<object, ReaderState & { checkedAt: number }>();

/**
 * Drops every kept Kbuild reader (a Makefile or Kbuild file changed). Looking at a reader's files again (a stat per
 * Makefile and Kbuild file of every directory involved, about a hundred) costs more than the rest of this rule, so
 * the language server trusts a reader for ctx.kbuildRecheckMs and calls this when its file watcher reports a change.
 */
export function forgetKbuildReaders(): void {
  readers = new WeakMap();
}

function kbuildFor(ctx: RuleContext): ReaderState {
  const cached = readers.get(ctx.textSource ?? ctx.text);
  if (cached) {
    const now = performance.now();
    if (now - cached.checkedAt < (ctx.kbuildRecheckMs ?? 0)) return cached;
    let same = true;
    for (const [file, text] of cached.reads) {
      if (ctx.text(file) !== text) {
        same = false;
        break;
      }
    }
    if (same) {
      cached.checkedAt = now;
      return cached;
    }
  }
  const reads = new Map<string, string | undefined>();
  const reader = new KbuildConditions((f) => {
    const text = ctx.text(f);
    reads.set(f, text);
    return text;
  });
  const state = { reader, reads, verdicts: new Map(), rawVerdicts: new Map(), checkedAt: performance.now() };
  readers.set(ctx.textSource ?? ctx.text, state);
  return state;
}

export const kfuncGuardMismatch: Rule = {
  code: 'kfunc-guard-mismatch',
  defaultSeverity: 'warning',
  description: 'A definition and its BTF_ID_FLAGS entry sit under different preprocessor conditions.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    const { reader: kbuild, verdicts, rawVerdicts } = kbuildFor(ctx);
    for (const k of ctx.model.kfuncs.values()) {
      const defs: Array<Located<FunctionFact>> = realDefinitions(k);
      // No usable definition at all is kfunc-undefined's (or kfunc-inline's) finding, not a guard question.
      if (defs.length === 0) continue;
      if (k.registrations.length + k.otherEntries.length + k.dtors.length === 0) continue;
      // The answer depends only on the files and #if guards of the entry and the definitions: after an edit the
      // same questions come back, and most are answered without building a condition.
      const defKey = defs.map((d) => `${d.file}\u0001${d.fact.guard ?? ''}`).join('\u0002');
      let defConds: Array<{ def: Located<FunctionFact>; kb: Cond | null }> | undefined;
      let defCond: Cond | undefined;
      const visit = (file: string, entry: SetEntry, ref: () => EntryRef) => {
        const rawKey = `${file}\u0001${entry.guard ?? ''}\u0003${defKey}`;
        if (rawVerdicts.get(rawKey) === null) return;
        defConds ??= defs.map((d) => ({ def: d, kb: kbuild.fileCondition(d.file) }));
        defCond ??= or(defConds.map(({ def, kb }) => and([def.fact.guard ? parseCondition(def.fact.guard) : null, kb])));
        const kb = kbuild.fileCondition(file);
        const entryCond = and([entry.guard ? parseCondition(entry.guard) : null, kb]);
        const key = `${renderCondition(entryCond)}\0${renderCondition(defCond)}`;
        let bad = verdicts.get(key);
        if (bad === undefined) {
          bad = counterexample(entryCond, defCond);
          verdicts.set(key, bad);
        }
        rawVerdicts.set(rawKey, bad);
        if (!bad) return;
        const e = ref();
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
      };
      for (const r of [...k.registrations, ...k.otherEntries]) visit(r.set.file, r.entry, () => entryRef(r));
      for (const d of k.dtors) visit(d.file, d.entry, () => dtorRef(d));
    }
    return out;
  },
};
