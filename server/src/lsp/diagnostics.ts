/**
 * Live diagnostics: after edits (debounced) the rules run over each changed unit's model, results are grouped per
 * file and compared with what was last published; only files whose set changed are republished (an edit in one
 * file can add or clear diagnostics in another), plus the edited documents themselves (their versions moved).
 */
import type { Connection, Diagnostic as LspDiagnostic, DiagnosticRelatedInformation } from 'vscode-languageserver';
import { DiagnosticSeverity } from 'vscode-languageserver';
import { ruleContext } from '../rules/context';
import { runRules } from '../rules/run';
import type { Diagnostic } from '../rules/types';
import { pathToUri, spanToRange } from './positions';
import type { Analysis, KernelUnit } from './workspace';

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** The URI to use for a file: the open document's own spelling when there is one. */
export function uriFor(analysis: Analysis, file: string): string {
  return analysis.docByPath(file)?.uri ?? pathToUri(file);
}

export function toLspDiagnostic(analysis: Analysis, d: Diagnostic): LspDiagnostic {
  const related: DiagnosticRelatedInformation[] = (d.related ?? []).map((r) => ({
    location: { uri: uriFor(analysis, r.file), range: spanToRange(r.span) },
    message: r.message,
  }));
  const out: LspDiagnostic = {
    range: spanToRange(d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'kfunc-lsp',
    message: d.message,
  };
  if (related.length) out.relatedInformation = related;
  if (d.kfunc) out.data = { kfunc: d.kfunc };
  return out;
}

/** Runs the rules over one unit (the result is kept on the unit for hovers and code actions). */
export function computeUnit(analysis: Analysis, unit: KernelUnit): Map<string, Diagnostic[]> {
  const all = analysis.batch(() =>
    runRules({ ...ruleContext(unit.index, unit.complete, analysis.readText), kbuildRecheckMs: analysis.kbuildRecheckMs }, unit.settings),
  );
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of all) {
    const list = byFile.get(d.file);
    if (list) list.push(d);
    else byFile.set(d.file, [d]);
  }
  unit.diagnostics = byFile;
  unit.dirty = false;
  return byFile;
}

export interface PublishTiming {
  /** Milliseconds spent in the last flush (sync + rules + publish). */
  lastFlushMs: number;
  flushes: number;
  /**
   * Per edited document, from the first didChange/didOpen after a publication to the publication of its new
   * diagnostics (debounce included), newest last; at most RECENT_TIMINGS kept (`kfuncLsp/status`, benchmarks).
   */
  editToPublishMs: number[];
}

const RECENT_TIMINGS = 1000;

export class DiagnosticsPublisher {
  /** What each file's last publication was (JSON of the LSP diagnostics), by path. */
  private readonly published = new Map<string, string>();
  /** Documents edited since the last flush: republished even when their diagnostics look the same. */
  private readonly forced = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** When each forced document's first unpublished change arrived. */
  private readonly pendingSince = new Map<string, number>();
  readonly timing: PublishTiming = { lastFlushMs: 0, flushes: 0, editToPublishMs: [] };

  constructor(
    private readonly connection: Connection,
    private readonly analysis: Analysis,
    readonly delayMs: number,
    private readonly log: (message: string) => void,
  ) {}

  /** Schedules a flush `delayMs` from now (restarting the wait: typing keeps postponing it). */
  schedule(forcePath?: string, delayMs = this.delayMs): void {
    if (forcePath) {
      this.forced.add(forcePath);
      if (!this.pendingSince.has(forcePath)) this.pendingSince.set(forcePath, performance.now());
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delayMs);
  }

  /** Computes and publishes now (also used before answering code actions, so they see current diagnostics). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const t0 = performance.now();
    try {
      this.analysis.sync();
      const forced = new Set(this.forced);
      this.forced.clear();
      const files = new Set<string>(forced);
      for (const unit of this.analysis.allUnits()) {
        if (!unit.dirty) continue;
        const before = [...unit.diagnostics.keys()];
        computeUnit(this.analysis, unit);
        for (const f of before) files.add(f);
        for (const f of unit.diagnostics.keys()) files.add(f);
      }
      for (const file of files) this.publishFile(file, forced.has(file));
      // Files whose unit disappeared (folder removed) keep stale entries: clear them.
      for (const file of [...this.published.keys()]) if (!this.ownerOf(file)) this.publishFile(file, false);
    } catch (e) {
      this.log(`computing diagnostics failed: ${(e as Error).stack ?? e}`);
    }
    const t1 = performance.now();
    this.timing.lastFlushMs = t1 - t0;
    this.timing.flushes++;
    for (const since of this.pendingSince.values()) this.timing.editToPublishMs.push(t1 - since);
    this.pendingSince.clear();
    if (this.timing.editToPublishMs.length > RECENT_TIMINGS) this.timing.editToPublishMs.splice(0, this.timing.editToPublishMs.length - RECENT_TIMINGS);
  }

  /** Recomputes now if something is pending (debounced work or dirty units). */
  ensureFresh(): void {
    this.analysis.sync();
    if (this.timer || this.analysis.allUnits().some((u) => u.dirty)) this.flush();
  }

  private ownerOf(file: string): KernelUnit | undefined {
    for (const unit of this.analysis.allUnits()) if (unit.diagnostics.has(file)) return unit;
    return undefined;
  }

  /** The current diagnostics of a file (from the last computation). */
  diagnosticsOf(file: string): Diagnostic[] {
    return this.ownerOf(file)?.diagnostics.get(file) ?? [];
  }

  private publishFile(file: string, force: boolean): void {
    const diags = this.diagnosticsOf(file).map((d) => toLspDiagnostic(this.analysis, d));
    const key = JSON.stringify(diags);
    const previous = this.published.get(file);
    if (!force && (previous ?? '[]') === key) return;
    if (diags.length) this.published.set(file, key);
    else this.published.delete(file);
    const doc = this.analysis.docByPath(file);
    void this.connection
      .sendDiagnostics({ uri: uriFor(this.analysis, file), version: doc?.doc.version, diagnostics: diags })
      .catch((e) => this.log(`publishDiagnostics failed: ${(e as Error).message}`));
  }

  /** A document closed: nothing else to publish unless its unit still reports on its file (workspace diagnostics). */
  clear(file: string): void {
    this.published.delete(file);
  }
}
