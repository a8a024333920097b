/**
 * `verify`: does a built kernel's BTF say what the source says? (contracts §2.4, kfunc-spec §A.4, §E.2)
 *
 * Pure: a source model and a loaded BTF in, a report out. kfuncs are matched by name: against the BTF's kfunc list
 * (decl-tagged FUNCs and .BTF_ids kfunc-set members) when it has one, or against every BTF FUNC when the file has
 * neither decl tags nor .BTF_ids (raw BTF of an older kernel). For each match:
 * - `prototype`: the BPF-visible prototype (return type, parameter types and names, since names carry verifier
 *   suffixes) differs; for a KF_IMPLICIT_ARGS kfunc also the generated `<name>_impl` with the full prototype;
 * - `implicit-not-rewritten`: a KF_IMPLICIT_ARGS kfunc whose BTF FUNC still has the full prototype (pahole wrote no
 *   `bpf_kfunc` decl tags, so resolve_btfids had nothing to rewrite);
 * - `flags`: a .BTF_ids set entry's flag word matches no registration of the kfunc in the source.
 */
import type { LoadedBtf } from '../btf/kfuncs';
import { formatVersion } from '../kernel/version';
import type { Kfunc, KfuncModel } from '../model/types';
import {
  btfFunctionShape, describeShapeDifference, flagNames, flagText, fullSourceShape, sameShape, shapeFromBpfProto,
  shapeFromBtfKfunc, type ProtoShape,
} from './shapes';

export type MismatchKind = 'prototype' | 'flags' | 'implicit-not-rewritten';

export interface VerifyMismatch {
  name: string;
  kind: MismatchKind;
  source: string;
  btf: string;
  /** Where the kfunc is defined (relative path), when known. */
  file: string | null;
  line: number | null;
  /** The set whose flags differ (flags only; null when the BTF's sets are unnamed). */
  set?: string | null;
  /** What differs, in words. */
  detail: string[];
}

export interface OnlyInSource {
  name: string;
  file: string | null;
  guard: string | null;
  /** A likely reason, when one is visible from here. */
  reason?: string;
}

export interface OnlyInBtf {
  name: string;
  reason?: string;
}

export interface VerifyReport {
  schema: 1;
  btf: {
    file: string;
    kind: 'elf' | 'raw';
    declTags: boolean;
    btfIds: boolean;
    /** The --base-btf file for split (module) BTF. */
    base?: string;
    /** kfuncs the BTF lists (decl tags or .BTF_ids); 0 when it has neither. */
    kfuncs: number;
    /** How source kfuncs were matched: the BTF's kfunc list, or any FUNC of the same name. */
    matchedBy: 'kfunc-list' | 'name';
  };
  kernelVersion: string;
  /** Source kfuncs found in the BTF and compared. */
  matched: number;
  mismatches: VerifyMismatch[];
  onlyInSource: OnlyInSource[];
  onlyInBtf: OnlyInBtf[];
  /** Found in the BTF but not comparable (registered in source without a definition). */
  unchecked: Array<{ name: string; reason: string }>;
  /** What the reader should know about this BTF (missing decl tags, flags not checked, ...). */
  notes: string[];
}

