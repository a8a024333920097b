// Why a kfunc in the source is not in a built kernel: the Kconfig options that Kbuild Makefiles put in front of
// its file (obj-$(CONFIG_X) += file.o, composite objects, directories) and the #if guards around it, evaluated
// against the kernel's .config.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildGuardMap } from '../../server/src/parse/guards';
import { scanSource } from '../../server/src/parse/scanner';

export type KernelConfig = Map<string, string>;

export function readKernelConfig(file: string): KernelConfig {
  const out: KernelConfig = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** Makefile lines with continuations joined. */
function makefileLines(dir: string): string[] {
  for (const name of ['Makefile', 'Kbuild']) {
    const f = path.join(dir, name);
    if (existsSync(f)) return readFileSync(f, 'utf8').replace(/\\\n/g, ' ').split('\n');
  }
  return [];
}

/** Conditions (CONFIG names, or 'y') under which `object` (a `x.o` or `dir/`) is built from `dir`'s Makefile. */
function conditionsFor(dir: string, object: string, depth = 0): string[][] {
  if (depth > 4) return [];
  const out: string[][] = [];
  for (const line of makefileLines(dir)) {
    const m = /^\s*([\w.-]+)-(\$\((CONFIG_\w+)\)|y|objs|m)\s*[:+]?=\s*(.*)$/.exec(line);
    if (!m) continue;
    const words = m[4].split(/\s+/);
    if (!words.includes(object)) continue;
    const cond = m[3] ?? 'y';
    if (m[1] === 'obj' || m[1] === 'lib' || m[1] === 'core') out.push([cond]);
    else for (const parent of conditionsFor(dir, `${m[1]}.o`, depth + 1)) out.push([cond, ...parent]);
  }
  return out;
}

function dirConditions(root: string, dir: string): string[] {
  const rel = path.relative(root, dir);
  if (!rel || rel.startsWith('..')) return [];
  const parent = path.dirname(dir);
  const options = conditionsFor(parent, `${path.basename(dir)}/`);
  const own = options.length ? options[0] : [];
  return [...own, ...dirConditions(root, parent)];
}

/**
 * A .c file that is not an object of its own but `#include`d by another (kernel/sched/ext.c from
 * build_policy.c): the includer's object, and the #if guard around the #include.
 */
function includedBy(file: string): { includer: string; guard: string | null } | undefined {
  const dir = path.dirname(file);
  const base = path.basename(file);
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.c') || name === base) continue;
    const text = readFileSync(path.join(dir, name), 'utf8');
    if (!text.includes(base)) continue;
    const scan = scanSource(text);
    const guards = buildGuardMap(scan.directives);
    const inc = scan.directives.find((d) => d.keyword === 'include' && d.body.replace(/["<>]/g, '') === base);
    if (inc) return { includer: path.join(dir, name), guard: guards.at(inc.start) };
  }
  return undefined;
}

const isOn = (config: KernelConfig, c: string) => c === 'y' || config.get(c) === 'y' || config.get(c) === 'm';

export function explainNotBuilt(
  root: string,
  k: { file: string | null; guard: string | null; registrations: Array<{ guard: string | null }> },
  config: KernelConfig,
): string | null {
  if (!k.file) return 'no definition in the tree';
  if (k.file.startsWith('tools/') || k.file.startsWith('samples/')) return 'test or sample code under tools/ or samples/ (not part of the kernel build)';
  const abs = path.join(root, k.file);
  let objectConds = conditionsFor(path.dirname(abs), path.basename(abs).replace(/\.c$/, '.o'));
  const includer = objectConds.length ? undefined : includedBy(abs);
  if (includer) {
    objectConds = conditionsFor(path.dirname(abs), path.basename(includer.includer).replace(/\.c$/, '.o'));
    if (includer.guard) k = { ...k, registrations: [...k.registrations, { guard: includer.guard }] };
  }
    const conds = [...(objectConds.find((c) => c.some((x) => !isOn(config, x))) ?? objectConds[0] ?? []), ...dirConditions(root, path.dirname(abs))];
  const off = conds.filter((c) => !isOn(config, c));
  if (off.length) return `${off[0]} is not set (Kbuild builds ${k.file} only with it)`;
  for (const g of [k.guard, ...k.registrations.map((r) => r.guard)]) {
    if (!g) continue;
    const names = [...g.matchAll(/(!?)\s*(?:defined\s*\(?\s*|IS_ENABLED\s*\(\s*|IS_BUILTIN\s*\(\s*)?(CONFIG_\w+)/g)];
    for (const [, neg, name] of names) {
      const on = isOn(config, name);
      if ((neg === '' && !on) || (neg === '!' && on)) return `guard ${g} is false in this config (${name}${on ? '=y' : ' not set'})`;
    }
  }
  if (objectConds.some((c) => c.every((x) => isOn(config, x) && config.get(x) === 'm'))) return 'built as a module that the image does not ship';
  return null;
}
