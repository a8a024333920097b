/** Text output of `verify` and `diff` (the JSON is the report objects themselves). */
import type { ChangeKind, DiffReport } from './diff';
import type { VerifyReport } from './verify';

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

function pad(s: string, width: number): string {
  return s.length >= width ? `${s} ` : s.padEnd(width);
}

export function formatVerifyText(r: VerifyReport, strict: boolean): string {
  const lines: string[] = [];
  const b = r.btf;
  lines.push(`kfunc-lsp verify: ${b.file}${b.base ? ` (base ${b.base})` : ''}: ${b.kind === 'elf' ? 'ELF' : 'raw BTF'}, `
    + `.BTF_ids: ${b.btfIds ? 'yes' : 'no'}, bpf_kfunc decl tags: ${b.declTags ? 'yes' : 'no'}, ${plural(b.kfuncs, 'kfunc')} listed`
    + `; source: kernel ${r.kernelVersion}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(`matched ${r.matched} source kfunc(s) with the BTF${b.matchedBy === 'name' ? ' by FUNC name' : ''}: `
    + `${plural(r.mismatches.length, 'mismatch', 'mismatches')}`);

  if (r.mismatches.length) {
    lines.push('', `mismatches (${r.mismatches.length}):`);
    for (const m of r.mismatches) {
      const where = m.file ? `  ${m.file}${m.line ? `:${m.line}` : ''}` : '';
      lines.push(`  ${pad(m.kind, 23)}${m.name}${m.set ? ` [set ${m.set}]` : ''}${where}`);
      lines.push(`      source: ${m.source}`, `      btf:    ${m.btf}`);
      for (const d of m.detail) lines.push(`      - ${d}`);
    }
  }
  if (r.unchecked.length) {
    lines.push('', `not compared (${r.unchecked.length}):`);
    for (const u of r.unchecked) lines.push(`  ${u.name}: ${u.reason}`);
  }
  if (r.onlyInSource.length) {
    lines.push('', `only in source (${r.onlyInSource.length}): registered in a kfunc set, absent from this BTF (config-disabled code, modules, test code)`);
    const groups = new Map<string, typeof r.onlyInSource>();
    for (const e of r.onlyInSource) {
      const key = e.reason && !e.reason.startsWith('under #if')
        ? e.reason
        : e.guard ? 'under a preprocessor condition (probably off in this build)' : 'not in this build (file not compiled, or built as a module)';
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    for (const [reason, entries] of groups) {
      lines.push(`  ${reason} (${entries.length}):`);
      for (const e of entries) lines.push(`    ${pad(e.name, 40)}${e.file ?? '(no definition)'}${e.guard ? `  [${e.guard}]` : ''}`);
    }
  }
  if (r.onlyInBtf.length) {
    lines.push('', `only in BTF (${r.onlyInBtf.length}): kfuncs of the built kernel that the source does not register`);
    for (const e of r.onlyInBtf) lines.push(`  ${e.name}${e.reason ? `  (${e.reason})` : ''}`);
  }
  const oneSided = r.onlyInSource.length + r.onlyInBtf.length;
  const failed = r.mismatches.length > 0 || (strict && oneSided > 0);
  lines.push('', `verify: ${failed ? 'FAIL' : 'OK'}: ${plural(r.mismatches.length, 'mismatch', 'mismatches')}, `
    + `${r.onlyInSource.length} only in source, ${r.onlyInBtf.length} only in BTF${strict ? ' (--strict: one-sided kfuncs fail)' : ''}`);
  return `${lines.join('\n')}\n`;
}

const KIND_TITLES: Record<ChangeKind, string> = {
  prototype: 'prototype changes (BPF-visible, parameter names included)',
  flags: 'flag changes',
  progTypes: 'program type changes',
  guard: 'guard changes',
  file: 'moved to another file',
};

export function formatDiffText(r: DiffReport): string {
  const lines: string[] = [];
  const side = (s: DiffReport['old']) => `${s.path} (${s.kernelVersion ? `kernel ${s.kernelVersion}, ` : ''}${plural(s.kfuncs, 'kfunc')})`;
  lines.push(`kfunc-lsp diff: ${side(r.old)} → ${side(r.new)}`);
  const s = r.summary;
  lines.push(`  ${s.added} added, ${s.removed} removed, ${s.changed} changed; ${s.breaking} breaking`
    + `${s.likelyRenames ? `; ${plural(s.likelyRenames, 'likely rename')}` : ''}`);
  lines.push('  (! = can break a BPF program built against the old tree)');

  if (r.removed.length) {
    lines.push('', `removed (${r.removed.length}):`);
    for (const k of r.removed) {
      lines.push(`  ! ${pad(k.name, 40)}${k.file ?? ''}${k.likelyRenamedTo ? `  → likely renamed to ${k.likelyRenamedTo}` : ''}`);
    }
  }
  if (r.added.length) {
    lines.push('', `added (${r.added.length}):`);
    for (const k of r.added) {
      lines.push(`    ${pad(k.name, 40)}${k.file ?? ''}${k.likelyRenameOf ? `  ← likely rename of ${k.likelyRenameOf}` : ''}`);
    }
  }
  for (const kind of Object.keys(KIND_TITLES) as ChangeKind[]) {
    const rows = r.changed.flatMap((c) => c.changes.filter((x) => x.kind === kind).map((x) => ({ c, x })));
    if (!rows.length) continue;
    lines.push('', `${KIND_TITLES[kind]} (${rows.length}):`);
    for (const { c, x } of rows) {
      const mark = x.breaking ? '!' : ' ';
      if (kind === 'prototype') {
        lines.push(`  ${mark} ${c.name}${c.file ? `  ${c.file}` : ''}`, `      old: ${x.old}`, `      new: ${x.new}`);
      } else {
        lines.push(`  ${mark} ${pad(c.name, 40)}${x.old} → ${x.new}`);
      }
      for (const d of x.detail ?? []) lines.push(`      - ${d}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
