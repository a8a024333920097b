// The language server's incremental path must give exactly what a fresh extraction gives. Random edits (seeded,
// reproducible) are applied one after another to kernel-like files; after each, the spliced scan and neutralised
// text (facts/incremental.ts) are compared with a fresh scanSource + neutralize of the whole text, and the facts of
// the incremental extraction (spliced text, cached function heads, spliced identifier occurrences, incremental
// parse) with those of an extraction that redoes everything but parses with the same incremental tree history.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFacts } from '../../../server/src/facts/extract';
import { commonPrefix, commonSuffix, TextState } from '../../../server/src/facts/incremental';
import { LineIndex } from '../../../server/src/text/lineIndex';
import { defaultSettings } from '../../../server/src/config';
import { flagsForVersion } from '../../../server/src/kernel/flags';
import { buildModel } from '../../../server/src/model/join';
import { runRules } from '../../../server/src/rules/run';
import { diffEdit, TreeCache, windowEdit } from '../../../server/src/lsp/treeCache';
import { neutralize } from '../../../server/src/parse/neutralize';
import { scanSource } from '../../../server/src/parse/scanner';
import { initParser } from '../../../server/src/parse/treeSitter';
import { rng } from '../../helpers/rng';

beforeAll(async () => {
  await initParser();
});


const REPO = path.resolve(__dirname, '../../..');

/** Kernel-like C files of the repository (fixtures, examples), largest first. */
function corpus(): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.[ch]$/.test(e.name)) out.push({ name: path.relative(REPO, p), text: readFileSync(p, 'utf8') });
    }
  };
  walk(path.join(REPO, 'test/fixtures/patterns'));
  walk(path.join(REPO, 'examples'));
  return out.sort((a, b) => b.text.length - a.text.length);
}

/** Snippets that move boundaries around: braces, comments, literals, directives, BTF lists, macros with types. */
const SNIPPETS = [
  '{', '}', ';', '\n', '(', ')', ',', '/*', '*/', '//', '"', "'", '\\\n', '#if A\n', '#ifdef B\n', '#else\n', '#endif\n',
  '#define X(a) a\n', 'int x = 1;\n', '\tfoo(bar);\n', 'struct sk_buff, ', 'container_of(p, struct s, m)', 'min_t(int, a, b)',
  'offsetof(struct a, b[0])', 'case 1 ... 3:', 'static DEFINE_PER_CPU(struct x, y);\n', '__bpf_kfunc ', 'static ',
  '__bpf_kfunc_start_defs();\n', '__bpf_kfunc_end_defs();\n', 'BTF_KFUNCS_START(s)\n', 'BTF_KFUNCS_END(s)\n',
  'BTF_ID_FLAGS(func, bpf_x, KF_RCU)\n', 'BTF_ID_LIST(l)\nBTF_ID(func, a)\n', 'XMACRO(y)\n', '__diag_pop()\n',
  'int bpf_x(struct task_struct *t)\n{\n\treturn 0;\n}\n', 'register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &s);',
];

function edit(text: string, next: () => number): string {
  const at = Math.floor(next() * (text.length + 1));
  const r = next();
  if (r < 0.35) {
    // Delete a short range.
    const len = 1 + Math.floor(next() * 12);
    return text.slice(0, at) + text.slice(Math.min(text.length, at + len));
  }
  if (r < 0.75) return text.slice(0, at) + SNIPPETS[Math.floor(next() * SNIPPETS.length)] + text.slice(at);
  if (r < 0.9) {
    // Type an identifier, or a copy of one from the text.
    const m = /[A-Za-z_]\w{2,}/.exec(text.slice(Math.floor(next() * text.length)));
    return text.slice(0, at) + (m ? m[0] : 'bpf_y') + text.slice(at);
  }
  // Undo-like: move a whole line.
  const ls = text.lastIndexOf('\n', at - 1) + 1;
  const le = text.indexOf('\n', at);
  if (le === -1) return text;
  const line = text.slice(ls, le + 1);
  const rest = text.slice(0, ls) + text.slice(le + 1);
  const to = rest.lastIndexOf('\n', Math.floor(next() * rest.length)) + 1;
  return rest.slice(0, to) + line + rest.slice(to);
}

