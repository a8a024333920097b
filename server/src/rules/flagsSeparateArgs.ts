/** flags-separate-args: `BTF_ID_FLAGS(func, f, KF_A, KF_B)` uses only KF_A; the rest is silently dropped. */
import { joinFlagArgsFix } from '../fixes/entryFixes';
import type { Finding, Rule } from './types';

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
        const dropped = entry.flagArgs.slice(1);
        const fix = joinFlagArgsFix(set.file, entry);
        out.push({
          file: set.file,
          span: entry.flagArgSpans.length > 1 ? { ...entry.flagArgSpans[1], end: entry.flagArgSpans[entry.flagArgSpans.length - 1].end, endLine: entry.flagArgSpans[entry.flagArgSpans.length - 1].endLine, endCharacter: entry.flagArgSpans[entry.flagArgSpans.length - 1].endCharacter } : entry.span,
          kfunc: entry.name,
          message:
            `BTF_ID_FLAGS uses only its first flag argument (${entry.flagArgs[0]}): ${dropped.join(', ')} ` +
            `${dropped.length > 1 ? 'are' : 'is'} silently dropped, so ${entry.name} is registered without ${dropped.length > 1 ? 'them' : 'it'}. ` +
            `Join the flags with '|' in one argument.`,
          fixes: fix ? [fix] : [],
        });
      }
    }
    return out;
  },
};
