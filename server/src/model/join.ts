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

/**
 * Per-file parts of the join, kept between models: an edit changes one file's facts object, the others are the
 * same objects and their parts are reused (a model is rebuilt after every keystroke in an open document).
 */
interface FileParts {
  functions: Array<Located<FunctionFact>>;
  registrations: Array<Located<RegistrationFact>>;
  /** The file's sets, and what they were built from besides the facts. */
  sets?: { version: ModelContext['version']; resolved: SetEntry[][]; regs: Array<Array<Located<RegistrationFact>>>; infos: SetInfo[] };
  dtors?: { infos: SetInfo[]; dtors: Array<[string, DtorInfo]> };
}

const fileParts = new WeakMap<FileFacts, FileParts>();

function partsOf(f: FileFacts): FileParts {
  let parts = fileParts.get(f);
  if (!parts) {
    parts = {
      functions: f.functions.map((fact) => ({ file: f.path, fact })),
      registrations: f.registrations.map((fact) => ({ file: f.path, fact })),
    };
    fileParts.set(f, parts);
  }
  return parts;
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function buildSets(files: FileFacts[], ctx: ModelContext, resolve: PendingResolver): SetInfo[] {
  const sets: SetInfo[] = [];
  const regsByIdSet = new Map<string, Array<Located<RegistrationFact>>>();
  for (const f of files) for (const r of partsOf(f).registrations) if (r.fact.idSet) push(regsByIdSet, r.fact.idSet, r);
  for (const f of files) {
    if (f.sets.length === 0) continue;
    const parts = partsOf(f);
    const resolved = f.pendingMacros.map((p) => resolve(f, p));
    const regs = f.idSets.map((s) => regsByIdSet.get(s.name) ?? []);
    const cached = parts.sets;
    if (
      cached &&
      cached.version === ctx.version &&
      cached.resolved.length === resolved.length &&
      cached.resolved.every((r, i) => r === resolved[i]) &&
      cached.regs.every((r, i) => sameItems(r, regs[i]))
    ) {
      sets.push(...cached.infos);
      continue;
    }
    const infos: SetInfo[] = [];
    for (const fact of f.sets) {
      const entries = [...fact.entries];
      f.pendingMacros.forEach((p, i) => {
        if (p.setName === fact.name) entries.push(...resolved[i]);
      });
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
      infos.push({
        file: f.path,
        fact,
        entries,
        isKfuncSet: fact.macro !== 'BTF_ID_LIST' && isKfuncSetMacro(fact.macro, ctx),
        idSets,
        registrations,
        progTypes,
      });
    }
    parts.sets = { version: ctx.version, resolved, regs, infos };
    sets.push(...infos);
  }
  return sets;
}

function readDtors(files: FileFacts[], sets: SetInfo[]): Map<string, DtorInfo[]> {
  const out = new Map<string, DtorInfo[]>();
  const setsByFile = new Map<string, SetInfo[]>();
  for (const s of sets) push(setsByFile, s.file, s);
  for (const f of files) {
    if (f.dtorRegistrations.length === 0) continue;
    const parts = partsOf(f);
    const infos = setsByFile.get(f.path) ?? [];
    if (!parts.dtors || !sameItems(parts.dtors.infos, infos)) {
      const dtors: Array<[string, DtorInfo]> = [];
      for (const reg of f.dtorRegistrations) {
        const array = f.dtorArrays.find((a) => a.name === reg.array);
        if (!array) continue;
        for (const pair of array.pairs) {
          const list = infos.find((s) => s.fact.macro === 'BTF_ID_LIST' && s.fact.name === pair.list);
          const entry = list?.entries[pair.funcIndex];
          if (!list || !entry || entry.prefix !== 'func') continue;
          const typeEntry = list.entries[pair.typeIndex];
          dtors.push([
            entry.name,
            {
              file: f.path,
              entry,
              typeName: typeEntry && typeEntry.prefix !== 'unused' ? typeEntry.name : null,
              listName: list.fact.name,
              arrayName: array.name,
            },
          ]);
        }
      }
      parts.dtors = { infos, dtors };
    }
    for (const [name, d] of parts.dtors.dtors) push(out, name, d);
  }
  return out;
}

/** A set's kfunc entries with their sorted flags, per flag table (kept with the set, see FileParts). */
const setEntries = new WeakMap<SetInfo, { flags: ModelContext['flags']; entries: KfuncEntry[] }>();

function entriesOf(set: SetInfo, ctx: ModelContext): KfuncEntry[] {
  const cached = setEntries.get(set);
  if (cached && cached.flags === ctx.flags) return cached.entries;
  const entries: KfuncEntry[] = [];
  for (const entry of set.entries) {
    if (entry.prefix !== 'func') continue;
    const flags = sortFlags(entry.flags, ctx.flags);
    entries.push({ set, entry, flags, flagsValue: flagsValue(flags, ctx.flags) });
  }
  setEntries.set(set, { flags: ctx.flags, entries });
  return entries;
}

/** What a kfunc of a model was built from (to reuse it in the next model when nothing of it changed). */
interface KfuncInputs {
  ctx: ModelContext;
  all: Array<Located<FunctionFact>>;
  entries: KfuncEntry[];
  dtors: DtorInfo[];
  impl: Array<Located<FunctionFact>>;
}

const kfuncInputs = new WeakMap<Kfunc, KfuncInputs>();

export function buildModel(facts: Iterable<FileFacts>, ctx: ModelContext, resolve: PendingResolver, previous?: KfuncModel): KfuncModel {
  const files = [...facts].filter((f) => !f.skipped || f.sets.length > 0).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const sets = buildSets(files, ctx, resolve);

  const functions = new Map<string, Array<Located<FunctionFact>>>();
  for (const f of files) for (const fn of partsOf(f).functions) push(functions, fn.fact.name, fn);

  const entriesByName = new Map<string, KfuncEntry[]>();
  for (const set of sets) {
    if (set.fact.macro === 'BTF_ID_LIST') continue;
    for (const e of entriesOf(set, ctx)) push(entriesByName, e.entry.name, e);
  }
  const dtors = readDtors(files, sets);

  const names = new Set<string>();
  for (const [name, defs] of functions) if (defs.some((d) => d.fact.bpfKfuncSpan && d.file.endsWith('.c'))) names.add(name);
  for (const [name, entries] of entriesByName) if (entries.some((e) => e.set.isKfuncSet)) names.add(name);

  const kfuncs = new Map<string, Kfunc>();
  const sameContext = (c: ModelContext) => c === ctx || (c.version === ctx.version && c.flags === ctx.flags && c.settings === ctx.settings);
  for (const name of [...names].sort()) {
    const all = functions.get(name) ?? [];
    const entries = entriesByName.get(name) ?? [];
    const kfuncDtors = dtors.get(name) ?? [];
    const impl = functions.get(`${name}_impl`) ?? [];
    // The same inputs as in the previous model: the same kfunc.
    const before = previous?.kfuncs.get(name);
    const was = before && kfuncInputs.get(before);
    if (
      before &&
      was &&
      sameContext(was.ctx) &&
      sameItems(was.all, all) &&
      sameItems(was.entries, entries) &&
      sameItems(was.dtors, kfuncDtors) &&
      sameItems(was.impl, impl)
    ) {
      kfuncs.set(name, before);
      continue;
    }
    const definitions = all.filter((d) => d.fact.kind === 'definition');
    const definition = primaryDefinition(definitions);
    const registrations = entries.filter((e) => e.set.isKfuncSet);
    const implicitArgsFlag = registrations.some((r) => r.flags.includes('KF_IMPLICIT_ARGS'));
    const implicitKnown = ctx.flags.flags.has('KF_IMPLICIT_ARGS');
    const implicit = definition
      ? definition.fact.params.map((p) => implicitKnown && isImplicitParam(p, ctx.settings))
      : [];
    const implDefs = impl.filter((d) => d.fact.kind === 'definition');
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
      dtors: kfuncDtors,
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
    kfuncInputs.set(kfunc, { ctx, all, entries, dtors: kfuncDtors, impl });
    kfuncs.set(name, kfunc);
  }
  return { context: ctx, kfuncs, sets, functions, dtors };
}
