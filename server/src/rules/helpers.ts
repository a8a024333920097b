/** Small helpers shared by rules: locations of a kfunc's parts and related-information entries. */
import type { Located } from '../model/types';
import type { FunctionFact } from '../facts/types';
import type { Kfunc, KfuncEntry } from '../model/types';
import type { RelatedLocation } from './types';

/** Kfuncs that have a definition in the workspace, with it. */
export function* definedKfuncs(kfuncs: Iterable<Kfunc>): Generator<[Kfunc, Located<FunctionFact>]> {
  for (const k of kfuncs) if (k.definition) yield [k, k.definition];
}

export function entryLabel(r: KfuncEntry): string {
  return `BTF_ID_FLAGS(func, ${r.entry.name}${r.entry.flagArgs.length ? `, ${r.entry.flagArgs.join(', ')}` : ''})`;
}

/** "the set entry" half of a definition's diagnostic. */
export function relatedEntry(r: KfuncEntry, what = 'registered here'): RelatedLocation {
  return { file: r.set.file, span: r.entry.span, message: `${what}: ${entryLabel(r)} in set ${r.set.fact.name}` };
}

/** "the definition" half of an entry's diagnostic. */
export function relatedDefinition(def: Located<FunctionFact>, what = 'defined here'): RelatedLocation {
  return { file: def.file, span: def.fact.nameSpan, message: `${what}: ${def.fact.name}` };
}

/** "the registration" half of a set's diagnostic. */
export function relatedRegistrations(r: KfuncEntry): RelatedLocation[] {
  return r.set.registrations.map((reg) => ({
    file: reg.file,
    span: reg.fact.span,
    message: reg.fact.progType ? `set registered for ${reg.fact.progType}` : 'set registered as fmodret targets',
  }));
}

/** `a`, `a and b`, `a, b and c`. */
export function listText(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Test kfunc modules (tools/testing/selftests/bpf's bpf_testmod, net/bpf/test_run.c) register deliberately broken
 * kfuncs so the verifier's rejections can be tested: rules about what the verifier rejects at call time skip them.
 */
export function isTestKfuncFile(file: string): boolean {
  const f = file.replace(/\\/g, '/');
  return /(^|\/)tools\/testing\/selftests\//.test(f) || /(^|\/)net\/bpf\/test_run\.c$/.test(f);
}
