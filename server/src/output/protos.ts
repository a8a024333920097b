/** `protos` output: the JSON of contracts §2.1 (schema 1) and the vmlinux.h block bpftool prints (§2.2). */
import path from 'node:path';
import { formatVersion } from '../kernel/version';
import type { Kfunc, KfuncModel } from '../model/types';

/** Paths in output are relative to the first PATH when they lie under it (contracts §2). */
export function relativizer(base: string): (file: string) => string {
  const root = path.resolve(base);
  return (file: string) => {
    const rel = path.relative(root, file);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
  };
}

function kfuncJson(k: Kfunc, rel: (f: string) => string) {
  const def = k.definition;
  return {
    name: k.name,
    file: def ? rel(def.file) : null,
    line: def ? def.fact.nameSpan.line + 1 : null,
    storage: k.storage,
    bpfKfuncTag: k.bpfKfuncTag,
    guard: def ? def.fact.guard : (k.registrations[0]?.entry.guard ?? null),
    ret: def ? def.fact.ret.text : null,
    params: def
      ? def.fact.params.map((p, i) => ({ name: p.name, type: p.type.text, implicit: k.implicit[i] ?? false }))
      : null,
    registrations: k.registrations.map((r) => ({
      set: r.set.fact.name,
      file: rel(r.set.file),
      line: r.entry.span.line + 1,
      flags: r.flags,
      flagsValue: r.flagsValue,
      guard: r.entry.guard,
      progTypes: r.set.progTypes,
    })),
    bpf: k.bpf.map((b) => ({
      name: b.name,
      ret: b.ret.text,
      params: b.params.map((p) => ({ name: p.name, type: p.type.text })),
      vmlinuxH: b.vmlinuxH,
      decl: b.decl,
    })),
  };
}

export function protosJson(model: KfuncModel, base: string) {
  const rel = relativizer(base);
  return {
    schema: 1,
    kernelVersion: formatVersion(model.context.version),
    kfuncs: [...model.kfuncs.values()].map((k) => kfuncJson(k, rel)),
  };
}

/**
 * The lines bpftool appends to vmlinux.h: every FUNC with a bpf_kfunc decl tag, sorted by name. `include` narrows
 * it to some kfuncs (the editor's per-file view).
 */
export function vmlinuxHBlock(model: KfuncModel, include?: (k: Kfunc) => boolean): string {
  const lines = new Map<string, string>();
  for (const k of model.kfuncs.values()) {
    if (include && !include(k)) continue;
    for (const b of k.bpf) if (b.vmlinuxH && !lines.has(b.name)) lines.set(b.name, b.decl);
  }
  const sorted = [...lines.keys()].sort().map((n) => lines.get(n)!);
  return ['/* BPF kfuncs */', '#ifndef BPF_NO_KFUNC_PROTOTYPES', ...sorted, '#endif', ''].join('\n');
}