/** Where two JSON values first differ, as a path and both values (short). */
function firstDifference(a: unknown, b: unknown, at = ''): string {
  if (JSON.stringify(a) === JSON.stringify(b)) return '';
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) {
      const names = (x: unknown[]) => x.map((v) => (v as { name?: string })?.name ?? '?').join(',').slice(0, 300);
      return `${at}: length ${a.length} vs ${b.length} [${names(a)}] vs [${names(b)}]`;
    }
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
      if (d) return d;
    }
  }
  return `${at}: ${JSON.stringify(a)?.slice(0, 200)} vs ${JSON.stringify(b)?.slice(0, 200)}`;
}

function fresh(text: string) {
  const scan = scanSource(text);
  return { scan, masked: neutralize(scan) };
}

/** Scan and neutralised text, as plain data (without `openAtEnd`, which only means something for a window). */
function plain(p: { scan: ReturnType<typeof scanSource>; masked: ReturnType<typeof neutralize> }) {
  const { openAtEnd: _, ...masked } = p.masked;
  return JSON.stringify({
    nonCode: [...p.scan.nonCode],
    docComments: [...p.scan.docComments],
    directives: p.scan.directives,
    braceOffsets: [...p.scan.braceOffsets],
    depthAfter: [...p.scan.depthAfter],
    masked,
  });
}