export interface VerifyInput {
  model: KfuncModel;
  loaded: LoadedBtf;
  /** Path of the BTF file as the user gave it. */
  btfFile: string;
  baseFile?: string;
  /** Makes source paths relative (contracts §2: relative to the first PATH). */
  rel: (file: string) => string;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function isTestCode(relFile: string): boolean {
  return /(^|\/)(tools\/testing|samples)\//.test(relFile) || relFile.startsWith('tools/');
}

export function verify(input: VerifyInput): VerifyReport {
  const { model, loaded, rel } = input;
  const btf = loaded.btf;
  const table = model.context.flags;
  const nameMatching = !loaded.declTags && !loaded.btfIds;
  const btfKfuncs = new Map(loaded.kfuncs.map((k) => [k.name, k]));
  const mismatches: VerifyMismatch[] = [];
  const onlyInSource: OnlyInSource[] = [];
  const unchecked: VerifyReport['unchecked'] = [];
  const matched = new Set<string>();

  for (const k of model.kfuncs.values()) {
    const registered = k.registrations.length > 0;
    const bk = btfKfuncs.get(k.name);
    let got: ProtoShape | null = bk ? shapeFromBtfKfunc(bk) : null;
    if (!got && nameMatching && registered) got = btfFunctionShape(btf, k.name);
    if (!got) {
      if (registered) onlyInSource.push(sourceOnlyEntry(k, loaded, rel));
      continue;
    }
    matched.add(k.name);
    const where = { file: k.definition ? rel(k.definition.file) : null, line: k.definition ? k.definition.fact.nameSpan.line + 1 : null };
    if (!k.definition) {
      unchecked.push({ name: k.name, reason: 'registered in a kfunc set, but no definition was found in the source' });
    } else {
      mismatches.push(...comparePrototypes(k, got, loaded, where));
    }
    if (loaded.btfIds && bk && bk.sets.length > 0) {
      const seen = new Set<string>();
      for (const s of bk.sets) {
        const m = compareFlags(k, s.name, s.flags, table);
        if (!m) continue;
        const key = `${m.source}|${m.btf}`;
        if (seen.has(key)) continue;
        seen.add(key);
        mismatches.push({ name: k.name, kind: 'flags', source: m.source, btf: m.btf, ...where, set: s.name, detail: m.detail });
      }
    }
  }

  const onlyInBtf: OnlyInBtf[] = [];
  for (const bk of loaded.kfuncs) {
    if (matched.has(bk.name)) continue;
    const defined = model.functions.get(bk.name)?.some((f) => f.fact.kind === 'definition');
    onlyInBtf.push(defined ? { name: bk.name, reason: 'defined in the source, but in no kfunc set there' } : { name: bk.name });
  }

  return {
    schema: 1,
    btf: {
      file: input.btfFile,
      kind: loaded.kind,
      declTags: loaded.declTags,
      btfIds: loaded.btfIds,
      ...(input.baseFile ? { base: input.baseFile } : {}),
      kfuncs: loaded.kfuncs.length,
      matchedBy: nameMatching ? 'name' : 'kfunc-list',
    },
    kernelVersion: formatVersion(model.context.version),
    matched: matched.size,
    mismatches: mismatches.sort((a, b) => byName(a, b) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0)),
    onlyInSource: onlyInSource.sort(byName),
    onlyInBtf: onlyInBtf.sort(byName),
    unchecked: unchecked.sort(byName),
    notes: notesFor(model, loaded),
  };
}

function sourceOnlyEntry(k: Kfunc, loaded: LoadedBtf, rel: (f: string) => string): OnlyInSource {
  const file = k.definition ? rel(k.definition.file) : null;
  const guard = k.definition ? k.definition.fact.guard : (k.registrations.find((r) => r.entry.guard)?.entry.guard ?? null);
  const entry: OnlyInSource = { name: k.name, file, guard };
  if (!file) entry.reason = 'no definition in the source';
  else if (isTestCode(file)) entry.reason = 'test or sample code (tools/, samples/), not part of the kernel build';
  else if (loaded.btf.findFunc(k.name) !== undefined) entry.reason = 'a FUNC of this name is in the BTF, but it is not a kfunc there';
  else if (guard) entry.reason = `under #if ${guard}`;
  return entry;
}

