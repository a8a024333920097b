/**
 * textDocument/documentSymbol (kfuncs defined or declared in the file, sets with their entries) and
 * workspace/symbol (kfuncs and sets of every unit, matched by case-insensitive subsequence).
 */
import type {
  CancellationToken,
  DocumentSymbol,
  DocumentSymbolParams,
  SymbolInformation,
  WorkspaceSymbol,
  WorkspaceSymbolParams,
} from 'vscode-languageserver';
import { SymbolKind } from 'vscode-languageserver';
import { prototypeText } from '../model/prototypes';
import type { Kfunc } from '../model/types';
import { uriFor } from './diagnostics';
import { spanToRange } from './positions';
import { Cancelled, settle } from './references';
import type { Analysis } from './workspace';

/** `int bpf_foo(int a)` as BPF programs see it, or the C prototype when nothing is registered. */
export function bpfSignature(k: Kfunc): string {
  const b = k.bpf.find((p) => p.vmlinuxH) ?? k.bpf[0];
  if (b) return prototypeText(b.name, b.ret, b.params, b.variadic);
  const def = k.definition?.fact;
  return def ? prototypeText(k.name, def.ret, def.params, def.variadic) : k.name;
}

export function documentSymbols(analysis: Analysis, params: DocumentSymbolParams, hierarchical: boolean): DocumentSymbol[] | SymbolInformation[] | null {
  const d = analysis.fresh(params.textDocument.uri);
  if (!d) return null;
  const model = d.unit.index.model;
  const symbols: DocumentSymbol[] = [];
  for (const f of d.facts.functions) {
    const k = model.kfuncs.get(f.name);
    if (!k) continue;
    const isDef = f.kind === 'definition';
    symbols.push({
      name: f.name,
      detail: isDef ? bpfSignature(k) : 'kfunc declaration',
      kind: SymbolKind.Function,
      range: spanToRange(f.span),
      selectionRange: spanToRange(f.nameSpan),
    });
  }
  for (const s of d.facts.sets) {
    const info = model.sets.find((x) => x.file === d.path && x.fact.name === s.name && x.fact.span.start === s.span.start);
    const types = info?.progTypes.map((t) => t.replace(/^BPF_PROG_TYPE_/, '')) ?? [];
    symbols.push({
      name: s.name,
      detail: `${s.macro}${types.length ? ` · ${types.join(', ')}` : ''}`,
      kind: SymbolKind.Array,
      range: spanToRange(s.span),
      selectionRange: spanToRange(s.startSpan),
      children: s.entries.map((e) => ({
        name: e.name,
        detail: e.flags.join(' | '),
        kind: e.prefix === 'func' ? SymbolKind.Function : SymbolKind.Field,
        range: spanToRange(e.span),
        selectionRange: spanToRange(e.nameSpan),
      })),
    });
  }
  symbols.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  if (hierarchical) return symbols;
  const flat: SymbolInformation[] = [];
  const walk = (list: DocumentSymbol[], container?: string) => {
    for (const s of list) {
      flat.push({ name: s.name, kind: s.kind, location: { uri: d.uri, range: s.selectionRange }, containerName: container });
      if (s.children) walk(s.children, s.name);
    }
  };
  walk(symbols);
  return flat;
}

/** Case-insensitive subsequence match (`bta` finds `bpf_task_acquire`). */
export function fuzzyMatch(query: string, name: string): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  const n = name.toLowerCase();
  let i = 0;
  for (let j = 0; j < n.length && i < q.length; j++) if (n[j] === q[i]) i++;
  return i === q.length;
}

const MAX_WORKSPACE_SYMBOLS = 1000;

export async function workspaceSymbols(analysis: Analysis, params: WorkspaceSymbolParams, token: CancellationToken): Promise<WorkspaceSymbol[]> {
  await settle();
  analysis.sync();
  const out: WorkspaceSymbol[] = [];
  const seen = new Set<string>();
  const query = (params.query ?? '').slice(0, 200);
  for (const unit of analysis.allUnits()) {
    if (token.isCancellationRequested) throw new Cancelled();
    const model = unit.index.model;
    for (const k of model.kfuncs.values()) {
      if (!fuzzyMatch(query, k.name)) continue;
      const where = k.definition ? { file: k.definition.file, span: k.definition.fact.nameSpan } : k.registrations[0] ? { file: k.registrations[0].set.file, span: k.registrations[0].entry.nameSpan } : undefined;
      if (!where) continue;
      const key = `${k.name}\0${where.file}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: k.name, kind: SymbolKind.Function, containerName: 'kfunc', location: { uri: uriFor(analysis, where.file), range: spanToRange(where.span) } });
      if (out.length >= MAX_WORKSPACE_SYMBOLS) return out;
    }
    for (const s of model.sets) {
      if (s.fact.macro === 'BTF_ID_LIST' || !fuzzyMatch(query, s.fact.name)) continue;
      const key = `${s.fact.name}\0${s.file}\0${s.fact.span.start}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: s.fact.name, kind: SymbolKind.Array, containerName: s.isKfuncSet ? 'kfunc set' : 'BTF set', location: { uri: uriFor(analysis, s.file), range: spanToRange(s.fact.startSpan) } });
      if (out.length >= MAX_WORKSPACE_SYMBOLS) return out;
    }
  }
  return out;
}
