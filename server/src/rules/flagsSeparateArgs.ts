/** flags-separate-args: `BTF_ID_FLAGS(func, f, KF_A, KF_B)` uses only KF_A; the rest is silently dropped. */
import { joinFlagArgsFix } from '../fixes/entryFixes';
import type { Finding, Rule } from './types';

/** What the verifier then fails to enforce, per dropped flag. */
const LOST: Record<string, string> = {
  KF_RET_NULL: 'programs are not made to check the result for NULL',
  KF_ACQUIRE: 'the verifier does not track the returned reference',
  KF_RELEASE: 'the verifier never sees the reference released',
  KF_SLEEPABLE: 'non-sleepable programs may call it',
  KF_DESTRUCTIVE: 'callers need no CAP_SYS_BOOT',
  KF_TRUSTED_ARGS: 'untrusted pointers are accepted as arguments',
  KF_RCU: 'RCU-protected pointers are refused as arguments',
};

function consequences(dropped: string[]): string {
  const names = dropped.flatMap((a) => a.split('|').map((x) => x.replace(/[()]/g, '').trim()));
  const lost = names.map((n) => LOST[n]).filter((x): x is string => x !== undefined);
  return lost.length ? ` (${lost.join('; ')})` : '';
}

export const flagsSeparateArgs: Rule = {
  code: 'flags-separate-args',
  defaultSeverity: 'error',
  description: 'Flags passed to BTF_ID_FLAGS as separate arguments: only the first one is used.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    for (const set of ctx.model.sets) {
      for (const entry of set.entries) {
        if (entry.prefix !== 'func' || entry.flagArgs.length < 2) continue;
        // A trailing comma (`KF_A | KF_B, )`) leaves an empty argument: nothing is lost.
        const dropped = entry.flagArgs.slice(1).filter((a) => a.trim() !== '');
        if (dropped.length === 0) continue;
        const fix = joinFlagArgsFix(set.file, entry);
        out.push({
          file: set.file,
          span: entry.flagArgSpans.length > 1 ? { ...entry.flagArgSpans[1], end: entry.flagArgSpans[entry.flagArgSpans.length - 1].end, endLine: entry.flagArgSpans[entry.flagArgSpans.length - 1].endLine, endCharacter: entry.flagArgSpans[entry.flagArgSpans.length - 1].endCharacter } : entry.span,
          kfunc: entry.name,
          message:
            `BTF_ID_FLAGS uses only its first flag argument (${entry.flagArgs[0]}): ${dropped.join(', ')} ` +
            `${dropped.length > 1 ? 'are' : 'is'} silently dropped, so ${entry.name} is registered without ${dropped.length > 1 ? 'them' : 'it'}` +
            `${consequences(dropped)}. ` +
            `Join the flags with '|' in one argument.`,
          fixes: fix ? [fix] : [],
        });
      }
    }
    return out;
  },
};
