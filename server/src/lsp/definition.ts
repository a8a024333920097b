/**
 * textDocument/definition: from a BTF_ID_FLAGS entry or a call site (any C file, BPF programs included) to the
 * kfunc's definition(s); from a set name to its BTF_*_START; from an id-set name to its initialiser; from a KF_*
 * name to its #define in the tree's include/linux/btf.h; from other function names to their definitions.
 */
import path from 'node:path';
import type { DefinitionParams, Location } from 'vscode-languageserver';
import type { FunctionFact } from '../facts/types';
import type { Located } from '../model/types';
import { uriFor } from './diagnostics';
import { contextAt, targetAt } from './lookup';
import { computeLineStarts, positionAt, spanToRange, wordAt } from './positions';
import type { Analysis } from './workspace';

function locationsOf(analysis: Analysis, list: Array<Located<FunctionFact>>): Location[] {
  return list.map((l) => ({ uri: uriFor(analysis, l.file), range: spanToRange(l.fact.nameSpan) }));
}

/** Definitions first (the one the build uses first), declarations when there is no definition. */
function functionTargets(analysis: Analysis, primary: Located<FunctionFact> | null, all: Array<Located<FunctionFact>>): Location[] {
  const defs = all.filter((l) => l.fact.kind === 'definition');
  const ordered = primary ? [primary, ...defs.filter((d) => d !== primary)] : defs;
  return locationsOf(analysis, ordered.length ? ordered : all);
}

export function definition(analysis: Analysis, params: DefinitionParams): Location[] | null {
  const ctx = contextAt(analysis, params.textDocument.uri, params.position);
  if (!ctx) return null;
  const t = targetAt(ctx);
  if (!t) {
    // An id set (`&bpf_testmod_kfunc_set` in register_btf_kfunc_id_set) → its initialiser.
    const word = wordAt(ctx.text, ctx.offset);
    const idSet = word && ctx.model.sets.flatMap((s) => s.idSets).find((s) => s.fact.name === word.text);
    return idSet ? [{ uri: uriFor(analysis, idSet.file), range: spanToRange(idSet.fact.span) }] : null;
  }
  switch (t.kind) {
    case 'kfunc': {
      const k = t.kfunc;
      if (t.alias && k.realImpl) return locationsOf(analysis, [k.realImpl]);
      const out = functionTargets(analysis, k.definition, [...k.definitions, ...k.declarations]);
      if (out.length) return out;
      // Registered but defined nowhere: the entries are all there is.
      return k.registrations.map((r) => ({ uri: uriFor(analysis, r.set.file), range: spanToRange(r.entry.nameSpan) }));
    }
    case 'set':
      return [{ uri: uriFor(analysis, t.set.file), range: spanToRange(t.set.fact.startSpan) }];
    case 'function':
      return functionTargets(analysis, null, t.locations);
    case 'flag': {
      const root = ctx.unit.root;
      if (!root || ctx.unit.index.kernel.flags.source !== 'btf.h') return null;
      const file = path.join(root, 'include/linux/btf.h');
      const text = analysis.readText(file);
      if (!text) return null;
      const m = new RegExp(`^[ \\t]*#[ \\t]*define[ \\t]+(${t.name})\\b`, 'm').exec(text);
      if (!m) return null;
      const starts = computeLineStarts(text);
      const at = m.index + m[0].length - t.name.length;
      return [{ uri: uriFor(analysis, file), range: { start: positionAt(starts, at), end: positionAt(starts, at + t.name.length) } }];
    }
    case 'suffix':
      return [{ uri: params.textDocument.uri, range: spanToRange(t.param.span) }];
  }
}
