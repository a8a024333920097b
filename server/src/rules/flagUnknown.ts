/**
 * flag-unknown: a flag name in a BTF_ID_FLAGS flag word that the tree does not define and the target version does
 * not know. The flag word is pasted into assembler text (`.long KF_X`), so an undefined name becomes an undefined
 * symbol and the link fails.
 */
import { knownFlag } from '../kernel/flags';
import { compareVersions, formatVersion } from '../kernel/version';
import { flagNameSpan } from './setRuleHelpers';
import type { Finding, Rule } from './types';

/** Documented in Documentation/bpf/kfuncs.rst (6.12 §2.4.8, 7.0 §2.5.8) but defined by no header (kfunc-spec §C.1, §G). */
const DOCUMENTED_ONLY = new Set(['KF_DEPRECATED']);

export const flagUnknown: Rule = {
  code: 'flag-unknown',
  defaultSeverity: 'error',
  description: 'A KF_* flag name the tree does not define and the target kernel version does not know.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    const table = ctx.flags;
    const where = table.source === 'btf.h' ? "this tree's include/linux/btf.h" : `Linux ${formatVersion(ctx.version)}`;
    for (const set of ctx.model.sets) {
      if (set.fact.macro === 'BTF_ID_LIST') continue;
      for (const entry of set.entries) {
        if (entry.prefix !== 'func') continue;
        for (const name of entry.flags) {
          // Only KF_* names: anything else in a flag word is a macro of the file or its headers, not ours to judge.
          if (!/^KF_[A-Z0-9_]+$/.test(name) || table.flags.has(name)) continue;
          if (entry.localFlagDefines?.includes(name)) continue;
          const known = knownFlag(name);
          // A flag the kernel removed before the target version is flag-removed's finding.
          if (known?.removedIn && compareVersions(ctx.version, known.removedIn) >= 0) continue;
          let why: string;
          if (DOCUMENTED_ONLY.has(name)) {
            why = `${name} is described in Documentation/bpf/kfuncs.rst but no kernel header defines it (deprecation has no flag; say it in the kernel-doc comment instead)`;
          } else if (known && compareVersions(ctx.version, known.since) < 0) {
            why = `${name} was added in Linux ${formatVersion(known.since)}; ${where} does not define it`;
          } else if (known) {
            why = `${where} does not define ${name}`;
          } else {
            why = `${name} is not a kfunc flag: ${where} does not define it${suggestion(name, [...table.flags.keys()])}`;
          }
          out.push({
            file: set.file,
            span: flagNameSpan(ctx.text(set.file), entry, name),
            kfunc: entry.name,
            message:
              `${why}. BTF_ID_FLAGS pastes its flag word into assembler text (.long ${name}), so the undefined name ` +
              `becomes an undefined symbol and the build fails at link time (undefined reference to '${name}'; ` +
              `modpost: "${name}" undefined! for a module).`,
          });
        }
      }
    }
    return out;
  },
};

/** `, did you mean KF_X?` for a near spelling (edit distance ≤ 2). */
function suggestion(name: string, names: string[]): string {
  let best: string | undefined;
  let bestD = 3;
  for (const n of names) {
    const d = distance(name, n);
    if (d < bestD) {
      best = n;
      bestD = d;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
