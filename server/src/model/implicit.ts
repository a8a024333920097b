/**
 * Implicit arguments (contracts §4): parameters the verifier fills in for a KF_IMPLICIT_ARGS kfunc. Two rules:
 * the upstream type rule (a pointer to one of the configured structs, const/volatile skipped, typedefs not resolved)
 * and the name suffix of the original proposal (`p__implicit`).
 */
import type { Settings } from '../config';
import type { ParamFact } from '../facts/types';

export function isImplicitParam(param: ParamFact, settings: Settings): boolean {
  const t = param.type;
  const pointerToStruct = t.baseKind === 'struct' && t.derivations.length === 1 && t.derivations[0] === 'ptr';
  if (pointerToStruct && settings.implicitArgs.types.includes(t.base.replace(/^struct\s+/, ''))) return true;
  const name = param.name ?? '';
  return settings.implicitArgs.nameSuffixes.some((s) => s.length > 0 && name.length > s.length && name.endsWith(s));
}

/** Index of the first implicit parameter, or -1. */
export function firstImplicit(implicit: boolean[]): number {
  return implicit.indexOf(true);
}
