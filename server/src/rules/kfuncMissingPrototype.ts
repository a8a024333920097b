/**
 * kfunc-missing-prototype: a global kfunc definition with no earlier declaration, outside
 * `__bpf_kfunc_start_defs()`/`__bpf_kfunc_end_defs()` (trees ≥ 6.7, where the region exists). Kfuncs have no C
 * callers and usually no header prototype, so GCC reports -Wmissing-prototypes / -Wmissing-declarations: W=1 in
 * 6.7, every build from 6.8 (scripts/Makefile.extrawarn), a build error with CONFIG_WERROR.
 *
 * The older `__diag_push(); __diag_ignore_all("-Wmissing-prototypes", ...)` regions and `__bpf_hook_start()`
 * regions silence it too (FunctionFact.inDefsRegion covers all three). Registered kfuncs without the tag count as
 * well: the warning is about a global function without a prototype, and adding the tag (kfunc-missing-tag's fix)
 * must not be what makes this rule appear.
 */
import { wrapInDefsFix } from '../fixes/definitionFixes';
import { atLeast } from '../kernel/version';
import { isHeader } from './definitionShared';
import { definedKfuncs } from './helpers';
import type { Finding, Rule } from './types';

export const kfuncMissingPrototype: Rule = {
  code: 'kfunc-missing-prototype',
  defaultSeverity: 'warning',
  description:
    'A __bpf_kfunc definition with no earlier declaration lies outside __bpf_kfunc_start_defs()/__bpf_kfunc_end_defs().',
  appliesTo: (version) => atLeast(version, 6, 7),
  check(ctx) {
    const out: Finding[] = [];
    const byDefault = atLeast(ctx.version, 6, 8);
    for (const [k, def] of definedKfuncs(ctx.model.kfuncs.values())) {
      if (!k.bpfKfuncTag && k.registrations.length === 0) continue;
      // The warning is for global functions in a .c file; inline bodies are kfunc-inline's.
      if (isHeader(def.file) || k.storage !== 'extern' || def.fact.inline) continue;
      if (def.fact.inDefsRegion) continue;
      const earlier = k.declarations.some((d) => d.file === def.file && d.fact.span.start < def.fact.span.start);
      if (earlier) continue;
      // A prototype in a header the file includes (cgroup_rstat_updated, tcp_slow_start, crash_kexec).
      if (ctx.declaredInIncludes(def.file, k.name)) continue;
      const fix = wrapInDefsFix(ctx, k);
      out.push({
        file: def.file,
        span: def.fact.nameSpan,
        kfunc: k.name,
        message:
          `global kfunc ${k.name} has no previous prototype and is not between __bpf_kfunc_start_defs() and ` +
          `__bpf_kfunc_end_defs(): GCC warns "no previous prototype for '${k.name}'" (-Wmissing-prototypes, ` +
          `${byDefault ? 'on in every build since 6.8' : 'a W=1 warning in 6.7'}; a build error with CONFIG_WERROR=y). ` +
          `Wrap the definition in the defs region (kfuncs have no C callers and need no header prototype).`,
        fixes: fix ? [fix] : [],
      });
    }
    return out;
  },
};
