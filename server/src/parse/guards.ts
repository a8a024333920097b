/**
 * Preprocessor conditions: which `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else` branch each offset sits in, rendered as
 * the condition text (`CONFIG_A && !CONFIG_B`). A header's include guard is not a condition.
 */
import type { RawDirective } from './scanner';

interface Segment {
  start: number;
  guard: string | null;
}

export interface GuardMap {
  /** The condition that code at `offset` is compiled under, or null when unconditional. */
  at(offset: number): string | null;
  /** Conditional directives whose #endif is missing (a half-typed file). */
  readonly unterminated: number;
}

const SIMPLE = /^!?(?:[A-Za-z_]\w*|defined\s*\(\s*\w+\s*\)|defined\s+\w+|[A-Za-z_]\w*\s*\([^()]*\)|\d+)$/;

/** `!cond`, parenthesised unless `cond` is a single name, `defined(X)` or a call-like `IS_ENABLED(X)`. */
export function negate(cond: string): string {
  if (cond.startsWith('!') && SIMPLE.test(cond)) return cond.slice(1);
  return SIMPLE.test(cond) ? `!${cond}` : `!(${cond})`;
}

/** True when `s` is one parenthesised group: `(A || B)`, not `(A) || (B)`. */
function wrapped(s: string): boolean {
  if (!s.startsWith('(') || !s.endsWith(')')) return false;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return i === s.length - 1;
  }
  return false;
}

/** Wraps a condition in parentheses when it is joined to others with `&&` and contains `||` or `?`. */
function asConjunct(cond: string): string {
  if (!/\|\||\?/.test(cond) || wrapped(cond) || (cond.startsWith('!') && wrapped(cond.slice(1)))) return cond;
  return `(${cond})`;
}

/** `a && b && ...`, each part parenthesised only when there is more than one. */
function conjunction(parts: string[]): string {
  return parts.length === 1 ? parts[0] : parts.map(asConjunct).join(' && ');
}

interface Frame {
  /** Conditions of the branches already passed (for #elif/#else). */
  previous: string[];
  /** This branch's own condition, or null when it is an include guard (not reported). */
  current: string | null;
  includeGuard: boolean;
}

function conditionOf(d: RawDirective): string {
  switch (d.keyword) {
    case 'ifdef':
      return d.body.split(' ')[0] ?? '';
    case 'ifndef':
      return `!${d.body.split(' ')[0] ?? ''}`;
    default:
      return d.body;
  }
}

/** Finds the include-guard `#ifndef X / #define X ... #endif` spanning a whole header, by directive index. */
function includeGuardIndex(directives: RawDirective[]): number {
  const first = directives.findIndex((d) => d.keyword !== '' && d.keyword !== 'pragma');
  if (first === -1) return -1;
  const d = directives[first];
  const next = directives[first + 1];
  // `#ifndef X` or `#if !defined(X)` / `#if !defined X`, then `#define X`.
  const name =
    d.keyword === 'ifndef'
      ? d.body.split(' ')[0]
      : d.keyword === 'if'
        ? /^!\s*defined\s*(?:\(\s*([A-Za-z_]\w*)\s*\)|([A-Za-z_]\w*))$/.exec(d.body)?.slice(1).find((x) => x)
        : undefined;
  const isGuardOpen = name !== undefined && next?.keyword === 'define' && next.body.split(' ')[0] === name;
  if (!isGuardOpen) return -1;
  // Its #endif must be the last conditional directive of the file.
  let depth = 0;
  for (let i = first; i < directives.length; i++) {
    const k = directives[i].keyword;
    if (k === 'if' || k === 'ifdef' || k === 'ifndef') depth++;
    else if (k === 'endif') {
      depth--;
      if (depth === 0) {
        const rest = directives.slice(i + 1).some((x) => ['if', 'ifdef', 'ifndef', 'define'].includes(x.keyword));
        return rest ? -1 : first;
      }
    }
  }
  return -1;
}

const MAX_RENDERED_DEPTH = 16;

/** The negations of the branches passed; a long #elif chain is cut the same way as deep nesting. */
function negatedBranches(previous: string[]): string[] {
  if (previous.length <= MAX_RENDERED_DEPTH) return previous.map(negate);
  return [...previous.slice(0, MAX_RENDERED_DEPTH).map(negate), '...'];
}

export function buildGuardMap(directives: RawDirective[]): GuardMap {
  const segments: Segment[] = [{ start: 0, guard: null }];
  const stack: Frame[] = [];
  const guardIndex = includeGuardIndex(directives);
  // Real code nests a handful of levels; past MAX_RENDERED_DEPTH the text ends in '...' so that pathological
  // nesting (thousands of #if) costs linear, not quadratic, time.
  const render = (): string | null => {
    const parts: string[] = [];
    for (const f of stack) {
      if (f.includeGuard || f.current === null) continue;
      if (parts.length === MAX_RENDERED_DEPTH) {
        parts.push('...');
        break;
      }
      parts.push(f.current);
    }
    return parts.length ? conjunction(parts) : null;
  };
  directives.forEach((d, index) => {
    switch (d.keyword) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        const cond = conditionOf(d);
        stack.push({ previous: [cond], current: cond, includeGuard: index === guardIndex });
        break;
      }
      case 'elif':
      case 'elifdef':
      case 'elifndef': {
        const top = stack[stack.length - 1];
        if (!top) return;
        const cond = d.keyword === 'elifdef' ? d.body : d.keyword === 'elifndef' ? `!${d.body}` : d.body;
        top.current = conjunction([...negatedBranches(top.previous), cond]);
        top.previous.push(cond);
        break;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top) return;
        top.current = conjunction(negatedBranches(top.previous));
        break;
      }
      case 'endif':
        stack.pop();
        break;
      default:
        return;
    }
    segments.push({ start: d.end, guard: render() });
  });
  const unterminated = stack.length;
  return {
    unterminated,
    at(offset: number): string | null {
      let lo = 0;
      let hi = segments.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (segments[mid].start <= offset) lo = mid;
        else hi = mid - 1;
      }
      return segments[lo].guard;
    },
  };
}
