/**
 * Preprocessor conditions as propositional formulas, for comparing the guard of a definition with the guard of its
 * BTF_ID_FLAGS entry (kfunc-guard-mismatch). A guard string (`CONFIG_A && !defined(CONFIG_B)`) is parsed into
 * `!`/`&&`/`||` over atoms; `CONFIG_X`, `defined(CONFIG_X)`, `IS_ENABLED(CONFIG_X)` and `IS_BUILTIN(CONFIG_X)` are
 * the same atom (y and m are not told apart: Kbuild's obj-$(CONFIG_X) is true for both). Anything else (`X > 2`,
 * `IS_MODULE(X)`) is an opaque atom named by its text, so two identical spellings still agree.
 */

export type Cond =
  | { kind: 'const'; value: boolean }
  | { kind: 'atom'; name: string }
  | { kind: 'not'; arg: Cond }
  | { kind: 'and' | 'or'; args: Cond[] };

export const TRUE: Cond = { kind: 'const', value: true };

/** Drops repeated operands (same rendering), keeping the first. */
function unique(args: Cond[]): Cond[] {
  const seen = new Set<string>();
  return args.filter((a) => {
    const key = renderCondition(a);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function and(parts: Array<Cond | null | undefined>): Cond {
  const flat = parts.flatMap((p) => (p && p.kind === 'and' ? p.args : [p]));
  const args = unique(flat.filter((p): p is Cond => !!p && !(p.kind === 'const' && p.value)));
  if (args.some((a) => a.kind === 'const' && !a.value)) return { kind: 'const', value: false };
  return args.length === 0 ? TRUE : args.length === 1 ? args[0] : { kind: 'and', args };
}

export function or(parts: Cond[]): Cond {
  const flat = parts.flatMap((p) => (p.kind === 'or' ? p.args : [p]));
  const args = unique(flat.filter((p) => !(p.kind === 'const' && !p.value)));
  if (args.some((a) => a.kind === 'const' && a.value)) return TRUE;
  return args.length === 0 ? { kind: 'const', value: false } : args.length === 1 ? args[0] : { kind: 'or', args };
}

export function not(c: Cond): Cond {
  if (c.kind === 'const') return { kind: 'const', value: !c.value };
  if (c.kind === 'not') return c.arg;
  return { kind: 'not', arg: c };
}

const TOKEN = /\s*(defined\b|&&|\|\||==|!=|<=|>=|<<|>>|[!()<>+\-*/%&|^~?:,]|[A-Za-z_]\w*|0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|\S)/y;

function tokenize(s: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(s); m; m = TOKEN.exec(s)) out.push(m[1]);
  return out;
}

const CONFIG_CALLS = new Set(['IS_ENABLED', 'IS_BUILTIN']);

/** An atom's tokens → its meaning. */
function atomOf(tokens: string[]): Cond {
  const t = tokens;
  if (t.length === 1) {
    if (/^\d/.test(t[0])) return { kind: 'const', value: Number(t[0].replace(/[uUlL]+$/, '')) !== 0 };
    if (/^[A-Za-z_]\w*$/.test(t[0])) return { kind: 'atom', name: t[0] };
  }
  if (t[0] === 'defined') {
    if (t.length === 2 && /^[A-Za-z_]\w*$/.test(t[1])) return { kind: 'atom', name: t[1] };
    if (t.length === 4 && t[1] === '(' && t[3] === ')') return { kind: 'atom', name: t[2] };
  }
  if (t.length === 4 && CONFIG_CALLS.has(t[0]) && t[1] === '(' && t[3] === ')') return { kind: 'atom', name: t[2] };
  return { kind: 'atom', name: t.join(' ') };
}

/** Parses a guard string; unreadable input becomes one opaque atom. */
export function parseCondition(text: string): Cond {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const isBoolOp = (t: string | undefined) => t === '&&' || t === '||';

  /** The tokens up to the next `&&`/`||`/unbalanced `)` at this level (a comparison or arithmetic). */
  const runFrom = (start: number): number => {
    let depth = 0;
    let j = start;
    for (; j < tokens.length; j++) {
      const t = tokens[j];
      if (t === '(') depth++;
      else if (t === ')') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && isBoolOp(t)) break;
    }
    return j;
  };

  const parseOr = (): Cond => {
    const parts = [parseAnd()];
    while (peek() === '||') {
      i++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0] : or(parts);
  };
  const parseAnd = (): Cond => {
    const parts = [parseUnary()];
    while (peek() === '&&') {
      i++;
      parts.push(parseUnary());
    }
    return parts.length === 1 ? parts[0] : and(parts);
  };
  const parseUnary = (): Cond => {
    const start = i;
    if (peek() === '!') {
      i++;
      const inner = parseUnary();
      // `!X == 1` and the like: not a plain negation.
      if (i < tokens.length && !isBoolOp(peek()) && peek() !== ')') {
        i = runFrom(start);
        return atomOf(tokens.slice(start, i));
      }
      return not(inner);
    }
    if (peek() === '(') {
      i++;
      const inner = parseOr();
      if (peek() === ')') {
        i++;
        if (i >= tokens.length || isBoolOp(peek()) || peek() === ')') return inner;
      }
      // `(A + 1) > 2`: an opaque comparison.
      i = runFrom(start);
      return atomOf(tokens.slice(start, i));
    }
    i = runFrom(start);
    if (i === start) {
      i++;
      return atomOf(tokens.slice(start, i));
    }
    return atomOf(tokens.slice(start, i));
  };

  if (tokens.length === 0) return TRUE;
  const c = parseOr();
  return i < tokens.length ? { kind: 'atom', name: tokens.join(' ') } : c;
}

export function atomsOf(c: Cond, out: Set<string>): Set<string> {
  if (c.kind === 'atom') out.add(c.name);
  else if (c.kind === 'not') atomsOf(c.arg, out);
  else if (c.kind === 'and' || c.kind === 'or') for (const a of c.args) atomsOf(a, out);
  return out;
}

export function evaluate(c: Cond, env: Map<string, boolean>): boolean {
  switch (c.kind) {
    case 'const':
      return c.value;
    case 'atom':
      return env.get(c.name) ?? false;
    case 'not':
      return !evaluate(c.arg, env);
    case 'and':
      return c.args.every((a) => evaluate(a, env));
    case 'or':
      return c.args.some((a) => evaluate(a, env));
  }
}

/** Too many atoms to enumerate: the caller treats the implication as unknown. */
const MAX_ATOMS = 16;

/**
 * An assignment under which `a` holds and `b` does not (so `a` does not imply `b`), or null when `a` implies `b`
 * (or the formulas have too many atoms to decide: no claim is made then).
 */
export function counterexample(a: Cond, b: Cond): Map<string, boolean> | null {
  const atoms = [...atomsOf(b, atomsOf(a, new Set()))].sort();
  if (atoms.length > MAX_ATOMS) return null;
  const env = new Map<string, boolean>();
  for (let bits = 0; bits < 1 << atoms.length; bits++) {
    atoms.forEach((name, k) => env.set(name, (bits & (1 << k)) !== 0));
    if (evaluate(a, env) && !evaluate(b, env)) {
      // Report the atoms whose value matters (flipping one alone makes `a ⇒ b` hold), enabled ones first.
      const matters = atoms.filter((name) => {
        env.set(name, !env.get(name));
        const still = evaluate(a, env) && !evaluate(b, env);
        env.set(name, !env.get(name));
        return !still;
      });
      const shown = matters.length ? matters : atoms;
      return new Map(shown.map((n): [string, boolean] => [n, env.get(n)!]).sort((x, y) => Number(y[1]) - Number(x[1])));
    }
  }
  return null;
}

/** `CONFIG_A=y, CONFIG_B=n` (opaque atoms as `(X > 2) true`). */
export function describeAssignment(env: Map<string, boolean>): string {
  return [...env.entries()]
    .map(([name, v]) => (/^[A-Za-z_]\w*$/.test(name) ? `${name}=${v ? 'y' : 'n'}` : `(${name}) ${v ? 'true' : 'false'}`))
    .join(', ');
}

/** Renders a condition back to C preprocessor syntax. */
export function renderCondition(c: Cond): string {
  const wrap = (x: Cond) => (x.kind === 'and' || x.kind === 'or' ? `(${renderCondition(x)})` : renderCondition(x));
  switch (c.kind) {
    case 'const':
      return c.value ? '1' : '0';
    case 'atom':
      return c.name;
    case 'not':
      return `!${wrap(c.arg)}`;
    case 'and':
      return c.args.map((a) => (a.kind === 'or' ? `(${renderCondition(a)})` : renderCondition(a))).join(' && ');
    case 'or':
      return c.args.map((a) => (a.kind === 'and' ? `(${renderCondition(a)})` : renderCondition(a))).join(' || ');
  }
}
