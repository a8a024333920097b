// The fuzzer: mutates real-looking kernel C and runs the whole analyzer on each input — facts, index, model,
// every rule, every fix and both protos outputs — in process. Used by `npm run fuzz` and by a short run in
// `npm test`. A crash is any exception; a slow input is one over the time limit.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { defaultSettings, type Settings } from '../../server/src/config';
import { applyEdits } from '../../server/src/fixes/edits';
import type { KernelInfo } from '../../server/src/index/workspaceIndex';
import { flagsForVersion } from '../../server/src/kernel/flags';
import { protosJson, vmlinuxHBlock } from '../../server/src/output/protos';
import { ruleContext } from '../../server/src/rules/context';
import { runRules } from '../../server/src/rules/run';
import { indexTree } from '../../server/src/workspace/indexPaths';
import { rng } from '../helpers/rng';



export interface CorpusFile {
  name: string;
  bytes: Buffer;
}

/** Every .c/.h under the given directories (the fixtures, examples/, and kernel files when available). */
export function loadCorpus(dirs: string[], limitBytes = 512 * 1024): CorpusFile[] {
  const out: CorpusFile[] = [];
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries.sort()) {
      const p = path.join(dir, e);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.[ch]$/.test(e) && st.size <= limitBytes) out.push({ name: p, bytes: readFileSync(p) });
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

const SNIPPETS = [
  '#if defined(CONFIG_X) && \\\n', '#ifdef CONFIG_A\n', '#else\n', '#endif\n', '#elif B\n', '#define X(a) BTF_ID_FLAGS(func, a)\n',
  '{', '}', '(', ')', '/*', '*/', '"', "'", '\\\n', ';', ',', '__bpf_kfunc ', 'static ', 'inline ',
  'BTF_ID_FLAGS(func, ', 'BTF_KFUNCS_START(s)\n', 'BTF_KFUNCS_END(s)\n', 'BTF_SET8_START(t)\n', 'BTF_ID_LIST(l)\n',
  'KF_ACQUIRE | ', 'KF_IMPLICIT_ARGS', 'struct bpf_prog_aux *aux', 'void *p__map, ', ', ...', 'int (cb)(void *a)',
  'register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &s);', '.set = &s,', '__bpf_kfunc_start_defs();\n', '\u00e9\u20ac\ud83d\ude00',
];

type Mutator = (b: Buffer, r: () => number) => Buffer;
const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)];
const lines = (b: Buffer) => b.toString('latin1').split('\n');
const fromLines = (ls: string[]) => Buffer.from(ls.join('\n'), 'latin1');

export const MUTATORS: Record<string, Mutator> = {
  deleteLines(b, r) {
    const ls = lines(b);
    const at = Math.floor(r() * ls.length);
    ls.splice(at, 1 + Math.floor(r() * 4));
    return fromLines(ls);
  },
  duplicateLine(b, r) {
    const ls = lines(b);
    const at = Math.floor(r() * ls.length);
    ls.splice(at, 0, ls[at] ?? '');
    return fromLines(ls);
  },
  swapLines(b, r) {
    const ls = lines(b);
    const i = Math.floor(r() * ls.length);
    const j = Math.floor(r() * ls.length);
    [ls[i], ls[j]] = [ls[j], ls[i]];
    return fromLines(ls);
  },
  deleteToken(b, r) {
    const s = b.toString('latin1');
    const tokens = [...s.matchAll(/\w+|[^\s\w]/g)];
    if (!tokens.length) return b;
    const t = pick(tokens, r);
    return Buffer.from(s.slice(0, t.index) + s.slice(t.index! + t[0].length), 'latin1');
  },
  duplicateToken(b, r) {
    const s = b.toString('latin1');
    const tokens = [...s.matchAll(/\w+|[^\s\w]/g)];
    if (!tokens.length) return b;
    const t = pick(tokens, r);
    return Buffer.from(s.slice(0, t.index) + t[0] + ' ' + s.slice(t.index!), 'latin1');
  },
  cut(b, r) {
    return b.subarray(0, Math.floor(r() * b.length));
  },
  insertSnippet(b, r) {
    const at = Math.floor(r() * b.length);
    return Buffer.concat([b.subarray(0, at), Buffer.from(pick(SNIPPETS, r), 'utf8'), b.subarray(at)]);
  },
  randomBytes(b, r) {
    const at = Math.floor(r() * b.length);
    const junk = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 16) }, () => Math.floor(r() * 256)));
    return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
  },
  invalidUtf8(b, r) {
    const at = Math.floor(r() * b.length);
    return Buffer.concat([b.subarray(0, at), Buffer.from([0xc3, 0x28, 0xff]), b.subarray(at)]);
  },
  longLine(b, r) {
    const at = Math.floor(r() * b.length);
    const unit = pick(['a', 'KF_A | ', 'x, ', '*', '(', '{', '"'], r);
    return Buffer.concat([b.subarray(0, at), Buffer.from(unit.repeat(20_000 + Math.floor(r() * 40_000))), b.subarray(at)]);
  },
  deepNesting(b, r) {
    const at = Math.floor(r() * b.length);
    const depth = 2_000 + Math.floor(r() * 8_000);
    const [open, close] = pick([['(', ')'], ['{', '}'], ['#if 1\n', '#endif\n'], ['[', ']']], r);
    const balanced = r() < 0.5;
    return Buffer.concat([b.subarray(0, at), Buffer.from(open.repeat(depth) + (balanced ? close.repeat(depth) : '')), b.subarray(at)]);
  },
};

