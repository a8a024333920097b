import type { Btf, BtfType } from './btf';
import { BtfError } from './errors';

/*
 * Canonical C spelling of BTF types, shared with the source analyzer (contracts §2.1): single spaces, `T *`
 * with stars joined (`char **`), const/volatile in front of the base type, a qualified pointer as `char *const`,
 * typedef names kept, type tags dropped, function pointers `int (*)(void *, int)`, arrays `int [4]`.
 *
 * Rendering builds a C declarator from the outside in: each pointer/array/function level wraps the declarator
 * so far, and the base type goes in front at the end. That gives correct nesting (`int (*[4])(void)`) for free.
 */

/** Qualifiers in canonical order. */
const QUALIFIER_ORDER = ['const', 'volatile', 'restrict'] as const;
type Qualifier = (typeof QUALIFIER_ORDER)[number];

const MAX_DEPTH = 64;

/** C spelling of a type with no name (as in a cast or a prototype without parameter names). */
export function renderType(btf: Btf, id: number): string {
  return declare(btf, id, '', new Set(), 0);
}

/** C declaration of `name` with type `id`: `char *name`, `int (*name)(void)`, `int name[4]`. */
export function renderDeclaration(btf: Btf, id: number, name: string): string {
  return declare(btf, id, name, new Set(), 0);
}

export interface RenderedParam { name: string; type: string }
export interface RenderedPrototype {
  name: string;
  ret: string;
  params: RenderedParam[];
  variadic: boolean;
  /** `ret name(type1 name1, type2 name2)`; `ret name(void)` without parameters. */
  text: string;
}

/** A FUNC (or a FUNC_PROTO given a name) as a prototype with parameter names kept. */
export function renderFunction(btf: Btf, funcOrProtoId: number, name?: string): RenderedPrototype {
  let t = btf.type(funcOrProtoId);
  const funcName = name ?? t.name;
  if (t.kind === 'func') t = btf.type(t.type);
  if (t.kind !== 'func_proto') throw new BtfError(`BTF: type #${funcOrProtoId} is ${t.kind}, not a function`);
  const proto = t;
  const params = proto.params.map((p) => ({ name: p.name, type: renderType(btf, p.type) }));
  const paramText = parameterList(proto.params.map((p) => renderDeclaration(btf, p.type, p.name)), proto.variadic);
  return {
    name: funcName,
    ret: renderType(btf, proto.returnType),
    params,
    variadic: proto.variadic,
    text: declare(btf, proto.returnType, `${funcName}(${paramText})`, new Set(), 0),
  };
}

/** Shorthand for renderFunction(...).text. */
export function renderPrototype(btf: Btf, funcId: number): string {
  return renderFunction(btf, funcId).text;
}

function parameterList(params: string[], variadic: boolean): string {
  if (params.length === 0) return variadic ? '...' : 'void';
  return variadic ? [...params, '...'].join(', ') : params.join(', ');
}

function qualifierPrefix(quals: ReadonlySet<Qualifier>): string {
  return QUALIFIER_ORDER.filter((q) => quals.has(q)).join(' ');
}

/** Declarators that start with `*` need parentheses before an array or parameter suffix binds to them. */
function groupIfPointer(declarator: string): string {
  return declarator.startsWith('*') ? `(${declarator})` : declarator;
}

