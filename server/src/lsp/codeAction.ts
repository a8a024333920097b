/**
 * textDocument/codeAction: the quick fixes the rules attach to their diagnostics (contracts §3), for diagnostics
 * whose range meets the requested range. Each action carries the diagnostic and a WorkspaceEdit (fixes may edit
 * other files: the set entries of a kfunc defined here).
 */
import type { CodeAction, CodeActionParams, TextEdit as LspTextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { CodeActionKind } from 'vscode-languageserver';
import type { Fix } from '../rules/types';
import type { DiagnosticsPublisher } from './diagnostics';
import { toLspDiagnostic, uriFor } from './diagnostics';
import { rangesIntersect, spanToRange } from './positions';
import type { Analysis } from './workspace';

export function fixToEdit(analysis: Analysis, fix: Fix): WorkspaceEdit {
  const changes: Record<string, LspTextEdit[]> = {};
  const seen = new Set<string>();
  for (const e of fix.edits) {
    const k = `${e.file}\0${e.span.start}\0${e.span.end}\0${e.newText}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const uri = uriFor(analysis, e.file);
    (changes[uri] ??= []).push({ range: spanToRange(e.span), newText: e.newText });
  }
  return { changes };
}

export function codeActions(analysis: Analysis, publisher: DiagnosticsPublisher, params: CodeActionParams): CodeAction[] | null {
  const only = params.context?.only;
  if (only && only.length && !only.some((k) => k === CodeActionKind.QuickFix || k === CodeActionKind.Empty || CodeActionKind.QuickFix.startsWith(`${k}.`))) return [];
  const d = analysis.fresh(params.textDocument.uri);
  if (!d) return null;
  publisher.ensureFresh();
  const out: CodeAction[] = [];
  const titles = new Set<string>();
  for (const diag of publisher.diagnosticsOf(d.path)) {
    if (!diag.fixes?.length || !rangesIntersect(spanToRange(diag.span), params.range)) continue;
    const lsp = toLspDiagnostic(analysis, diag);
    diag.fixes.forEach((fix, i) => {
      if (titles.has(fix.title)) return;
      titles.add(fix.title);
      out.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [lsp],
        isPreferred: fix.safe && i === 0,
        edit: fixToEdit(analysis, fix),
      });
    });
  }
  return out;
}
