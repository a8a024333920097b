/**
 * textDocument/hover (contracts §6). On a kfunc's name (definition, declaration, BTF_ID_FLAGS entry, call site):
 * the vmlinux.h line(s) in a C block, implicit arguments, flags with meanings, program types, sets with file:line,
 * guard, the first kernel-doc paragraph and the kfunc's diagnostics. On a KF_* name: meaning and bit. On a suffixed
 * parameter: what the suffix tells the verifier.
 */
import path from 'node:path';
import type { Hover, HoverParams, MarkupContent } from 'vscode-languageserver';
import { MarkupKind } from 'vscode-languageserver';
import type { FlagInfo } from '../kernel/flags';
import { compareVersions, formatVersion } from '../kernel/version';
import { prototypeText } from '../model/prototypes';
import type { Kfunc, KfuncEntry, SetInfo } from '../model/types';
import type { Diagnostic } from '../rules/types';
import { type Context, contextAt, type Target, targetAt } from './lookup';
import { pathToUri, positionAt } from './positions';
import { suffixRemoved } from './suffixes';
import type { Analysis, KernelUnit } from './workspace';

/** Escapes Markdown in free text (messages, doc comments) so stray `*` or `_` do not restyle the hover. */
function md(text: string): string {
  return text.replace(/([\\`*_{}[\]<>#|])/g, '\\$1');
}

function code(text: string): string {
  const ticks = text.includes('`') ? '`` ' : '`';
  return `${ticks}${text}${ticks === '`' ? '`' : ' ``'}`;
}

export function relPath(unit: KernelUnit, file: string): string {
  const base = unit.root ?? unit.folder;
  if (!base || !path.isAbsolute(file)) return file;
  const rel = path.relative(base, file);
  return rel && !rel.startsWith('..') ? rel.split(path.sep).join('/') : file;
}

/** `[kernel/bpf/helpers.c:3091](file:///…#L3091)` */
function fileLink(unit: KernelUnit, file: string, line0: number): string {
  const label = `${relPath(unit, file)}:${line0 + 1}`;
  return path.isAbsolute(file) ? `[${md(label)}](${pathToUri(file)}#L${line0 + 1})` : md(label);
}

/** The first paragraph of a kernel-doc comment, without the `name - ` lead-in's `name`. */
export function firstParagraph(doc: string | null): string | null {
  if (!doc) return null;
  const para = doc.split(/\n\s*\n/)[0].replace(/\s*\n\s*/g, ' ').trim();
  return para || null;
}

function flagLine(unit: KernelUnit, name: string): string {
  const info: FlagInfo | undefined = unit.index.kernel.flags.flags.get(name);
  if (info) return `- ${code(name)} — ${md(info.meaning)}`;
  return /^(0x[0-9a-f]+|\d+)$/i.test(name) ? `- ${code(name)} (numeric)` : `- ${code(name)} — *not defined for this kernel*`;
}

export function kfuncDiagnostics(unit: KernelUnit, name: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const list of unit.diagnostics.values()) for (const d of list) if (d.kfunc === name) out.push(d);
  return out;
}

function progTypesText(types: string[]): string {
  return types.map((t) => code(t)).join(', ');
}

function registrationFlagsDiffer(regs: KfuncEntry[]): boolean {
  return new Set(regs.map((r) => r.flags.join('|'))).size > 1;
}

export function kfuncHover(unit: KernelUnit, k: Kfunc, alias: string | null): string {
  const parts: string[] = [];
  const def = k.definition;
  // 1. What BPF programs see.
  const lines: string[] = [];
  const visible = k.bpf.filter((b) => b.vmlinuxH);
  for (const b of visible) lines.push(b.decl);
  // A generated `foo_impl` is in BTF but not in vmlinux.h: the implicit-arguments paragraph shows it.
  for (const b of k.bpf.filter((b) => !b.vmlinuxH && !(k.implicitArgsFlag && b.name === `${k.name}_impl`))) {
    lines.push(`/* in BTF, not in vmlinux.h: */ ${prototypeText(b.name, b.ret, b.params, b.variadic)};`);
  }
  if (lines.length === 0 && def) {
    lines.push(`/* not in vmlinux.h: registered in no kfunc set */`, `${prototypeText(k.name, def.fact.ret, def.fact.params)};`);
  }
  if (lines.length) parts.push(['```c', ...lines, '```'].join('\n'));

  const where = def
    ? `${fileLink(unit, def.file, def.fact.nameSpan.line)}${k.storage === 'static' ? ' (`static`)' : ''}`
    : '*no definition found in the workspace*';
  parts.push(`**kfunc** ${code(alias ?? k.name)}${alias ? ` (generated for ${code(k.name)})` : ''} · kernel ${formatVersion(unit.index.kernel.version)} · ${where}`);

  // 2. Implicit arguments.
  if (k.implicitArgsFlag && def) {
    const params = def.fact.params;
    const cut = k.implicit.indexOf(true);
    const passed = (cut === -1 ? params : params.slice(0, cut)).map((p) => code(p.name ?? p.type.text));
    const filled = params.filter((_, i) => k.implicit[i]).map((p) => `${code(p.name ?? '(unnamed)')} (${code(p.type.text)})`);
    const dropped = cut === -1 ? [] : params.slice(cut).filter((_, i) => !k.implicit[cut + i]).map((p) => code(p.name ?? p.type.text));
    let text = `**Implicit arguments** (\`KF_IMPLICIT_ARGS\`): BPF programs pass ${passed.length ? passed.join(', ') : 'no arguments'}`;
    text += filled.length ? `; the verifier fills in ${filled.join(', ')}.` : '; no parameter is implicit, so the flag changes nothing.';
    if (dropped.length) text += ` ${dropped.join(', ')} ${dropped.length > 1 ? 'follow' : 'follows'} an implicit parameter and ${dropped.length > 1 ? 'vanish' : 'vanishes'} from the BPF API.`;
    const impl = k.bpf.find((b) => !b.vmlinuxH && b.name === `${k.name}_impl`);
    if (impl) text += ` BTF also gets the full prototype, not in vmlinux.h: ${code(`${prototypeText(impl.name, impl.ret, impl.params, impl.variadic)}`)}.`;
    else if (k.realImpl) text += ` The tree defines ${code(`${k.name}_impl`)} itself (${fileLink(unit, k.realImpl.file, k.realImpl.fact.nameSpan.line)}); the build uses it as the full prototype.`;
    parts.push(text);
  }

  // 3. Flags, program types, sets.
  const regs = k.registrations;
  if (regs.length === 0) {
    parts.push('**Not registered** in any kfunc set of the workspace.');
  } else {
    const flagLists = registrationFlagsDiffer(regs) ? regs.map((r) => ({ label: ` in ${code(r.set.fact.name)}`, flags: r.flags })) : [{ label: '', flags: regs[0].flags }];
    for (const { label, flags } of flagLists) {
      if (flags.length === 0) parts.push(`**Flags**${label}: none`);
      else if (flags.length === 1) parts.push(`**Flags**${label}: ${flagLine(unit, flags[0]).slice(2)}`);
      else parts.push([`**Flags**${label}:`, ...flags.map((f) => flagLine(unit, f))].join('\n'));
    }
    const types: string[] = [];
    for (const r of regs) for (const t of r.set.progTypes) if (!types.includes(t)) types.push(t);
    parts.push(`**Program types**: ${types.length ? progTypesText(types) : '*none: no set containing it is registered*'}`);
    const setLines = regs.map((r) => `${code(r.set.fact.name)} — ${fileLink(unit, r.set.file, r.entry.span.line)}${r.entry.guard ? ` (under ${code(r.entry.guard)})` : ''}`);
    if (setLines.length === 1) parts.push(`**Set**: ${setLines[0]}`);
    else parts.push(['**Sets**:', ...setLines.map((l) => `- ${l}`)].join('\n'));
  }
  if (k.otherEntries.length) {
    parts.push(`Also listed in ${k.otherEntries.map((e) => `${code(e.set.fact.name)} (${fileLink(unit, e.set.file, e.entry.span.line)})`).join(', ')}.`);
  }
  if (k.dtors.length) {
    parts.push(`Destructor for ${k.dtors.map((d) => code(`struct ${d.typeName ?? '?'}`)).join(', ')} (${k.dtors.map((d) => code(d.arrayName)).join(', ')}).`);
  }
  if (def?.fact.guard) parts.push(`**Guard**: ${code(def.fact.guard)}`);

  // 4. Kernel-doc.
  const doc = firstParagraph(def?.fact.doc ?? null);
  if (doc) parts.push(md(doc));

  // 5. Diagnostics of this kfunc.
  const diags = kfuncDiagnostics(unit, k.name);
  if (diags.length) {
    const lines2 = diags.slice(0, 8).map((d) => `- **${d.severity}** ${code(d.code)} (${fileLink(unit, d.file, d.span.line)}): ${md(d.message)}`);
    if (diags.length > 8) lines2.push(`- … and ${diags.length - 8} more`);
    parts.push(['**Diagnostics**:', ...lines2].join('\n'));
  }
  return parts.join('\n\n');
}

export function flagHover(unit: KernelUnit, name: string, flag: FlagInfo | undefined): string {
  const table = unit.index.kernel.flags;
  const version = formatVersion(unit.index.kernel.version);
  const inTree = table.flags.get(name);
  if (!flag) return `${code(name)}: *not a flag this tree defines or kernel ${version} knows.*`;
  const bit = inTree?.bit ?? flag.bit;
  const lines = [`**${code(name)}** — bit ${bit} (\`0x${(2 ** bit).toString(16)}\`)`, '', md(flag.meaning)];
  if (!inTree) {
    const removed = flag.removedIn && compareVersions(unit.index.kernel.version, flag.removedIn) >= 0;
    lines.push('', removed && flag.removedIn ? `*Removed in ${formatVersion(flag.removedIn)}: kernel ${version} does not define it.*` : `*Not defined for kernel ${version}* (since ${formatVersion(flag.since)}).`);
  } else {
    lines.push('', table.source === 'btf.h' ? '*From this tree’s `include/linux/btf.h`.*' : `*Built-in table for kernel ${version}.*`);
  }
  return lines.join('\n');
}

function suffixHover(unit: KernelUnit, t: Extract<Target, { kind: 'suffix' }>): string {
  const s = t.suffix;
  const lines = [`**${code(t.param.name ?? '')}** (${code(t.param.type.text)}) — verifier suffix ${code(s.suffix)}`, '', `${md(s.meaning)}.`, '', `Expected type: ${s.type}.`];
  if (suffixRemoved(s, unit.index.kernel.version) && s.removedIn) {
    lines.push('', `*Removed in ${formatVersion(s.removedIn)}: kernel ${formatVersion(unit.index.kernel.version)} ignores it.*`);
  }
  return lines.join('\n');
}

export function setHover(unit: KernelUnit, set: SetInfo): string {
  const kind = set.isKfuncSet ? 'kfunc set' : 'set';
  const lines = [
    `**${kind}** ${code(set.fact.name)} (${code(set.fact.macro)}) — ${set.entries.length} entr${set.entries.length === 1 ? 'y' : 'ies'}, ${fileLink(unit, set.file, set.fact.startSpan.line)}`,
  ];
  if (set.progTypes.length) lines.push(`**Program types**: ${progTypesText(set.progTypes)}`);
  else lines.push('*Never registered with register_btf_kfunc_id_set.*');
  return lines.join('\n\n');
}

export function hoverMarkdown(ctx: Context, t: Target): string | undefined {
  switch (t.kind) {
    case 'kfunc':
      return kfuncHover(ctx.unit, t.kfunc, t.alias);
    case 'flag':
      return flagHover(ctx.unit, t.name, t.flag);
    case 'suffix':
      return suffixHover(ctx.unit, t);
    case 'set':
      return setHover(ctx.unit, t.set);
    default:
      return undefined;
  }
}

export function hover(analysis: Analysis, params: HoverParams): Hover | null {
  const ctx = contextAt(analysis, params.textDocument.uri, params.position);
  if (!ctx) return null;
  const t = targetAt(ctx);
  if (!t) return null;
  const value = hoverMarkdown(ctx, t);
  if (!value) return null;
  const contents: MarkupContent = { kind: MarkupKind.Markdown, value };
  const lineStarts = analysis.lineStarts(ctx.d);
  return { contents, range: { start: positionAt(lineStarts, t.word.start), end: positionAt(lineStarts, t.word.end) } };
}
