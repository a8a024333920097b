/** What the identifier under a position names: a kfunc, a KF_* flag, a suffixed parameter, a set, a function. */
import type { Position } from 'vscode-languageserver';
import type { FunctionFact, ParamFact } from '../facts/types';
import { type FlagInfo, knownFlag } from '../kernel/flags';
import type { Kfunc, KfuncModel, Located, SetInfo } from '../model/types';
import { offsetAt, type Word, wordAt } from './positions';
import { type SuffixInfo, suffixOf } from './suffixes';
import type { Analysis, DocState, KernelUnit } from './workspace';

export type Target =
  | { kind: 'kfunc'; word: Word; kfunc: Kfunc; /** the name written, when it is a generated `_impl` */ alias: string | null }
  | { kind: 'flag'; word: Word; flag: FlagInfo | undefined; name: string }
  | { kind: 'suffix'; word: Word; suffix: SuffixInfo; fn: FunctionFact; param: ParamFact }
  | { kind: 'set'; word: Word; set: SetInfo }
  | { kind: 'function'; word: Word; name: string; locations: Array<Located<FunctionFact>> };

export interface Context {
  d: DocState;
  unit: KernelUnit;
  model: KfuncModel;
  text: string;
  offset: number;
}

/** The document at `uri` refreshed, with the offset of `pos`; undefined for unknown documents or positions. */
export function contextAt(analysis: Analysis, uri: string, pos: Position): Context | undefined {
  const d = analysis.fresh(uri);
  if (!d || d.skipped) return undefined;
  const text = d.doc.getText();
  const offset = offsetAt(text, analysis.lineStarts(d), pos);
  if (offset === undefined) return undefined;
  return { d, unit: d.unit, model: d.unit.index.model, text, offset };
}

/** A kfunc by name, also through the `foo_impl` the build generates for a KF_IMPLICIT_ARGS kfunc `foo`. */
export function findKfunc(model: KfuncModel, name: string): { kfunc: Kfunc; alias: string | null } | undefined {
  const k = model.kfuncs.get(name);
  if (k) return { kfunc: k, alias: null };
  if (name.endsWith('_impl')) {
    const base = model.kfuncs.get(name.slice(0, -5));
    if (base && base.bpf.some((b) => b.name === name)) return { kfunc: base, alias: name };
  }
  return undefined;
}

export function targetAt(ctx: Context): Target | undefined {
  const word = wordAt(ctx.text, ctx.offset);
  if (!word) return undefined;
  const name = word.text;
  if (/^KF_[A-Z0-9_]+$/.test(name)) {
    const flag = ctx.model.context.flags.flags.get(name) ?? knownFlag(name);
    return { kind: 'flag', word, flag, name };
  }
  const k = findKfunc(ctx.model, name);
  if (k) return { kind: 'kfunc', word, kfunc: k.kfunc, alias: k.alias };
  const suffix = suffixOf(name);
  if (suffix) {
    const fn = ctx.d.facts.functions.find((f) => f.span.start <= word.start && word.end <= f.span.end && f.params.some((p) => p.name === name));
    const param = fn?.params.find((p) => p.name === name);
    if (fn && param) return { kind: 'suffix', word, suffix, fn, param };
  }
  const set = ctx.model.sets.find((s) => s.fact.name === name && s.fact.macro !== 'BTF_ID_LIST');
  if (set) return { kind: 'set', word, set };
  const locations = ctx.model.functions.get(name) ?? ctx.d.facts.functions.filter((f) => f.name === name).map((f) => ({ file: ctx.d.path, fact: f }));
  if (locations.length) return { kind: 'function', word, name, locations };
  return undefined;
}
