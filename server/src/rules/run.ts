/** Runs the registered rules over a model: version gating, severity settings, stable order. */
import type { Settings } from '../config';
import { RULES } from './registry';
import type { Diagnostic, RuleContext } from './types';

export function runRules(ctx: RuleContext, settings: Settings, onlyFiles?: ReadonlySet<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of RULES) {
    const configured = settings.diagnostics.severity[rule.code];
    if (configured === 'off' || !rule.appliesTo(ctx.version, ctx.flags)) continue;
    const severity = configured ?? rule.defaultSeverity;
    for (const f of rule.check(ctx)) {
      if (onlyFiles && !onlyFiles.has(f.file)) continue;
      out.push({ ...f, code: rule.code, severity });
    }
  }
  return out.sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.span.start - b.span.start || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}
