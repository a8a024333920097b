/**
 * C declarators → names and canonical type strings (contracts §2.1): single spaces, qualifiers before the base
 * type, array and function parameters decayed to pointers, parameter names dropped inside function types.
 */
import type { Node } from 'web-tree-sitter';
import type { TypeInfo } from './types';

type Derivation =
  | { kind: 'ptr'; quals: string[] }
  | { kind: 'array'; size: string }
  | { kind: 'fn'; params: string; variadic: boolean };

export interface Declared {
  name: string | null;
  nameNode: Node | null;
  /** From the name outwards: `int *a[3]` is [array, ptr]. */
  derivations: Derivation[];
}

export interface BaseType {
  text: string;
  kind: TypeInfo['baseKind'];
  qualifiers: string[];
}

const QUALIFIER_ORDER = ['const', 'volatile', 'restrict', '_Atomic'];

function collapse(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** The base type of a declaration-like node (parameter_declaration, function_definition, declaration). */
export function baseTypeOf(node: Node): BaseType {
  const typeNode = node.childForFieldName('type');
  const qualifiers: string[] = [];
  for (const child of node.children) {
    if (child && child.type === 'type_qualifier') {
      const q = child.text.trim();
      if (QUALIFIER_ORDER.includes(q) && !qualifiers.includes(q)) qualifiers.push(q);
    }
  }
  qualifiers.sort((a, b) => QUALIFIER_ORDER.indexOf(a) - QUALIFIER_ORDER.indexOf(b));
  if (!typeNode) return { text: 'int', kind: 'unknown', qualifiers };
  let kind: TypeInfo['baseKind'] = 'unknown';
  let text = collapse(typeNode.text);
  switch (typeNode.type) {
    case 'struct_specifier':
    case 'union_specifier':
    case 'enum_specifier': {
      kind = typeNode.type === 'struct_specifier' ? 'struct' : typeNode.type === 'union_specifier' ? 'union' : 'enum';
      const name = typeNode.childForFieldName('name');
      const keyword = kind;
      text = name ? `${keyword} ${name.text}` : `${keyword} {...}`;
      break;
    }
    case 'primitive_type':
    case 'sized_type_specifier':
      kind = 'primitive';
      break;
    case 'type_identifier':
      kind = 'typedef';
      break;
    default:
      kind = 'unknown';
  }
  return { text, kind, qualifiers };
}

/** Walks a declarator to its name, collecting derivations (outermost first, then reversed). */
export function readDeclarator(decl: Node | null): Declared {
  const outerFirst: Derivation[] = [];
  let name: string | null = null;
  let nameNode: Node | null = null;
  let node: Node | null = decl;
  while (node) {
    switch (node.type) {
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
        name = node.text;
        nameNode = node;
        node = null;
        break;
      case 'pointer_declarator':
      case 'abstract_pointer_declarator': {
        const quals = node.children
          .filter((c): c is Node => c !== null && c.type === 'type_qualifier')
          .map((c) => c.text.trim());
        outerFirst.push({ kind: 'ptr', quals });
        node = node.childForFieldName('declarator');
        break;
      }
      case 'array_declarator':
      case 'abstract_array_declarator': {
        const size = node.childForFieldName('size');
        outerFirst.push({ kind: 'array', size: size ? collapse(size.text) : '' });
        node = node.childForFieldName('declarator');
        break;
      }
      case 'function_declarator':
      case 'abstract_function_declarator': {
        const params = node.childForFieldName('parameters');
        const rendered = params ? renderParamList(params) : { text: 'void', variadic: false };
        outerFirst.push({ kind: 'fn', params: rendered.text, variadic: rendered.variadic });
        node = node.childForFieldName('declarator');
        break;
      }
      case 'parenthesized_declarator':
      case 'abstract_parenthesized_declarator':
        node = node.namedChildren.find((c) => c !== null && c.type !== 'ms_call_modifier') ?? null;
        break;
      case 'attributed_declarator':
        node = node.namedChildren[0] ?? null;
        break;
      default:
        node = null;
    }
  }
  return { name, nameNode, derivations: outerFirst.reverse() };
}

/**
 * `int (cb)(void *a, int *b)` as a parameter is ambiguous in C; tree-sitter reads `(cb)` as an unnamed parameter
 * list whose only parameter has type `cb`. A kernel kfunc means a function-typed parameter named `cb` (it decays to
 * a pointer: helpers.c's bpf_rbtree_add_impl `less`, bpf_wq_set_callback_impl `callback_fn`).
 */
function functionTypedParamName(paramDecl: Node | null): { name: string; node: Node; inner: Node } | undefined {
  if (!paramDecl || paramDecl.type !== 'abstract_function_declarator') return undefined;
  const inner = paramDecl.childForFieldName('declarator');
  if (!inner || inner.type !== 'abstract_function_declarator' || inner.childForFieldName('declarator')) return undefined;
  const list = inner.childForFieldName('parameters');
  const only = list?.namedChildren.filter((c) => c !== null && c.type !== 'comment') ?? [];
  if (only.length !== 1 || !only[0] || only[0].type !== 'parameter_declaration') return undefined;
  const t = only[0].childForFieldName('type');
  if (!t || t.type !== 'type_identifier' || only[0].childForFieldName('declarator')) return undefined;
  return { name: t.text, node: t, inner };
}

/** Renders derivations (name outwards) around a base type, with an optional name in the middle. */
export function renderType(base: BaseType, derivations: Derivation[], name = ''): string {
  let acc = name;
  let prevWasPtr = false;
  for (const d of derivations) {
    if (d.kind === 'ptr') {
      const quals = d.quals.length ? `${d.quals.join(' ')}${acc ? ' ' : ''}` : '';
      acc = `*${quals}${acc}`;
      prevWasPtr = true;
    } else {
      if (prevWasPtr) acc = `(${acc})`;
      acc = d.kind === 'array' ? `${acc}[${d.size}]` : `${acc}(${d.params})`;
      prevWasPtr = false;
    }
  }
  const head = [...base.qualifiers, base.text].join(' ');
  return acc ? `${head} ${acc}` : head;
}

/** Applies parameter decay: an array becomes a pointer, a function becomes a pointer to it. */
function decay(derivations: Derivation[]): Derivation[] {
  const first = derivations[0];
  if (!first) return derivations;
  if (first.kind === 'array') return [{ kind: 'ptr', quals: [] }, ...derivations.slice(1)];
  if (first.kind === 'fn') return [{ kind: 'ptr', quals: [] }, ...derivations];
  return derivations;
}

/** Where a declaration puts the name in `TypeInfo.named`. */
export const NAME_SLOT = '\u0000';

export function toTypeInfo(base: BaseType, derivations: Derivation[]): TypeInfo {
  return {
    text: renderType(base, derivations),
    named: renderType(base, derivations, NAME_SLOT),
    base: base.text,
    baseKind: base.kind,
    qualifiers: base.qualifiers,
    derivations: derivations.map((d) => d.kind),
  };
}

export interface ParamRead {
  name: string | null;
  nameNode: Node | null;
  type: TypeInfo;
  /** Derivations after decay, for rendering with the name (vmlinux.h lines). */
  derivations: Derivation[];
  base: BaseType;
}

/** One parameter_declaration → name and decayed type. */
export function readParam(param: Node): ParamRead {
  const base = baseTypeOf(param);
  const declNode = param.childForFieldName('declarator');
  const fnTyped = functionTypedParamName(declNode);
  if (fnTyped) {
    const params = declNode!.childForFieldName('parameters');
    const rendered = params ? renderParamList(params) : { text: 'void', variadic: false };
    const derivations = decay([{ kind: 'fn', params: rendered.text, variadic: rendered.variadic }]);
    return { name: fnTyped.name, nameNode: fnTyped.node, type: toTypeInfo(base, derivations), derivations, base };
  }
  const declared = readDeclarator(declNode);
  const derivations = decay(declared.derivations);
  return { name: declared.name, nameNode: declared.nameNode, type: toTypeInfo(base, derivations), derivations, base };
}

/**
 * At most this many parameters are read from one list: compilers accept a few hundred and BPF passes five, while
 * a pasted line of 60 000 `x, ` took seconds to read (and read again) parameter by parameter.
 */
export const MAX_PARAMS = 512;

/** The named children of a parameter list, the first MAX_PARAMS of them (without materialising the rest). */
export function paramNodes(list: Node): Node[] {
  const out: Node[] = [];
  const cursor = list.walk();
  try {
    if (!cursor.gotoFirstChild()) return out;
    do {
      if (cursor.nodeIsNamed) out.push(cursor.currentNode);
    } while (out.length < MAX_PARAMS && cursor.gotoNextSibling());
  } finally {
    cursor.delete();
  }
  return out;
}

/** Renders a parameter list as it appears inside a function type: `void *, int *, void *` (names dropped). */
export function renderParamList(list: Node): { text: string; variadic: boolean } {
  const parts: string[] = [];
  let variadic = false;
  for (const child of paramNodes(list)) {
    if (!child) continue;
    if (child.type === 'variadic_parameter') {
      variadic = true;
      parts.push('...');
    } else if (child.type === 'parameter_declaration') {
      parts.push(readParam(child).type.text);
    }
  }
  if (parts.length === 0) return { text: 'void', variadic };
  return { text: parts.join(', '), variadic };
}

export type { Derivation };
