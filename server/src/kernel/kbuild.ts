/**
 * The Kconfig condition under which Kbuild compiles a source file, read from the Makefiles (or Kbuild files) of its
 * directory and the directories above it (kfunc-guard-mismatch: "conditions that cover a whole file through Kbuild
 * count too").
 *
 * How far this goes: `obj-$(CONFIG_X) += foo.o` and `obj-y`/`obj-m`; composite objects (`foo-y += bar.o`,
 * `foo-objs := bar.o`, `foo-$(CONFIG_Y) += bar.o`, then `obj-$(CONFIG_X) += foo.o`), also when the object is listed
 * with a sub-directory prefix in the parent's Makefile; `ifdef`/`ifndef CONFIG_X` and
 * `ifeq`/`ifneq ($(CONFIG_X),y|m|)` blocks (also `$(CONFIG_A)$(CONFIG_B),yy`); the directory chain
 * (`obj-$(CONFIG_X) += dir/`) up to the tree's top-level Makefile. Anything else (other variables, `$(if ...)`,
 * arch Makefiles that pick directories indirectly) is not understood and counts as "always", so it never makes a
 * definition look rarer than it is.
 */
import path from 'node:path';
import { and, type Cond, not, or, TRUE } from './conditions';

type ReadText = (file: string) => string | undefined;

interface Assignment {
  /** Left-hand side: `obj-$(CONFIG_X)`, `foo-y`, `foo-objs`. */
  lhs: string;
  words: string[];
  /** The Makefile conditionals around the line. */
  cond: Cond;
}

interface Makefile {
  assignments: Assignment[];
  /** The top-level Makefile of the tree (`VERSION = ...`). */
  top: boolean;
}

const CONFIG_REF = /^\$[({](CONFIG_\w+)[)}]$/;

/** `$(CONFIG_X)` → its atom; `y`/`m` → true; empty → false; else undefined. */
function lhsSuffixCond(suffix: string): Cond | undefined {
  if (suffix === 'y' || suffix === 'm') return TRUE;
  if (suffix === '' || suffix === 'n') return { kind: 'const', value: false };
  const m = CONFIG_REF.exec(suffix);
  return m ? { kind: 'atom', name: m[1] } : undefined;
}

/**
 * `ifeq` arguments → the condition under which they compare equal, and its negation; null where not understood.
 * y and m are one atom, so only comparisons with the empty string are exact both ways: `ifeq ($(CONFIG_X),y)` is
 * approximated by CONFIG_X, but its `else` (m or n) is unknown; `ifeq ($(CONFIG_X),m)` is unknown.
 */
function compareCond(args: string): { eq: Cond | null; ne: Cond | null } | null {
  let a: string;
  let b: string;
  const paren = /^\(\s*([^,]*?)\s*,\s*([^)]*?)\s*\)$/.exec(args);
  const quoted = /^["']([^"']*)["']\s+["']([^"']*)["']$/.exec(args);
  if (paren) [a, b] = [paren[1], paren[2]];
  else if (quoted) [a, b] = [quoted[1], quoted[2]];
  else return null;
  // Put the variable side first.
  if (!a.includes('$') && b.includes('$')) [a, b] = [b, a];
  const refs = [...a.matchAll(/\$[({](CONFIG_\w+)[)}]/g)].map((m) => m[1]);
  if (refs.length === 0 || a.replace(/\$[({]CONFIG_\w+[)}]/g, '') !== '') return null;
  const atoms = refs.map((name): Cond => ({ kind: 'atom', name }));
  if (b === '' && refs.length === 1) return { eq: not(atoms[0]), ne: atoms[0] };
  if (b === 'y'.repeat(refs.length)) return { eq: and(atoms), ne: null };
  return null;
}

function ifCond(kw: string, arg: string): Cond | null {
  if (kw === 'ifdef' || kw === 'ifndef') {
    if (!/^CONFIG_\w+$/.test(arg)) return null;
    const c: Cond = { kind: 'atom', name: arg };
    return kw === 'ifndef' ? not(c) : c;
  }
  const c = compareCond(arg.trim());
  if (!c) return null;
  return kw === 'ifeq' ? c.eq : c.ne;
}

/** The negation of an `if` line's condition, or null when it is not known exactly. */
function ifNegation(kw: string, arg: string): Cond | null {
  if (kw === 'ifdef' || kw === 'ifndef') return ifCond(kw === 'ifdef' ? 'ifndef' : 'ifdef', arg);
  const c = compareCond(arg.trim());
  if (!c) return null;
  return kw === 'ifeq' ? c.ne : c.eq;
}

