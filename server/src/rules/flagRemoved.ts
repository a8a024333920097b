/**
 * flag-removed: a flag the target kernel no longer has (KF_KPTR_GET from 6.4, KF_TRUSTED_ARGS from 7.0). Like an
 * unknown name it becomes an undefined assembler symbol and the link fails; the fix removes it.
 */
import { removeFlagFromEntry } from '../fixes/entryFixes';
import { KNOWN_FLAGS } from '../kernel/flags';
import { compareVersions, formatVersion } from '../kernel/version';
import { flagNameSpan } from './setRuleHelpers';
import type { Finding, Rule } from './types';

/** What to do instead, per removed flag. */
const INSTEAD: Record<string, string> = {
  KF_TRUSTED_ARGS:
    'From 7.0 every kfunc gets trusted-argument checking by default (KF_RCU is the opt-out), so the flag can simply go',
  KF_KPTR_GET:
    'The kptr_get pattern was dropped in 6.4 (7b4ddf3920d2); programs take a reference from an RCU-protected kptr with an acquire kfunc (KF_ACQUIRE | KF_RCU | KF_RET_NULL) instead',
};

export const flagRemoved: Rule = {
  code: 'flag-removed',
  defaultSeverity: 'error',
  description: 'A KF_* flag removed in the target kernel version (KF_TRUSTED_ARGS from 7.0, KF_KPTR_GET from 6.4).',
  // Silent on trees older than the first removal (6.4).
  appliesTo: (version) => KNOWN_FLAGS.some((f) => f.removedIn && compareVersions(version, f.removedIn) >= 0),
  check(ctx) {
    const out: Finding[] = [];
    for (const set of ctx.model.sets) {
      if (set.fact.macro === 'BTF_ID_LIST') continue;
      for (const entry of set.entries) {
        if (entry.prefix !== 'func') continue;
        for (const name of entry.flags) {
          // The tree's own btf.h wins: a tree that still defines the flag builds with it.
          if (ctx.flags.flags.has(name) || entry.localFlagDefines?.includes(name)) continue;
          const f = KNOWN_FLAGS.find((x) => x.name === name);
          if (!f?.removedIn || compareVersions(ctx.version, f.removedIn) < 0) continue;
          const fix = removeFlagFromEntry(ctx, set.file, entry, name);
          out.push({
            file: set.file,
            span: flagNameSpan(ctx.text(set.file), entry, name),
            kfunc: entry.name,
            message:
              `${name} was removed in Linux ${formatVersion(f.removedIn)} and this tree (${formatVersion(ctx.version)}) does not define it: ` +
              `BTF_ID_FLAGS pastes the flag word into assembler text (.long ${name}), so the build fails at link time ` +
              `(undefined reference to '${name}'). ${INSTEAD[name] ?? 'Remove it'}.`,
            fixes: fix ? [fix] : [],
          });
        }
      }
    }
    return out;
  },
};
