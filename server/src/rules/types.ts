/**
 * The rule framework: each rule is a pure function from the kfunc model to findings, with its code, default
 * severity and the kernel versions it applies to. Fixes are text edits computed from the model (contracts §3).
 */
import type { SeverityName } from '../config';
import type { Span } from '../facts/types';
import type { FlagTable } from '../kernel/flags';
import type { KernelVersion } from '../kernel/version';
import type { KfuncModel } from '../model/types';

export type Severity = Exclude<SeverityName, 'off'>;

export interface TextEdit {
  file: string;
  /** The range replaced (start = end for an insertion). */
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  /** Applied by `check --fix`: proven by the fixture tests to remove the diagnostic and add none. */
  safe: boolean;
  edits: TextEdit[];
}

export interface RelatedLocation {
  file: string;
  span: Span;
  message: string;
}

export interface Finding {
  file: string;
  span: Span;
  message: string;
  related?: RelatedLocation[];
  fixes?: Fix[];
  /** The kfunc the finding is about (hover shows a kfunc's diagnostics). */
  kfunc?: string;
}

export interface RuleContext {
  model: KfuncModel;
  version: KernelVersion;
  flags: FlagTable;
  /** The index has seen the whole workspace (kfunc-undefined waits for it). */
  complete: boolean;
  /** Is there a prototype of `name` in the headers `file` includes (directly or a few levels down)? */
  declaredInIncludes(file: string, name: string): boolean;
  /** A file's current text, for fixes that must look at it; undefined when unavailable. */
  text(file: string): string | undefined;
  /** Stays the same object from run to run while `text` reads the same source (state kept between runs is keyed by it). */
  textSource?: object;
  /**
   * Kbuild files read by an earlier run are trusted this long without being looked at again (the language server,
   * whose file watcher reports Makefile and Kbuild changes); 0 or absent: looked at on every run.
   */
  kbuildRecheckMs?: number;
}

export interface Rule {
  code: string;
  defaultSeverity: Severity;
  /** One line for docs and SARIF. */
  description: string;
  /** False where the rule's premise does not exist (e.g. no `__bpf_kfunc` before 6.3). */
  appliesTo(version: KernelVersion, flags: FlagTable): boolean;
  check(ctx: RuleContext): Finding[];
}

export interface Diagnostic extends Finding {
  code: string;
  severity: Severity;
}
