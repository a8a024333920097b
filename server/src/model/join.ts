/**
 * Joins per-file facts into the kfunc model: sets with their registrations and program types, every function named
 * in a kfunc set or tagged `__bpf_kfunc` with its definition (wherever it lives), destructors, implicit arguments
 * and BPF-visible prototypes. Pure: the same facts give the same model.
 */
import type { FileFacts, FunctionFact, IdSetFact, RegistrationFact, SetEntry } from '../facts/types';
import { flagsValue, sortFlags } from '../kernel/flags';
import { atLeast } from '../kernel/version';
import { isImplicitParam } from './implicit';
import { bpfPrototypes } from './prototypes';
import type { DtorInfo, Kfunc, KfuncEntry, KfuncModel, Located, ModelContext, SetInfo } from './types';

/** Entries an X-macro invocation expands to, found through the headers the file includes (the index provides it). */
export type PendingResolver = (file: FileFacts, pending: FileFacts['pendingMacros'][number]) => SetEntry[];

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Which definition the build compiles: a real body over a header stub, a .c file over a header, tagged first. */
function primaryDefinition(defs: Array<Located<FunctionFact>>): Located<FunctionFact> | null {
  if (defs.length === 0) return null;
  const score = (d: Located<FunctionFact>) =>
    (d.file.endsWith('.h') ? 0 : 4) + (d.fact.bpfKfuncSpan ? 2 : 0) + (d.fact.inline && d.fact.storage === 'static' ? 0 : 1);
  return [...defs].sort((a, b) => score(b) - score(a))[0];
}

function isKfuncSetMacro(macro: string, ctx: ModelContext): boolean {
  if (macro === 'BTF_KFUNCS_START') return true;
  // Before 6.9 there was no BTF_KFUNCS_START: every set8 was a kfunc set.
  return macro === 'BTF_SET8_START' && !atLeast(ctx.version, 6, 9);
}

function buildSets(files: FileFacts[], ctx: ModelContext, resolve: PendingResolver): SetInfo[] {
  const sets: SetInfo[] = [];
  const regsByIdSet = new Map<string, Array<Located<RegistrationFact>>>();
  for (const f of files) for (const r of f.registrations) if (r.idSet) push(regsByIdSet, r.idSet, { file: f.path, fact: r });
  for (const f of files) {
    for (const fact of f.sets) {
      const entries = [...fact.entries];
      for (const p of f.pendingMacros) if (p.setName === fact.name) entries.push(...resolve(f, p));
      entries.sort((a, b) => a.span.start - b.span.start);
      // A set symbol is local to its file, so its id-set initialiser is in the same file.
      const idSets: Array<Located<IdSetFact>> = f.idSets
        .filter((s) => s.set === fact.name)
        .map((s) => ({ file: f.path, fact: s }));
      const registrations: Array<Located<RegistrationFact>> = [];
      for (const idSet of idSets) {
        const regs = regsByIdSet.get(idSet.fact.name) ?? [];
        const local = regs.filter((r) => r.file === idSet.file);
        registrations.push(...(local.length ? local : regs));
      }
      const progTypes: string[] = [];
      for (const r of registrations) {
        const t = r.fact.fn === 'register_btf_fmodret_id_set' ? 'fmodret' : r.fact.progType;
        if (t && !progTypes.includes(t)) progTypes.push(t);
      }
      sets.push({
        file: f.path,
        fact,
        entries,
        isKfuncSet: fact.macro !== 'BTF_ID_LIST' && isKfuncSetMacro(fact.macro, ctx),
        idSets,
        registrations,
        progTypes,
      });
    }
  }
  return sets;
}

