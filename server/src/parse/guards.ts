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

/** Wraps a condition in parentheses when it is joined to others with `&&` and contains `||` or `?`. */
function asConjunct(cond: string): string {
  return /\|\||\?/.test(cond) && !(cond.startsWith('(') && cond.endsWith(')')) ? `(${cond})` : cond;
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
  const name = d.body.split(' ')[0];
  const isGuardOpen =
    (d.keyword === 'ifndef' && next?.keyword === 'define' && next.body.split(' ')[0] === name) ||
    (d.keyword === 'if' && new RegExp(`^!\\s*defined\\s*\\(?\\s*${name.replace(/\W/g, '')}`).test(d.body));
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

export function buildGuardMap(directives: RawDirective[]): GuardMap {
  const segments: Segment[] = [{ start: 0, guard: null }];
  const stack: Frame[] = [];
  const guardIndex = includeGuardIndex(directives);
  const render = (): string | null => {
    const parts = stack.filter((f) => !f.includeGuard && f.current !== null).map((f) => asConjunct(f.current!));
    return parts.length ? parts.join(' && ') : null;
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
        top.current = [...top.previous.map(negate), cond].map(asConjunct).join(' && ');
        top.previous.push(cond);
        break;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top) return;
        top.current = top.previous.map(negate).map(asConjunct).join(' && ');
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
