/**
 * acquire-rcu-ret-null: KF_ACQUIRE | KF_RCU without KF_RET_NULL. An RCU-protected object's refcount may already be
 * zero, so the acquire can fail; without KF_RET_NULL programs are not made to check for NULL (kfunc-spec §C.3 R-27;
 * Documentation/bpf/kfuncs.rst recommends it and every in-tree use follows it).
 */
import { addFlagEdits } from '../fixes/entryFixes';
import { entryLabel } from './helpers';
import { bodyMayReturnNull, fmodretOnly } from './setRuleHelpers';
import { isTestKfuncFile } from './helpers';
import type { Finding, Fix, Rule } from './types';

export const acquireRcuRetNull: Rule = {
  code: 'acquire-rcu-ret-null',
  defaultSeverity: 'warning',
  description: 'KF_ACQUIRE | KF_RCU without KF_RET_NULL.',
  appliesTo: (_version, flags) => flags.flags.has('KF_RCU') && flags.flags.has('KF_ACQUIRE'),
  check(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.model.kfuncs.values()) {
      if (k.definition && isTestKfuncFile(k.definition.file)) continue;
      // An acquire that cannot fail needs no NULL check: scx_bpf_task_cgroup (6.12 kernel/sched/ext.c:7444) takes
      // its reference with cgroup_get() on a cgroup pinned by the rq lock and never returns NULL.
      if (k.definition && !bodyMayReturnNull(ctx.text(k.definition.file), k.definition)) continue;
      for (const r of k.registrations) {
        if (fmodretOnly(r.set)) continue;
        if (!r.flags.includes('KF_ACQUIRE') || !r.flags.includes('KF_RCU') || r.flags.includes('KF_RET_NULL')) continue;
        const edits = addFlagEdits(ctx, r.set.file, r.entry, 'KF_RET_NULL');
        // Not for --fix: programs that do not check the result stop loading once the flag is there.
        const fix: Fix | undefined = edits ? { title: `Add KF_RET_NULL to ${entryLabel(r)}`, safe: false, edits } : undefined;
        out.push({
          file: r.set.file,
          span: r.entry.nameSpan,
          kfunc: k.name,
          message:
            `${entryLabel(r)} in set ${r.set.fact.name} acquires a reference from an RCU-protected pointer (KF_ACQUIRE | KF_RCU) ` +
            `without KF_RET_NULL: the object's refcount may already have dropped to zero, so the acquire can fail and return ` +
            `NULL, but the verifier lets programs dereference the result unchecked. Add KF_RET_NULL.`,
          related: k.definition ? [{ file: k.definition.file, span: k.definition.fact.nameSpan, message: `defined here: ${k.name}` }] : [],
          fixes: fix ? [fix] : [],
        });
      }
    }
    return out;
  },
};
