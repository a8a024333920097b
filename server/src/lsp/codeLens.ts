/** textDocument/codeLens: over each kfunc definition, its BPF-side signature and program types. */
import type { CodeLens, CodeLensParams } from 'vscode-languageserver';
import { spanToRange } from './positions';
import { bpfSignature } from './symbols';
import type { Analysis } from './workspace';

export function codeLenses(analysis: Analysis, params: CodeLensParams): CodeLens[] | null {
  const d = analysis.fresh(params.textDocument.uri);
  if (!d || d.skipped) return null;
  const model = d.unit.index.model;
  const out: CodeLens[] = [];
  for (const f of d.facts.functions) {
    if (f.kind !== 'definition') continue;
    const k = model.kfuncs.get(f.name);
    // Only the definition the build uses gets a lens (not #ifdef alternatives or header stubs elsewhere).
    if (!k || !k.definition || k.definition.file !== d.path || k.definition.fact.nameSpan.start !== f.nameSpan.start) continue;
    const types: string[] = [];
    for (const r of k.registrations) for (const t of r.set.progTypes) if (!types.includes(t)) types.push(t);
    const where = k.registrations.length === 0 ? 'not in a kfunc set' : types.length ? types.map((t) => t.replace(/^BPF_PROG_TYPE_/, '')).join(', ') : 'set never registered';
    const title = `BPF: ${bpfSignature(k)} · ${where}`;
    // An empty command id: a label, not a button (every client renders it; none runs anything).
    out.push({ range: spanToRange(f.nameSpan), command: { title, command: '' } });
  }
  return out;
}
