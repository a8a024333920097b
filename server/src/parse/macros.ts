/**
 * `#define`s of a file, in order, so a macro can be looked up as it stands at a given offset (kernel X-macros
 * redefine the same name several times), and a small expander for the X-macro registration pattern.
 */
import type { RawDirective } from './scanner';

export interface MacroDef {
  name: string;
  /** Parameter names of a function-like macro (`...` for variadic), null for an object-like one. */
  params: string[] | null;
  body: string;
  /** Offset of the '#' of the #define. */
  offset: number;
}

export interface MacroTable {
  /** The definition of `name` in effect at `offset` (a later #undef or #define replaces it). */
  at(name: string, offset: number): MacroDef | undefined;
  /** All definitions in effect at `offset` whose body mentions one of `words`. */
  activeMentioning(offset: number, words: RegExp): MacroDef[];
  readonly all: MacroDef[];
}

/** Parses the body of a `#define` directive (`NAME(a, b) body` or `NAME body`). */
export function parseDefine(d: RawDirective, text: string): MacroDef | undefined {
  const m = /^([A-Za-z_]\w*)/.exec(d.body);
  if (!m) return undefined;
  const name = m[1];
  // Function-like only when '(' follows the name with no space in the original text.
  const afterName = d.bodyStart + name.length;
  const funcLike = text.charCodeAt(afterName) === 40;
  let rest = d.body.slice(name.length);
  let params: string[] | null = null;
  if (funcLike) {
    const close = rest.indexOf(')');
    if (close === -1) return { name, params: [], body: '', offset: d.start };
    params = rest
      .slice(rest.indexOf('(') + 1, close)
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    rest = rest.slice(close + 1);
  }
  return { name, params, body: rest.trim(), offset: d.start };
}

export function buildMacroTable(directives: RawDirective[], text: string): MacroTable {
  const all: MacroDef[] = [];
  // name -> list of [offset, def|undefined] events in order
  const events = new Map<string, Array<{ offset: number; def: MacroDef | undefined }>>();
  for (const d of directives) {
    if (d.keyword === 'define') {
      const def = parseDefine(d, text);
      if (!def) continue;
      all.push(def);
      let list = events.get(def.name);
      if (!list) events.set(def.name, (list = []));
      list.push({ offset: d.start, def });
    } else if (d.keyword === 'undef') {
      const name = d.body.split(' ')[0];
      const list = events.get(name);
      if (list) list.push({ offset: d.start, def: undefined });
    }
  }
  return {
    all,
    at(name, offset) {
      const list = events.get(name);
      if (!list) return undefined;
      let found: MacroDef | undefined;
      for (const e of list) {
        if (e.offset > offset) break;
        found = e.def;
      }
      return found;
    },
    activeMentioning(offset, words) {
      const out: MacroDef[] = [];
      for (const name of events.keys()) {
        const def = this.at(name, offset);
        if (def && words.test(def.body)) out.push(def);
      }
      return out;
    },
  };
}

export type MacroLookup = (name: string) => MacroDef | undefined;

const IDENT = /[A-Za-z_]\w*/y;

/** Splits `text` from `open` (a '(') into arguments; returns them and the index after ')', or undefined. */
function readArgs(text: string, open: number): { args: string[]; end: number } | undefined {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i).trim());
        return { args: args.length === 1 && args[0] === '' ? [] : args, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return undefined;
}

function substitute(def: MacroDef, args: string[]): string {
  const params = def.params ?? [];
  const map = new Map<string, string>();
  params.forEach((p, i) => {
    if (p === '...') map.set('__VA_ARGS__', args.slice(i).join(', '));
    else map.set(p, args[i] ?? '');
  });
  // `##` is pasting, not stringizing: matched first so `pre_##n` does not read as `pre_#` + `#n`.
  let out = def.body.replace(/##|#\s*([A-Za-z_]\w*)|[A-Za-z_]\w*/g, (tok, strParam: string | undefined) => {
    if (tok === '##') return tok;
    if (strParam !== undefined) {
      return map.has(strParam) ? JSON.stringify(map.get(strParam)) : tok;
    }
    return map.has(tok) ? map.get(tok)! : tok;
  });
  out = out.replace(/\s*##\s*/g, '');
  return out;
}

/**
 * Expands macros in `text` (function-like and object-like) with the C rule that a macro is not re-expanded inside
 * its own expansion. Bounded in depth and size so a recursive or huge definition cannot hang the analyzer.
 */
export function expandMacros(text: string, lookup: MacroLookup, hidden: ReadonlySet<string> = new Set(), depth = 0): string {
  if (depth > 16 || text.length > 200_000) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    IDENT.lastIndex = i;
    const m = IDENT.exec(text);
    if (!m || (i > 0 && /\w/.test(text[i - 1]))) {
      out += text[i];
      i++;
      continue;
    }
    const name = m[0];
    const after = i + name.length;
    const def = hidden.has(name) ? undefined : lookup(name);
    if (!def) {
      out += name;
      i = after;
      continue;
    }
    const nextHidden = new Set(hidden).add(name);
    if (def.params === null) {
      out += expandMacros(def.body, lookup, nextHidden, depth + 1);
      i = after;
      continue;
    }
    let j = after;
    while (j < text.length && /\s/.test(text[j])) j++;
    const call = text[j] === '(' ? readArgs(text, j) : undefined;
    if (!call) {
      out += name;
      i = after;
      continue;
    }
    const expandedArgs = call.args.map((a) => expandMacros(a, lookup, hidden, depth + 1));
    out += expandMacros(substitute(def, expandedArgs), lookup, nextHidden, depth + 1);
    i = call.end;
  }
  return out;
}
