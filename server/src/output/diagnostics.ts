/** `check` output: compiler-style text, JSON (contracts §2.3) and SARIF 2.1.0. */
import type { Span } from '../facts/types';
import { RULES } from '../rules/registry';
import type { Diagnostic, Fix } from '../rules/types';

type Rel = (file: string) => string;

export interface CheckSummary {
  files: number;
  errors: number;
  warnings: number;
  information: number;
  hints: number;
}

export function summarize(diagnostics: Diagnostic[], files: number): CheckSummary {
  const count = (s: Diagnostic['severity']) => diagnostics.filter((d) => d.severity === s).length;
  return { files, errors: count('error'), warnings: count('warning'), information: count('information'), hints: count('hint') };
}

/** `file:line:col: severity: message [code]`, fix titles indented under it. */
export function formatText(diagnostics: Diagnostic[], rel: Rel, summary: CheckSummary): string {
  const lines: string[] = [];
  for (const d of diagnostics) {
    lines.push(`${rel(d.file)}:${d.span.line + 1}:${d.span.character + 1}: ${d.severity}: ${d.message} [${d.code}]`);
    for (const r of d.related ?? []) lines.push(`    ${rel(r.file)}:${r.span.line + 1}:${r.span.character + 1}: note: ${r.message}`);
    for (const f of d.fixes ?? []) lines.push(`    fix${f.safe ? ' (safe)' : ''}: ${f.title}`);
  }
  const parts = [`${summary.errors} error${summary.errors === 1 ? '' : 's'}`, `${summary.warnings} warning${summary.warnings === 1 ? '' : 's'}`];
  if (summary.information) parts.push(`${summary.information} information`);
  if (summary.hints) parts.push(`${summary.hints} hint${summary.hints === 1 ? '' : 's'}`);
  lines.push(`${parts.join(', ')} in ${summary.files} file${summary.files === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}

const range = (s: Span) => ({ line: s.line + 1, column: s.character + 1, endLine: s.endLine + 1, endColumn: s.endCharacter + 1 });

function fixJson(f: Fix, rel: Rel) {
  return { title: f.title, safe: f.safe, edits: f.edits.map((e) => ({ file: rel(e.file), ...range(e.span), newText: e.newText })) };
}

export function formatJson(diagnostics: Diagnostic[], rel: Rel, summary: CheckSummary) {
  return {
    schema: 1,
    diagnostics: diagnostics.map((d) => ({
      file: rel(d.file),
      ...range(d.span),
      severity: d.severity,
      code: d.code,
      message: d.message,
      related: (d.related ?? []).map((r) => ({ file: rel(r.file), ...range(r.span), message: r.message })),
      fixes: (d.fixes ?? []).map((f) => fixJson(f, rel)),
    })),
    summary,
  };
}

const SARIF_LEVEL: Record<Diagnostic['severity'], string> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

function sarifRegion(s: Span) {
  return { startLine: s.line + 1, startColumn: s.character + 1, endLine: s.endLine + 1, endColumn: s.endCharacter + 1 };
}

export function formatSarif(diagnostics: Diagnostic[], rel: Rel, toolVersion: string) {
  const ruleIndex = new Map(RULES.map((r, i) => [r.code, i]));
  const location = (file: string, span: Span) => ({
    physicalLocation: { artifactLocation: { uri: encodeURI(rel(file)) }, region: sarifRegion(span) },
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kfunc-lsp',
            version: toolVersion,
            rules: RULES.map((r) => ({
              id: r.code,
              shortDescription: { text: r.description },
              defaultConfiguration: { level: SARIF_LEVEL[r.defaultSeverity] },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: diagnostics.map((d) => ({
          ruleId: d.code,
          ruleIndex: ruleIndex.get(d.code) ?? 0,
          level: SARIF_LEVEL[d.severity],
          message: { text: d.message },
          locations: [location(d.file, d.span)],
          relatedLocations: (d.related ?? []).map((r, i) => ({ id: i, ...location(r.file, r.span), message: { text: r.message } })),
          fixes: (d.fixes ?? []).map((f) => ({
            description: { text: f.title },
            artifactChanges: [...new Set(f.edits.map((e) => e.file))].map((file) => ({
              artifactLocation: { uri: encodeURI(rel(file)) },
              replacements: f.edits
                .filter((e) => e.file === file)
                .map((e) => ({ deletedRegion: sarifRegion(e.span), insertedContent: { text: e.newText } })),
            })),
          })),
        })),
      },
    ],
  };
}