/** The BPF-visible FUNC, and for KF_IMPLICIT_ARGS the generated `<name>_impl`, against the source model. */
function comparePrototypes(k: Kfunc, got: ProtoShape, loaded: LoadedBtf, where: { file: string | null; line: number | null }): VerifyMismatch[] {
  const out: VerifyMismatch[] = [];
  const visible = k.bpf.find((b) => b.name === k.name);
  if (!visible) return out;
  const want = shapeFromBpfProto(visible);
  if (!sameShape(want, got)) {
    const full = fullSourceShape(k);
    if (k.implicitArgsFlag && full && !sameShape(full, want) && sameShape(full, got)) {
      out.push({
        name: k.name, kind: 'implicit-not-rewritten', source: want.text, btf: got.text, ...where,
        detail: [
          'KF_IMPLICIT_ARGS: the BTF FUNC still has the full prototype, so BPF programs built from vmlinux.h fail to load ("func_proto incompatible with vmlinux")',
          loaded.declTags
            ? 'resolve_btfids did not rewrite this kfunc'
            : 'this BTF has no bpf_kfunc decl tags: the build\'s pahole is too old (decl_tag_kfuncs needs pahole 1.27), so resolve_btfids found no kfunc to rewrite',
        ],
      });
    } else {
      out.push({ name: k.name, kind: 'prototype', source: want.text, btf: got.text, ...where, detail: describeShapeDifference(want, got) });
    }
    return out;
  }
  // The rewrite leaves `<name>_impl` with the full prototype (no kernel symbol, no decl tag).
  for (const b of k.bpf) {
    if (b.name === k.name) continue;
    const expected = shapeFromBpfProto(b);
    const actual = btfFunctionShape(loaded.btf, b.name);
    if (!actual) {
      out.push({
        name: b.name, kind: 'prototype', source: expected.text, btf: '(no FUNC in BTF)', ...where,
        detail: [`KF_IMPLICIT_ARGS: the verifier checks calls to ${k.name} against ${b.name}, which this BTF lacks ("cannot find function ${b.name} in BTF")`],
      });
    } else if (!sameShape(expected, actual)) {
      out.push({ name: b.name, kind: 'prototype', source: expected.text, btf: actual.text, ...where, detail: describeShapeDifference(expected, actual) });
    }
  }
  return out;
}

/** A BTF set entry's flag word against the source registrations (same set by name when the BTF names its sets). */
function compareFlags(k: Kfunc, setName: string | null, value: number, table: KfuncModel['context']['flags']):
  { source: string; btf: string; detail: string[] } | null {
  const regs = k.registrations;
  if (regs.length === 0 || regs.some((r) => r.flagsValue === null && (setName === null || r.set.fact.name === setName))) return null;
  const sameSet = setName ? regs.filter((r) => r.set.fact.name === setName) : [];
  const candidates = sameSet.length ? sameSet : regs;
  if (candidates.some((r) => r.flagsValue === value)) return null;
  const sourceTexts = [...new Set(candidates.map((r) => flagText(r.flags)))];
  const btfNames = flagNames(value, table);
  const sourceNames = new Set(candidates.flatMap((r) => r.flags));
  const added = btfNames.filter((f) => !sourceNames.has(f));
  const missing = [...sourceNames].filter((f) => !btfNames.includes(f));
  const detail: string[] = [];
  if (missing.length) detail.push(`not in the BTF's flag word: ${missing.join(', ')}`);
  if (added.length) detail.push(`only in the BTF's flag word: ${added.join(', ')}`);
  return { source: sourceTexts.join('; '), btf: flagText(btfNames), detail };
}

function notesFor(model: KfuncModel, loaded: LoadedBtf): string[] {
  const notes: string[] = [];
  if (!loaded.declTags && !loaded.btfIds) {
    notes.push('no bpf_kfunc decl tags and no .BTF_ids: source kfuncs were matched to BTF FUNCs by name; flags not checked; kfuncs only in the BTF cannot be listed');
  } else if (!loaded.btfIds) {
    notes.push('no .BTF_ids section (raw BTF): flags not checked');
  }
  if (!loaded.declTags) {
    const implicit = [...model.kfuncs.values()].filter((k) => k.implicitArgsFlag).length;
    notes.push(implicit
      ? `no bpf_kfunc decl tags (pahole older than 1.27, or decl_tag_kfuncs off): ${implicit} KF_IMPLICIT_ARGS kfunc(s) in the source cannot have been rewritten`
      : 'no bpf_kfunc decl tags (pahole older than 1.27, or decl_tag_kfuncs off): bpftool prints no kfunc prototypes into vmlinux.h');
  }
  return notes;
}