function parseMakefile(text: string): Makefile {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const stack: Array<{ cond: Cond | null; negations: Array<Cond | null> }> = [];
  const current = (): Cond => and(stack.map((f) => f.cond ?? TRUE));
  const assignments: Assignment[] = [];
  let top = false;
  for (const raw of lines) {
    const line = raw.replace(/(^|[^\\])#.*$/, '$1').trim();
    if (!line) continue;
    if (/^VERSION\s*=\s*\d+$/.test(line)) top = true;
    const cond = /^(ifdef|ifndef|ifeq|ifneq)\s+(.*)$/.exec(line);
    if (cond) {
      const [, kw, arg] = cond;
      stack.push({ cond: ifCond(kw, arg), negations: [ifNegation(kw, arg)] });
      continue;
    }
    const elseLine = /^else\b\s*(.*)$/.exec(line);
    if (elseLine) {
      const frame = stack[stack.length - 1];
      if (!frame) continue;
      // Every earlier branch is false; unknown negations make the branch unknown (always), never stricter.
      const negated = frame.negations.every((n) => n !== null) ? and(frame.negations) : null;
      const nested = /^(ifdef|ifndef|ifeq|ifneq)\s+(.*)$/.exec(elseLine[1]);
      if (nested) {
        const [, kw, arg] = nested;
        const extra = ifCond(kw, arg);
        frame.cond = negated && extra ? and([negated, extra]) : extra ?? negated;
        frame.negations.push(ifNegation(kw, arg));
      } else frame.cond = negated;
      continue;
    }
    if (/^endif\b/.test(line)) {
      stack.pop();
      continue;
    }
    const assign = /^([\w$(){}.-]+)\s*(\+=|:=|\?=|=)\s*(.*)$/.exec(line);
    if (assign) assignments.push({ lhs: assign[1], words: assign[3].split(/\s+/).filter(Boolean), cond: current() });
  }
  return { assignments, top };
}

export class KbuildConditions {
  private readonly makefiles = new Map<string, Makefile | null>();
  private readonly fileConds = new Map<string, Cond | null>();
  private readonly dirConds = new Map<string, Cond | null>();

  constructor(private readonly read: ReadText) {}

  private makefile(dir: string): Makefile | null {
    if (this.makefiles.has(dir)) return this.makefiles.get(dir)!;
    const makefile = this.read(path.join(dir, 'Makefile'));
    const kbuild = this.read(path.join(dir, 'Kbuild'));
    // Kbuild takes precedence over Makefile for object lists; the top-level Makefile names the kernel version.
    const text = kbuild ?? makefile;
    const mk = text === undefined ? null : parseMakefile(text);
    if (mk && makefile !== undefined && /^VERSION\s*=\s*\d+\s*$/m.test(makefile)) mk.top = true;
    this.makefiles.set(dir, mk);
    return mk;
  }

  /**
   * The condition under which `target` (`foo.o` or `sub/`) is built according to `dir`'s Makefile; null when no
   * line names it. Composite objects are followed within the same Makefile.
   */
  private targetCond(dir: string, target: string, depth = 0): Cond | null {
    const mk = this.makefile(dir);
    if (!mk || depth > 4) return null;
    const alternatives: Cond[] = [];
    for (const a of mk.assignments) {
      if (!a.words.includes(target) && !(target.endsWith('/') && a.words.includes(target.slice(0, -1)))) continue;
      const m = /^([\w.-]+)-(.*)$/.exec(a.lhs);
      if (!m) continue;
      const [, owner, suffix] = m;
      if (owner === 'obj' || owner === 'lib' || owner === 'subdir' || owner === 'core' || owner === 'drivers' || owner === 'libs') {
        const c = lhsSuffixCond(suffix);
        alternatives.push(and([a.cond, c ?? TRUE]));
        continue;
      }
      if (/^(ccflags|asflags|ldflags|subdir-ccflags|CFLAGS|AFLAGS|always|targets|clean|hostprogs|userprogs|extra)/.test(owner)) continue;
      // A composite object: `owner-y`, `owner-objs`, `owner-$(CONFIG_X)`.
      const c = suffix === 'objs' ? TRUE : lhsSuffixCond(suffix);
      if (c === undefined) continue;
      const parent = this.targetCond(dir, `${owner}.o`, depth + 1);
      alternatives.push(and([a.cond, c, parent ?? TRUE]));
    }
    return alternatives.length ? or(alternatives) : null;
  }

  /** Condition of a directory being descended into (its parents' `obj-$(CONFIG_X) += dir/` lines). */
  private dirCond(dir: string): Cond | null {
    if (this.dirConds.has(dir)) return this.dirConds.get(dir)!;
    this.dirConds.set(dir, null); // cycles
    let result: Cond | null = null;
    const own = this.makefile(dir);
    const parent = path.dirname(dir);
    if (own && !own.top && parent !== dir) {
      const parentMk = this.makefile(parent);
      if (parentMk) {
        // The top directory's Kbuild lists some directories (`obj-$(CONFIG_NET) += net/`); nothing is above it.
        const c = this.targetCond(parent, `${path.basename(dir)}/`);
        result = and([c ?? TRUE, parentMk.top ? null : (this.dirCond(parent) ?? TRUE)]);
      }
    }
    this.dirConds.set(dir, result);
    return result;
  }

  /** The condition Kbuild compiles `file` under; null when its Makefile does not say (treated as always). */
  fileCondition(file: string): Cond | null {
    if (this.fileConds.has(file)) return this.fileConds.get(file)!;
    let result: Cond | null = null;
    if (file.endsWith('.c')) {
      const dir = path.dirname(file);
      const obj = `${path.basename(file, '.c')}.o`;
      let c = this.targetCond(dir, obj);
      let where = dir;
      // Objects listed with their sub-directory in the parent's Makefile (`hid-y += bpf/hid_bpf_dispatch.o`).
      if (!c) {
        const parent = path.dirname(dir);
        const pc = parent !== dir ? this.targetCond(parent, `${path.basename(dir)}/${obj}`) : null;
        if (pc) {
          c = pc;
          where = parent;
        }
      }
      if (c) result = and([c, this.dirCond(where) ?? TRUE]);
    }
    this.fileConds.set(file, result);
    return result;
  }
}