function declare(btf: Btf, startId: number, declarator: string, inheritedQuals: ReadonlySet<Qualifier>, depth: number): string {
  if (depth > MAX_DEPTH) throw new BtfError(`BTF: type #${startId} nests too deeply (a reference cycle?)`);
  const quals = new Set(inheritedQuals);
  let t: BtfType = btf.type(startId);
  // Peel qualifiers and tags; they decide where they bind once the underlying type is known.
  for (let hops = 0; ; hops++) {
    if (hops > MAX_DEPTH) throw new BtfError(`BTF: qualifier chain at type #${startId} is too long (a cycle?)`);
    if (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict') quals.add(t.kind);
    else if (t.kind !== 'type_tag') break;
    t = btf.type(t.type);
  }
  switch (t.kind) {
    case 'ptr': {
      // Qualifiers met above a pointer qualify the pointer itself: `char *const`.
      const q = qualifierPrefix(quals);
      const inner = q ? `*${q}${declarator ? ` ${declarator}` : ''}` : `*${declarator}`;
      return declare(btf, t.type, inner, new Set(), depth + 1);
    }
    case 'array':
      // C has no qualified arrays: the qualifiers belong to the elements.
      return declare(btf, t.elemType, `${groupIfPointer(declarator)}[${t.nelems}]`, quals, depth + 1);
    case 'func_proto': {
      const params = t.params.map((p) => declare(btf, p.type, '', new Set(), depth + 1));
      return declare(btf, t.returnType, `${groupIfPointer(declarator)}(${parameterList(params, t.variadic)})`, new Set(), depth + 1);
    }
    case 'func':
      return declare(btf, t.type, declarator, new Set(), depth + 1);
    default: {
      const q = qualifierPrefix(new Set([...quals].filter((x) => x !== 'restrict')));
      const base = baseTypeName(t);
      return `${q ? `${q} ` : ''}${base}${declarator ? ` ${declarator}` : ''}`;
    }
  }
}

function baseTypeName(t: BtfType): string {
  switch (t.kind) {
    case 'void': return 'void';
    case 'int': case 'float': case 'typedef': return t.name;
    case 'struct': case 'union': return `${t.kind} ${t.name || '{...}'}`;
    case 'enum': case 'enum64': return `enum ${t.name || '{...}'}`;
    case 'fwd': return `${t.union ? 'union' : 'struct'} ${t.name}`;
    default: throw new BtfError(`BTF: type #${t.id} (${t.kind}) cannot be used as a C type`);
  }
}

/*
 * Integer spellings. C allows the same type to be written many ways (`unsigned long`, `long unsigned int`);
 * GCC's DWARF (and so BTF) uses one, kernel sources another. Both sides map to one spelling before comparing.
 */
const INTEGER_WORDS = new Set(['signed', 'unsigned', 'short', 'long', 'int', 'char', '_Bool', '__int128', '__signed__']);

/**
 * One spelling per C integer type: `unsigned long`, `long long`, `unsigned int`, `short`, `signed char`, `char`,
 * `_Bool`, `unsigned __int128`. Anything that is not purely integer keywords is returned unchanged (trimmed).
 */
export function canonicalIntName(spelling: string): string {
  const words = spelling.trim().split(/\s+/);
  if (words.length === 0 || !words.every((w) => INTEGER_WORDS.has(w))) return spelling.trim();
  const count = (w: string) => words.filter((x) => x === w).length;
  const isUnsigned = count('unsigned') > 0;
  const isSigned = count('signed') + count('__signed__') > 0;
  if (count('_Bool') > 0) return '_Bool';
  if (count('char') > 0) return isUnsigned ? 'unsigned char' : isSigned ? 'signed char' : 'char';
  if (count('__int128') > 0) return isUnsigned ? 'unsigned __int128' : '__int128';
  const longs = count('long');
  const base = count('short') > 0 ? 'short' : longs >= 2 ? 'long long' : longs === 1 ? 'long' : 'int';
  return isUnsigned ? `unsigned ${base}` : base;
}

/** Rewrites every integer spelling inside a full type string: `const long unsigned int *` → `const unsigned long *`. */
export function canonicalizeTypeString(type: string): string {
  return type.replace(/\b(?:(?:signed|unsigned|__signed__|short|long|int|char|_Bool|__int128|const|volatile)\b ?)+/g, (run) => {
    const trailingSpace = run.endsWith(' ') ? ' ' : '';
    const words = run.trim().split(' ');
    const integerWords = words.filter((w) => INTEGER_WORDS.has(w));
    if (integerWords.length === 0) return run;
    const quals = QUALIFIER_ORDER.filter((q) => words.includes(q));
    return [...quals, canonicalIntName(integerWords.join(' '))].join(' ') + trailingSpace;
  });
}

/**
 * Puts a name into a canonical type string: `char *` + p → `char *p`, `int (*)(void)` + cb → `int (*cb)(void)`,
 * `int [4]` + a → `int a[4]`, `char *const` + p → `char *const p`. The name goes where the declarator's empty
 * slot is: after any leading `(`, `*` and pointer qualifiers, before the first `)`, `[` or parameter list.
 */
export function formatDeclaration(type: string, name: string): string {
  if (!name) return type;
  const split = splitBaseAndDeclarator(type);
  if (split === null) return `${type} ${name}`;
  const [base, declarator] = split;
  let i = 0;
  for (;;) {
    if (declarator.startsWith('(*', i)) { i += 1; continue; }
    if (declarator[i] === '*') { i += 1; continue; }
    const qualifier = /^(?:const|volatile|restrict)\b ?/.exec(declarator.slice(i));
    if (qualifier) { i += qualifier[0].length; continue; }
    break;
  }
  const before = declarator.slice(0, i);
  const needsSpace = /[a-z]$/.test(before);
  return `${base} ${before}${needsSpace && !before.endsWith(' ') ? ' ' : ''}${name}${declarator.slice(i)}`;
}

/** `struct x *` → [`struct x`, `*`]; null when there is no declarator part (`u32`, `const struct x`). */
function splitBaseAndDeclarator(type: string): [string, string] | null {
  const match = /^(.*?) ([*([].*)$/.exec(type);
  return match ? [match[1], match[2]] : null;
}