function readDtors(files: FileFacts[], sets: SetInfo[]): Map<string, DtorInfo[]> {
  const out = new Map<string, DtorInfo[]>();
  for (const f of files) {
    for (const reg of f.dtorRegistrations) {
      const array = f.dtorArrays.find((a) => a.name === reg.array);
      if (!array) continue;
      for (const pair of array.pairs) {
        const list = sets.find((s) => s.file === f.path && s.fact.macro === 'BTF_ID_LIST' && s.fact.name === pair.list);
        const entry = list?.entries[pair.funcIndex];
        if (!list || !entry || entry.prefix !== 'func') continue;
        const typeEntry = list.entries[pair.typeIndex];
        push(out, entry.name, {
          file: f.path,
          entry,
          typeName: typeEntry && typeEntry.prefix !== 'unused' ? typeEntry.name : null,
          listName: list.fact.name,
          arrayName: array.name,
        });
      }
    }
  }
  return out;
}

export function buildModel(facts: Iterable<FileFacts>, ctx: ModelContext, resolve: PendingResolver): KfuncModel {
  const files = [...facts].filter((f) => !f.skipped || f.sets.length > 0).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const sets = buildSets(files, ctx, resolve);

  const functions = new Map<string, Array<Located<FunctionFact>>>();
  for (const f of files) for (const fn of f.functions) push(functions, fn.name, { file: f.path, fact: fn });

  const entriesByName = new Map<string, KfuncEntry[]>();
  for (const set of sets) {
    if (set.fact.macro === 'BTF_ID_LIST') continue;
    for (const entry of set.entries) {
      if (entry.prefix !== 'func') continue;
      const flags = sortFlags(entry.flags, ctx.flags);
      push(entriesByName, entry.name, { set, entry, flags, flagsValue: flagsValue(flags, ctx.flags) });
    }
  }
  const dtors = readDtors(files, sets);

  const names = new Set<string>();
  for (const [name, defs] of functions) if (defs.some((d) => d.fact.bpfKfuncSpan && d.file.endsWith('.c'))) names.add(name);
  for (const [name, entries] of entriesByName) if (entries.some((e) => e.set.isKfuncSet)) names.add(name);

  const kfuncs = new Map<string, Kfunc>();
  for (const name of [...names].sort()) {
    const all = functions.get(name) ?? [];
    const definitions = all.filter((d) => d.fact.kind === 'definition');
    const definition = primaryDefinition(definitions);
    const entries = entriesByName.get(name) ?? [];
    const registrations = entries.filter((e) => e.set.isKfuncSet);
    const implicitArgsFlag = registrations.some((r) => r.flags.includes('KF_IMPLICIT_ARGS'));
    const implicitKnown = ctx.flags.flags.has('KF_IMPLICIT_ARGS');
    const implicit = definition
      ? definition.fact.params.map((p) => implicitKnown && isImplicitParam(p, ctx.settings))
      : [];
    const implDefs = (functions.get(`${name}_impl`) ?? []).filter((d) => d.fact.kind === 'definition');
    const realImpl = primaryDefinition(implDefs);
    // Attributes and `static` on a prototype earlier in the same file apply to the definition too.
    const sameFile = definition ? all.filter((d) => d.file === definition.file && d.fact.span.start <= definition.fact.span.start) : [];
    const kfunc: Kfunc = {
      name,
      bpfKfuncTag: sameFile.some((d) => d.fact.bpfKfuncSpan !== null),
      storage: definition ? (sameFile.some((d) => d.fact.storage === 'static') ? 'static' : 'extern') : null,
      definition,
      definitions,
      declarations: all.filter((d) => d.fact.kind === 'declaration'),
      registrations,
      otherEntries: entries.filter((e) => !e.set.isKfuncSet),
      dtors: dtors.get(name) ?? [],
      implicit,
      implicitArgsFlag,
      realImpl,
      bpf: [],
    };
    if (definition) {
      kfunc.bpf = bpfPrototypes({
        name,
        definition: definition.fact,
        implicit,
        implicitArgsFlag,
        hasRealImpl: realImpl !== null,
        tagged: registrations.length > 0,
        fastcall: registrations.some((r) => r.flags.includes('KF_FASTCALL')),
      });
    }
    kfuncs.set(name, kfunc);
  }
  return { context: ctx, kfuncs, sets, functions, dtors };
}