describe('incremental scan and neutralisation', () => {
  const files = corpus().slice(0, 6);
  it.each(files.map((f) => [f.name, f] as const))('random edits of %s give what a fresh scan gives', (_name, file) => {
    const next = rng(0x5eed ^ file.text.length);
    const state = new TextState();
    let text = file.text;
    state.prepare(text);
    for (let i = 0; i < 150; i++) {
      text = edit(text, next);
      const got = state.prepare(text);
      expect(plain(got), `after edit ${i}`).toBe(plain(fresh(text)));
    }
    // Random snippets leave braces and comments unbalanced for a while (the whole text is scanned then); the rest
    // take the incremental path.
    expect(state.stats.incremental).toBeGreaterThan(20);
  });

  it('typing inside function bodies takes the incremental path every time', () => {
    const text0 = corpus()[0].text;
    const state = new TextState();
    state.prepare(text0);
    let text = text0;
    const next = rng(7);
    const bodies = [...text0.matchAll(/\n\{\n/g)].map((m) => m.index + 3);
    for (let i = 0; i < 40; i++) {
      const at = bodies[Math.floor(next() * bodies.length)];
      const typed = ['\tx = 1;\n', '\tfoo(bar, baz);\n', '\t/* note */\n', '\tif (a)\n\t\treturn b;\n'][i % 4];
      text = i % 2 === 0 ? text.slice(0, at) + typed + text.slice(at) : text0;
      expect(plain(state.prepare(text))).toBe(plain(fresh(text)));
    }
    expect(state.stats.full).toBe(1);
  });

  it('an edit that opens a comment over the rest of the file, and one that closes it', () => {
    const text = corpus()[0].text;
    const state = new TextState();
    state.prepare(text);
    const mid = text.indexOf('\n', text.length >> 1) + 1;
    const opened = text.slice(0, mid) + '/*' + text.slice(mid);
    expect(plain(state.prepare(opened))).toBe(plain(fresh(opened)));
    expect(plain(state.prepare(text))).toBe(plain(fresh(text)));
  });
});

describe('the tree edit from a known window', () => {
  it('is the edit a full comparison finds', () => {
    const next = rng(99);
    let a = corpus()[0].text;
    for (let i = 0; i < 200; i++) {
      const b = edit(a, next);
      const p = commonPrefix(a, b);
      const suffix = commonSuffix(a, b, p);
      // A window around the change, widened to line starts and ends as the splice's are.
      const start = Math.max(0, a.lastIndexOf('\n', p - 1 - Math.floor(next() * 50)) + 1);
      const oldEnd = Math.min(a.length, a.length - suffix + Math.floor(next() * 50));
      const newEnd = oldEnd + (b.length - a.length);
      const lines = new LineIndex(b);
      const hint = { previous: a, start, oldEnd, newEnd, positionAt: (o: number) => lines.positionAt(o) };
      expect(windowEdit(a, b, hint), `edit ${i}`).toEqual(diffEdit(a, b));
      a = b;
    }
  });
});

describe('incremental extraction', () => {
  const kernel = path.join(process.env.KFUNC_LSP_CACHE ?? path.join(os.homedir(), '.cache/kfunc-lsp'), '6.12/src');
  const files = [
    ...corpus().slice(0, 3),
    ...['kernel/bpf/helpers.c', 'net/core/filter.c']
      .map((f) => path.join(kernel, f))
      .filter((f) => existsSync(f))
      .map((f) => ({ name: path.relative(kernel, f), text: readFileSync(f, 'utf8') })),
  ];
  it.each(files.map((f) => [f.name, f] as const))('random edits of %s: the same facts as a full extraction', (_name, file) => {
    const next = rng(0xfac7 ^ file.text.length);
    const incTrees = new TreeCache(2, 20_000);
    const fullTrees = new TreeCache(2, 20_000);
    const cache = incTrees.functionCache('d');
    let text = file.text;
    const rounds = file.text.length > 100_000 ? 25 : 60;
    for (let i = 0; i <= rounds; i++) {
      if (i > 0) text = edit(text, next);
      const inc = extractFacts(file.name, text, { allFunctions: true, parse: incTrees.parser('d'), functionCache: cache });
      const full = extractFacts(file.name, text, { allFunctions: true, parse: fullTrees.parser('d') });
      if (JSON.stringify(inc) !== JSON.stringify(full)) expect(firstDifference(inc, full), `after edit ${i}`).toBe('');
    }
    expect(cache.text.stats.incremental).toBeGreaterThan(0);
    expect(cache.itemWalks.partial).toBeGreaterThan(0);
    incTrees.clear();
    fullTrees.clear();
  }, 120_000);
});

describe('the model built with the previous one', () => {
  it('equals a model built from scratch, edit after edit', () => {
    const files = corpus().filter((f) => f.name.endsWith('.c')).slice(0, 12);
    const facts = new Map(files.map((f) => [f.name, extractFacts(f.name, f.text, { allFunctions: true })]));
    const version = { major: 6, minor: 12 };
    const ctx = { version, flags: { flags: flagsForVersion(version), source: 'built-in' as const }, settings: defaultSettings() };
    const resolve = () => [];
    const next = rng(4242);
    let previous = buildModel(facts.values(), ctx, resolve);
    let kept = 0;
    let diagnostics = 0;
    const memoText = (f: string) => texts.get(f);
    const texts = new Map(files.map((f) => [f.name, f.text]));
    for (let i = 0; i < 60; i++) {
      const name = files[Math.floor(next() * files.length)].name;
      const text = edit(texts.get(name)!, next);
      texts.set(name, text);
      facts.set(name, extractFacts(name, text, { allFunctions: true }));
      const reused = buildModel(facts.values(), ctx, resolve, previous);
      const fresh = buildModel(facts.values(), ctx, resolve);
      expect(JSON.stringify([...reused.kfuncs]), `after edit ${i}`).toBe(JSON.stringify([...fresh.kfuncs]));
      expect(JSON.stringify(reused.sets)).toBe(JSON.stringify(fresh.sets));
      expect(JSON.stringify([...(reused.dtors ?? [])])).toBe(JSON.stringify([...(fresh.dtors ?? [])]));
      const rules = (model: typeof reused, text: (f: string) => string | undefined) =>
        runRules({ model, version, flags: ctx.flags, complete: true, declaredInIncludes: () => false, text }, ctx.settings);
      const found = rules(reused, memoText);
      diagnostics += found.length;
      expect(JSON.stringify(found), `rules after edit ${i}`).toBe(JSON.stringify(rules(fresh, (f) => texts.get(f))));
      for (const k of reused.kfuncs.values()) if (previous.kfuncs.get(k.name) === k) kept++;
      previous = reused;
    }
    // Kfuncs of the files not edited are the same objects.
    expect(kept).toBeGreaterThan(100);
    expect(diagnostics).toBeGreaterThan(60);
  });
});
