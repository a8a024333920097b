// Why a kfunc in the source is not in a built kernel: the Kconfig condition Kbuild compiles its file under
// (server/src/kernel/kbuild.ts) and the #if guards around it, evaluated against the kernel's .config.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { atomsOf, type Cond, evaluate, parseCondition, renderCondition } from '../../server/src/kernel/conditions';
import { KbuildConditions } from '../../server/src/kernel/kbuild';
import { buildGuardMap } from '../../server/src/parse/guards';
import { scanSource } from '../../server/src/parse/scanner';
import { readTextFile } from '../../server/src/workspace/indexPaths';

export type KernelConfig = Map<string, string>;

export function readKernelConfig(file: string): KernelConfig {
  const out: KernelConfig = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/**
 * A .c file that is not an object of its own but `#include`d by another (kernel/sched/ext.c from
 * build_policy.c): the includer, and the #if guard around the #include.
 */
function includedBy(file: string): { includer: string; guard: string | null } | undefined {
  const dir = path.dirname(file);
  const base = path.basename(file);
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.c') || name === base) continue;
    const text = readFileSync(path.join(dir, name), 'utf8');
    if (!text.includes(base)) continue;
    const scan = scanSource(text);
    const inc = scan.directives.find((d) => d.keyword === 'include' && d.body.replace(/["<>]/g, '') === base);
    if (inc) return { includer: path.join(dir, name), guard: buildGuardMap(scan.directives).at(inc.start) };
  }
  return undefined;
}

/** Evaluates a condition under a .config: CONFIG_X is true when =y or =m; anything else is taken as true. */
function holds(c: Cond, config: KernelConfig): boolean {
  const env = new Map<string, boolean>();
  for (const atom of atomsOf(c, new Set())) env.set(atom, /^CONFIG_\w+$/.test(atom) ? ['y', 'm'].includes(config.get(atom) ?? '') : true);
  return evaluate(c, env);
}

export function explainNotBuilt(
  root: string,
  k: { file: string | null; guard: string | null; registrations: Array<{ guard: string | null }> },
  config: KernelConfig,
  kbuild = new KbuildConditions(readTextFile),
): string | null {
  if (!k.file) return 'no definition in the tree';
  if (k.file.startsWith('tools/') || k.file.startsWith('samples/')) return 'test or sample code under tools/ or samples/ (not part of the kernel build)';
  const abs = path.join(root, k.file);
  const includer = includedBy(abs);
  const object = kbuild.fileCondition(abs) ?? (includer ? kbuild.fileCondition(includer.includer) : null);
  if (object && !holds(object, config)) return `${renderCondition(object)} is false in this config (Kbuild builds ${k.file} only then)`;
  for (const g of [k.guard, includer?.guard ?? null, ...k.registrations.map((r) => r.guard)]) {
    if (g && !holds(parseCondition(g), config)) return `guard ${g} is false in this config`;
  }
  return null;
}
