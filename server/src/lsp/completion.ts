/**
 * textDocument/completion inside `BTF_ID_FLAGS(func, <name>, <flags>)`: known kfunc names (tagged ones that are
 * not registered yet first) in the second argument, KF_* names from the tree's flag table in the third (after
 * `|` too). Anywhere else the answer is empty, so other C completion providers are not disturbed.
 */
import type { CompletionItem, CompletionList, CompletionParams, Range } from 'vscode-languageserver';
import { CompletionItemKind, MarkupKind } from 'vscode-languageserver';
import { formatVersion } from '../kernel/version';
import { prototypeText } from '../model/prototypes';
import { kfuncHover } from './hover';
import { findKfunc } from './lookup';
import { offsetAt, positionAt } from './positions';
import type { Analysis } from './workspace';

/** Typing these inside BTF_ID_FLAGS opens the list; elsewhere the (cheap, text-only) answer is empty. */
export const COMPLETION_TRIGGERS = ['(', ',', '|'];

interface Slot {
  /** 0: prefix (`func`), 1: the name, 2: the flag word, 3+: separate flag arguments (a mistake, still completed). */
  arg: number;
  /** Identifier prefix typed so far and where it starts. */
  prefix: string;
  prefixStart: number;
  /** Text of the current argument before the cursor. */
  argText: string;
}

/** Where the cursor is inside a BTF_ID_FLAGS( … ) invocation, if it is. */
export function btfIdFlagsSlot(text: string, offset: number): Slot | undefined {
  const from = Math.max(0, offset - 1000);
  const before = text.slice(from, offset);
  const at = before.lastIndexOf('BTF_ID_FLAGS');
  if (at === -1) return undefined;
  const rest = before.slice(at + 'BTF_ID_FLAGS'.length);
  const open = /^\s*\(/.exec(rest);
  if (!open) return undefined;
  const args = rest.slice(open[0].length);
  if (/[();{}]/.test(args) || args.split('\n').length > 3) return undefined;
  const parts = args.split(',');
  const argText = parts[parts.length - 1];
  const m = /[A-Za-z_]\w*$/.exec(argText);
  const prefix = m ? m[0] : '';
  return { arg: parts.length - 1, prefix, prefixStart: offset - prefix.length, argText };
}

export function completion(analysis: Analysis, params: CompletionParams): CompletionList | null {
  // No re-extraction here: the slot is found in the current text, and the names come from the last analysed state
  // (completion is requested on keystrokes; the debounced diagnostics run does the extraction).
  const d = analysis.doc(params.textDocument.uri);
  if (!d || d.skipped) return null;
  const text = d.doc.getText();
  const starts = analysis.lineStarts(d);
  const offset = offsetAt(text, starts, params.position);
  if (offset === undefined) return null;
  const slot = btfIdFlagsSlot(text, offset);
  if (!slot || slot.arg === 0) return null;
  const range: Range = { start: positionAt(starts, slot.prefixStart), end: positionAt(starts, offset) };
  const model = d.unit.index.model;
  const items: CompletionItem[] = [];
  if (slot.arg === 1) {
    const registeredHere = new Set<string>();
    for (const s of model.sets) if (s.file === d.path) for (const e of s.entries) registeredHere.add(e.name);
    for (const k of model.kfuncs.values()) {
      const def = k.definition;
      const unregistered = k.registrations.length === 0;
      const sig = k.bpf.find((b) => b.vmlinuxH) ?? k.bpf[0];
      items.push({
        label: k.name,
        kind: CompletionItemKind.Function,
        detail: sig ? prototypeText(sig.name, sig.ret, sig.params, sig.variadic) : def ? prototypeText(k.name, def.fact.ret, def.fact.params) : 'registered, no definition found',
        // Tagged kfuncs of this file that no set lists yet are the likely ones.
        sortText: `${unregistered && def?.file === d.path ? '0' : registeredHere.has(k.name) ? '2' : '1'}${k.name}`,
        textEdit: { range, newText: k.name },
        data: { uri: d.uri, kfunc: k.name },
      });
    }
  } else {
    const present = new Set(slot.argText.split(/[^A-Za-z0-9_]+/).filter((w) => w && w !== slot.prefix));
    const flags = [...d.unit.index.kernel.flags.flags.values()].sort((a, b) => a.bit - b.bit);
    for (const f of flags) {
      if (present.has(f.name)) continue;
      items.push({
        label: f.name,
        kind: CompletionItemKind.Constant,
        detail: `bit ${f.bit} · kernel ${formatVersion(d.unit.index.kernel.version)}`,
        documentation: { kind: MarkupKind.Markdown, value: f.meaning },
        sortText: String(f.bit).padStart(3, '0'),
        textEdit: { range, newText: f.name },
      });
    }
  }
  return { isIncomplete: false, items };
}

/** completionItem/resolve: the kfunc's hover as documentation (computed only for the item the user looks at). */
export function resolveCompletion(analysis: Analysis, item: CompletionItem): CompletionItem {
  const data = item.data as { uri?: unknown; kfunc?: unknown } | undefined;
  if (typeof data?.uri !== 'string' || typeof data.kfunc !== 'string') return item;
  const d = analysis.doc(data.uri);
  if (!d) return item;
  const found = findKfunc(d.unit.index.model, data.kfunc);
  if (found) item.documentation = { kind: MarkupKind.Markdown, value: kfuncHover(d.unit, found.kfunc, found.alias) };
  return item;
}
