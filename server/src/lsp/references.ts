/**
 * textDocument/references: for a kfunc, its BTF_ID_FLAGS entries (also those produced by X-macros), declarations,
 * definitions (with includeDeclaration) and every use in code of the files the unit indexed and of the open
 * documents (BPF programs included). Other names (flags, sets, functions): their uses in the same files. Reads files
 * one at a time, yielding to the event loop, and stops when the request is cancelled.
 */
import type { CancellationToken, Location, ReferenceParams } from 'vscode-languageserver';
import type { Span } from '../facts/types';
import { isCode, scanSource } from '../parse/scanner';
import { uriFor } from './diagnostics';
import { contextAt, targetAt } from './lookup';
import { wordOffsets } from '../text/words';
import { computeLineStarts, positionAt, spanToRange } from './positions';
import type { Analysis } from './workspace';

export class Cancelled extends Error {
  constructor() {
    super('request cancelled');
  }
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Lets messages that arrived with the request be dispatched first, so a `$/cancelRequest` sent right after it is
 * seen before the work starts (vscode-jsonrpc dispatches one queued message per event-loop turn).
 */
export async function settle(): Promise<void> {
  await yieldToLoop();
  await yieldToLoop();
}

export async function references(analysis: Analysis, params: ReferenceParams, token: CancellationToken): Promise<Location[] | null> {
  await settle();
  if (token.isCancellationRequested) throw new Cancelled();
  const ctx = contextAt(analysis, params.textDocument.uri, params.position);
  if (!ctx) return null;
  const t = targetAt(ctx);
  if (!t) return null;
  const name = t.word.text;
  const includeDecl = params.context?.includeDeclaration ?? true;
  const out = new Map<string, Location>();
  const declKeys = new Set<string>();
  const key = (file: string, start: number) => `${file}\0${start}`;
  const add = (file: string, span: Span) => {
    const k = key(file, span.start);
    if (!out.has(k)) out.set(k, { uri: uriFor(analysis, file), range: spanToRange(span) });
  };

  if (t.kind === 'kfunc' && !t.alias) {
    const k = t.kfunc;
    for (const l of [...k.definitions, ...k.declarations]) {
      declKeys.add(key(l.file, l.fact.nameSpan.start));
      if (includeDecl) add(l.file, l.fact.nameSpan);
    }
    for (const e of [...k.registrations, ...k.otherEntries]) add(e.set.file, e.entry.nameSpan);
    for (const d of k.dtors) add(d.file, d.entry.nameSpan);
  } else if (t.kind === 'function') {
    for (const l of t.locations) {
      declKeys.add(key(l.file, l.fact.nameSpan.start));
      if (includeDecl) add(l.file, l.fact.nameSpan);
    }
  } else if (t.kind === 'set' && includeDecl) {
    add(t.set.file, t.set.fact.startSpan);
  }

  // Uses in code: the unit's files and every open document.
  const files = new Set<string>();
  for (const f of ctx.unit.index.allFacts()) files.add(f.path);
  for (const d of analysis.docs.values()) if (!d.skipped) files.add(d.path);
  let sliceStart = performance.now();
  for (const file of files) {
    if (token.isCancellationRequested) throw new Cancelled();
    const text = analysis.readText(file);
    if (text === undefined || text.indexOf(name) === -1) continue;
    const hits = wordOffsets(text, name);
    if (hits.length === 0) continue;
    const scan = scanSource(text);
    let starts: number[] | undefined;
    for (const at of hits) {
      if (!isCode(scan, at)) continue;
      const k = key(file, at);
      if (out.has(k) || (!includeDecl && declKeys.has(k))) continue;
      starts ??= computeLineStarts(text);
      out.set(k, { uri: uriFor(analysis, file), range: { start: positionAt(starts, at), end: positionAt(starts, at + name.length) } });
    }
    if (performance.now() - sliceStart > 10) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  if (token.isCancellationRequested) throw new Cancelled();
  return [...out.values()];
}
