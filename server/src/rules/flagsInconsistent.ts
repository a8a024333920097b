/**
 * flags-inconsistent: one kfunc carries different flags in different sets.
 *
 * Flags are per set entry, so per hook. Where two sets go to different hooks, a different *calling-context policy*
 * (KF_SLEEPABLE, KF_TRUSTED_ARGS, KF_RCU, ...) can be deliberate: HID-BPF in 6.12 offers hid_bpf_hw_request & co.
 * as KF_SLEEPABLE to struct_ops programs and without it to syscall programs (hid_bpf_dispatch.c:589-611). That is
 * exempt until resolve_btfids enforces one flag word per kfunc (bpf-next, Jul 2026, probably 7.3). Flags that
 * describe the function itself (KF_ACQUIRE, KF_RELEASE, KF_RET_NULL, iterator, KF_IMPLICIT_ARGS, KF_FASTCALL,
 * arena) cannot differ by caller: 7.0's resolve_btfids takes the first set's word for the BTF rewrite and decl tags.
 */
import type { KfuncEntry } from '../model/types';
import { atLeast } from '../kernel/version';
import { entryLabel } from './helpers';
import { flagWordText, guardsExclusive, hooksOf } from './setRuleHelpers';
import type { Finding, Rule } from './types';

/** Per-hook calling-context policy: may differ between sets registered for different hooks. */
const POLICY_FLAGS = new Set(['KF_SLEEPABLE', 'KF_DESTRUCTIVE', 'KF_TRUSTED_ARGS', 'KF_RCU', 'KF_RCU_PROTECTED', 'KF_SPINLOCK_SAFE']);

/** First version whose resolve_btfids fails the build on any difference (kfunc-spec §A.4; version unverified). */
const ENFORCED: [number, number] = [7, 3];

/** Flags the build turns into BTF (decl tags, the KF_IMPLICIT_ARGS rewrite, arena type tags), from any kfunc set. */
const BTF_FLAGS = new Set(['KF_IMPLICIT_ARGS', 'KF_FASTCALL', 'KF_ARENA_RET', 'KF_ARENA_ARG1', 'KF_ARENA_ARG2']);

function kfuncRegistered(r: KfuncEntry): boolean {
  return r.set.progTypes.some((t) => t !== 'fmodret');
}

function sameFlags(a: KfuncEntry, b: KfuncEntry): boolean {
  if (a.flagsValue !== null && b.flagsValue !== null) return a.flagsValue === b.flagsValue;
  return [...a.flags].sort().join('|') === [...b.flags].sort().join('|');
}

function difference(a: KfuncEntry, b: KfuncEntry): string[] {
  const x = new Set(a.flags);
  const y = new Set(b.flags);
  return [...a.flags.filter((f) => !y.has(f)), ...b.flags.filter((f) => !x.has(f))];
}

function overlapping(a: KfuncEntry, b: KfuncEntry): boolean {
  const ha = hooksOf(a.set);
  const hb = hooksOf(b.set);
  // A set registered nowhere (a membership list) serves no program type.
  if (ha.size === 0 || hb.size === 0) return false;
  // The COMMON hook (BPF_PROG_TYPE_UNSPEC) is searched for every program type.
  if (ha.has('COMMON') || hb.has('COMMON')) return true;
  for (const h of ha) if (hb.has(h)) return true;
  return false;
}

export const flagsInconsistent: Rule = {
  code: 'flags-inconsistent',
  defaultSeverity: 'warning',
  description: 'One kfunc carries different flags in different sets.',
  appliesTo: () => true,
  check(ctx) {
    const out: Finding[] = [];
    const enforced = atLeast(ctx.version, ...ENFORCED);
    for (const k of ctx.model.kfuncs.values()) {
      const regs = k.registrations;
      if (regs.length < 2) continue;
      let culprit: { other: KfuncEntry; base: KfuncEntry; diff: string[]; sameHook: boolean } | undefined;
      for (let i = 0; i < regs.length && !culprit; i++) {
        for (let j = i + 1; j < regs.length && !culprit; j++) {
          const a = regs[i];
          const b = regs[j];
          // Twice in one set is set-duplicate-entry's finding.
          if (a.set === b.set || sameFlags(a, b)) continue;
          // `#ifdef A` set vs `#else` set: never both compiled.
          if (a.set.file === b.set.file && guardsExclusive(a.entry.guard, b.entry.guard)) continue;
          const diff = difference(a, b);
          // Sets that are not registered as kfuncs (fmodret attach targets, membership lists a filter consults) have
          // flag words the verifier never reads; only the build reads them, for the flags that shape BTF.
          if (!enforced && !(kfuncRegistered(a) && kfuncRegistered(b)) && !diff.some((f) => BTF_FLAGS.has(f))) continue;
          const sameHook = overlapping(a, b);
          // Deliberate per-hook policy (HID 6.12), until the build refuses it.
          if (!enforced && !sameHook && diff.every((f) => POLICY_FLAGS.has(f))) continue;
          culprit = { other: b, base: a, diff, sameHook };
        }
      }
      if (!culprit) continue;
      const { other, base, diff, sameHook } = culprit;
      const contract = diff.filter((f) => !POLICY_FLAGS.has(f));
      const consequence = enforced
        ? `resolve_btfids refuses this ("kfunc ${k.name} has inconsistent flags across BTF ID sets") and the build fails`
        : sameHook
          ? `both sets serve the same program types, so which flags the verifier applies depends on lookup order`
          : contract.length
            ? `${contract.join(', ')} describe${contract.length === 1 ? 's' : ''} the function itself, not its callers: resolve_btfids (7.0+) uses the first set's flag word for the BTF decl tags and the KF_IMPLICIT_ARGS rewrite, and newer resolve_btfids fail the build on any difference`
            : `newer resolve_btfids (bpf-next, Jul 2026) fail the build on any difference`;
      out.push({
        file: other.set.file,
        span: other.entry.nameSpan,
        kfunc: k.name,
        message:
          `${k.name} has ${flagWordText(other.flags)} in set ${other.set.fact.name} but ${flagWordText(base.flags)} in set ` +
          `${base.set.fact.name} (differing: ${diff.join(', ')}): ${consequence}. Use one flag word in every set.`,
        related: regs
          .filter((r) => r !== other)
          .map((r) => ({ file: r.set.file, span: r.entry.nameSpan, message: `${entryLabel(r)} in set ${r.set.fact.name} (${r.set.progTypes.join(', ') || 'not registered'})` })),
      });
    }
    return out;
  },
};