const VERSIONS = ['6.1', '6.6', '6.12', '7.0', '7.1'];

export interface RunResult {
  ms: number;
  error?: Error;
}

/** Runs everything on a tree of files held in memory. */
export function analyze(files: Map<string, Buffer>, version: string): void {
  const settings: Settings = { ...defaultSettings(), kernelVersion: version };
  const [major, minor] = version.split('.').map(Number);
  const kernel: KernelInfo = { root: '/fuzz', version: { major, minor }, versionSource: 'setting', flags: { flags: flagsForVersion({ major, minor }), source: 'built-in' } };
  const text = (f: string) => files.get(f)?.toString('utf8');
  const { index } = indexTree({ files: [...files.keys()], read: (f) => files.get(f), readText: text, notes: [] }, kernel, settings);
  const diagnostics = runRules(ruleContext(index, true, text), settings);
  for (const d of diagnostics) {
    for (const fix of d.fixes ?? []) {
      for (const file of new Set(fix.edits.map((e) => e.file))) {
        const t = text(file);
        if (t !== undefined) applyEdits(t, fix.edits.filter((e) => e.file === file));
      }
    }
  }
  JSON.stringify(protosJson(index.model, '/fuzz'));
  vmlinuxHBlock(index.model);
}

export interface FuzzOptions {
  seed: number;
  runs: number;
  seconds: number;
  /** Inputs slower than this count as hangs (ms). */
  slowMs: number;
  /** `sources`: the corpus files the input was made from. */
  onFinding?: (kind: 'crash' | 'slow', input: Map<string, Buffer>, detail: string, sources: string[]) => void;
}

export interface FuzzReport {
  runs: number;
  crashes: number;
  slow: number;
  slowest: { ms: number; mutations: string[]; file: string };
  seconds: number;
}

export function fuzz(corpus: CorpusFile[], opts: FuzzOptions): FuzzReport {
  const r = rng(opts.seed);
  const start = performance.now();
  const report: FuzzReport = { runs: 0, crashes: 0, slow: 0, slowest: { ms: 0, mutations: [], file: '' }, seconds: 0 };
  const names = Object.keys(MUTATORS);
  while (report.runs < opts.runs && performance.now() - start < opts.seconds * 1000) {
    const base = pick(corpus, r);
    let bytes = base.bytes;
    const applied: string[] = [];
    for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
      const m = pick(names, r);
      applied.push(m);
      bytes = MUTATORS[m](bytes, r);
    }
    // The mutated file plus, sometimes, an untouched sibling so cross-file joins run too.
    const files = new Map<string, Buffer>([[`/fuzz/${path.basename(base.name)}`, bytes]]);
    const sources = [base.name];
    if (r() < 0.3) {
      const other = pick(corpus, r);
      files.set(`/fuzz/other/${path.basename(other.name)}`, other.bytes);
      sources.push(other.name);
    }
    const version = pick(VERSIONS, r);
    const t0 = performance.now();
    try {
      analyze(files, version);
    } catch (e) {
      report.crashes++;
      opts.onFinding?.('crash', files, `${applied.join('+')} on ${base.name} (${version}): ${(e as Error).stack ?? e}`, sources);
    }
    const ms = performance.now() - t0;
    if (ms > opts.slowMs) {
      report.slow++;
      opts.onFinding?.('slow', files, `${applied.join('+')} on ${base.name} (${version}): ${ms.toFixed(0)} ms`, sources);
    }
    if (ms > report.slowest.ms) report.slowest = { ms, mutations: applied, file: base.name };
    report.runs++;
  }
  report.seconds = (performance.now() - start) / 1000;
  return report;
}
