/** `kfunc-lsp check [--format text|json|sarif] [--fix] PATH...` (contracts §2, §2.3). */
import { reportNotes } from './notes';
import { readFileSync, writeFileSync } from 'node:fs';
import { applyEdits } from '../fixes/edits';
import { formatJson, formatSarif, formatText, summarize } from '../output/diagnostics';
import { relativizer } from '../output/protos';
import { ruleContext } from '../rules/context';
import { runRules } from '../rules/run';
import type { Diagnostic, TextEdit } from '../rules/types';
import { indexPaths, readTextFile } from '../workspace/indexPaths';
import { formatOption, type ParsedArgs } from './args';
import type { CliIo } from './io';
import { settingsFor } from './settings';

declare const KFUNC_LSP_VERSION: string | undefined;

async function analyse(args: ParsedArgs, io: CliIo) {
  const settings = settingsFor(args, args.paths[0], io.err);
  const result = await indexPaths(args.paths, settings, { cache: !args.options.has('--no-cache') });
  reportNotes(result.notes, io);
  const diagnostics = runRules(ruleContext(result.index, true, readTextFile), settings);
  return { result, diagnostics };
}

/** Applies every safe fix; returns a line per fix applied. */
function applySafeFixes(diagnostics: Diagnostic[], rel: (f: string) => string): string[] {
  const byFile = new Map<string, TextEdit[]>();
  const applied: string[] = [];
  for (const d of diagnostics) {
    const fix = d.fixes?.find((f) => f.safe);
    if (!fix) continue;
    for (const e of fix.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
    applied.push(`fixed ${rel(d.file)}:${d.span.line + 1}: ${fix.title} [${d.code}]`);
  }
  for (const [file, edits] of byFile) {
    // Identical edits from two diagnostics (one fix shared by both) are applied once.
    const unique = [...new Map(edits.map((e) => [`${e.span.start}:${e.span.end}:${e.newText}`, e])).values()];
    writeFileSync(file, applyEdits(readFileSync(file, 'utf8'), unique).text);
  }
  return applied;
}

export async function checkCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const format = formatOption(args, ['text', 'json', 'sarif'], 'text');
  const rel = relativizer(args.paths[0]);
  let { result, diagnostics } = await analyse(args, io);
  if (args.options.has('--fix')) {
    const applied = applySafeFixes(diagnostics, rel);
    for (const line of applied) io.err(line);
    if (applied.length) ({ result, diagnostics } = await analyse(args, io));
  }
  const summary = summarize(diagnostics, result.filesParsed);
  if (format === 'json') io.out(JSON.stringify(formatJson(diagnostics, rel, summary), null, 2) + '\n');
  else if (format === 'sarif') {
    const version = typeof KFUNC_LSP_VERSION === 'string' ? KFUNC_LSP_VERSION : '0.0.0';
    io.out(JSON.stringify(formatSarif(diagnostics, rel, version), null, 2) + '\n');
  } else io.out(formatText(diagnostics, rel, summary));
  return summary.errors > 0 ? 1 : 0;
}
