/** Runs the registered rules over a model: version gating, severity settings, stable order. */
import type { Settings } from '../config';
import type { Kfunc, KfuncModel } from '../model/types';
import { RULES } from './registry';
import type { Diagnostic, Finding, Rule, RuleContext } from './types';

/**
 * Rules whose findings about a kfunc depend only on that kfunc (besides the kernel version, flag table, settings
 * and file texts): they loop over the model's kfuncs and look at no other kfunc, set or function. Between runs over
 * models that share most kfunc objects (the language server rebuilds the model after each edit; unchanged kfuncs
 * are the same objects, see buildModel), their findings for unchanged kfuncs are kept and the rule runs over the
 * changed ones only.
 */
const PER_KFUNC = new Set([
  'acquire-rcu-ret-null', 'acquire-return', 'fastcall-not-inlined', 'flags-inconsistent', 'implicit-flag-without-arg',
  'implicit-multiple-prog-aux', 'iterator-contract', 'iterator-next-ret-null', 'kfunc-inline', 'kfunc-missing-tag',
  'kfunc-static', 'proto-bad-param-type', 'proto-bad-return-type', 'proto-too-many-args', 'release-no-pointer-arg',
  'ret-null-non-pointer', 'suffix-const-count', 'suffix-removed', 'suffix-size-misplaced', 'suffix-type',
  'suffix-void-pointer',
]);

const PER_KFUNC_RULES = RULES.filter((r) => PER_KFUNC.has(r.code));

/** Findings of the PER_KFUNC rules per kfunc object (by the rule's index in PER_KFUNC_RULES). */
interface KfuncMemo {
  version: unknown;
  flags: unknown;
  settings: unknown;
  complete: boolean;
  rows: WeakMap<Kfunc, Array<Finding[] | undefined>>;
}

const NONE: Finding[] = [];

/** Per source of file text (one language server, one CLI run), per flag table (one per kernel tree). */
const memos = new WeakMap<object, WeakMap<object, KfuncMemo>>();

/** Rules that turned out not to be per-kfunc after all (a finding about another kfunc): always run whole. */
const notPerKfunc = new Set<string>();

function memoFor(ctx: RuleContext): KfuncMemo {
  const source = ctx.textSource ?? ctx.text;
  let byTree = memos.get(source);
  if (!byTree) {
    byTree = new WeakMap();
    memos.set(source, byTree);
  }
  const c = ctx.model.context;
  let memo = byTree.get(c.flags);
  if (!memo || memo.version !== c.version || memo.settings !== c.settings || memo.complete !== ctx.complete) {
    memo = { version: c.version, flags: c.flags, settings: c.settings, complete: ctx.complete, rows: new WeakMap() };
    byTree.set(c.flags, memo);
  }
  return memo;
}

/**
 * A PER_KFUNC rule: run over the kfuncs it has no findings for yet (new or changed kfunc objects), the kept findings
 * of the others, all in the model's order (what one run over every kfunc gives).
 */
function checkPerKfunc(rule: Rule, index: number, ctx: RuleContext, kfuncs: Kfunc[], rows: Array<Array<Finding[] | undefined>>): Finding[] {
  const todo = new Map<string, Kfunc>();
  for (let i = 0; i < kfuncs.length; i++) if (rows[i][index] === undefined) todo.set(kfuncs[i].name, kfuncs[i]);
  if (todo.size) {
    const found = new Map<string, Finding[]>();
    const sub: KfuncModel = { ...ctx.model, kfuncs: todo };
    for (const f of rule.check({ ...ctx, model: sub })) {
      if (!f.kfunc || !todo.has(f.kfunc)) {
        notPerKfunc.add(rule.code);
        return rule.check(ctx);
      }
      const list = found.get(f.kfunc);
      if (list) list.push(f);
      else found.set(f.kfunc, [f]);
    }
    for (let i = 0; i < kfuncs.length; i++) if (rows[i][index] === undefined) rows[i][index] = found.get(kfuncs[i].name) ?? NONE;
  }
  const out: Finding[] = [];
  for (let i = 0; i < kfuncs.length; i++) {
    const list = rows[i][index]!;
    for (let j = 0; j < list.length; j++) out.push(list[j]);
  }
  return out;
}

export function runRules(ctx: RuleContext, settings: Settings, onlyFiles?: ReadonlySet<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const memo = memoFor(ctx);
  const kfuncs = [...ctx.model.kfuncs.values()];
  const rows = kfuncs.map((k) => {
    let row = memo.rows.get(k);
    if (!row) {
      row = [];
      memo.rows.set(k, row);
    }
    return row;
  });
  for (const rule of RULES) {
    const configured = settings.diagnostics.severity[rule.code];
    if (configured === 'off' || !rule.appliesTo(ctx.version, ctx.flags)) continue;
    const severity = configured ?? rule.defaultSeverity;
    const index = PER_KFUNC_RULES.indexOf(rule);
    const findings = index !== -1 && !notPerKfunc.has(rule.code) ? checkPerKfunc(rule, index, ctx, kfuncs, rows) : rule.check(ctx);
    for (const f of findings) {
      if (onlyFiles && !onlyFiles.has(f.file)) continue;
      out.push({ ...f, code: rule.code, severity });
    }
  }
  return out.sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.span.start - b.span.start || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}
