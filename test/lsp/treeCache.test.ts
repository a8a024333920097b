/** Incremental reparse (common prefix/suffix edit + old tree) gives the same tree and facts as a full parse. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFacts } from '../../server/src/facts/extract';
import { initParser, parseC } from '../../server/src/parse/treeSitter';
import { diffEdit, TreeCache } from '../../server/src/lsp/treeCache';
import { rng } from '../helpers/rng';

const FILE = path.resolve(__dirname, '../fixtures/versions/v7.0-implicit-args/kernel/bpf/helpers.c');

beforeAll(async () => {
  await initParser();
});

const SNIPPETS = ['\n', '#if CONFIG_X\n', '#endif\n', '{', '}', '/*', '*/', ' KF_RCU', 'BTF_ID_FLAGS(func, bpf_wq_start)\n', '(', ');', 'é', '__bpf_kfunc ', '\\\n', '"'];

describe('TreeCache', () => {
  it('diffEdit finds the changed range with rows and columns', () => {
    const e = diffEdit('ab\ncd\nef', 'ab\ncXYd\nef')!;
    expect(e).toMatchObject({ startIndex: 4, oldEndIndex: 4, newEndIndex: 6, startPosition: { row: 1, column: 1 }, newEndPosition: { row: 1, column: 3 } });
    expect(diffEdit('same', 'same')).toBeNull();
  });

  it('reparses incrementally to the same tree as a full parse (insertions all over a file)', () => {
    for (const ins of ['x', 'é', '{', '#if CONFIG_X\n', ' KF_RCU']) {
      const cache = new TreeCache(4, 5000);
      let text = readFileSync(FILE, 'utf8');
      cache.parse('doc', text);
      for (let at = 100; at < text.length; at += 211) {
        text = text.slice(0, at) + ins + text.slice(at);
        const fresh = parseC(text)!;
        expect(cache.parse('doc', text)!.rootNode.toString()).toBe(fresh.rootNode.toString());
        fresh.delete();
      }
      cache.clear();
    }
  });

  it('gives the same facts as a full parse for nearly every random single edit', () => {
    // Inside syntax errors tree-sitter's incremental recovery may shape ERROR regions differently from a fresh
    // parse (which is why the server reparses an edited document in full once it has been idle for a while).
    const random = rng(12345);
    const base = readFileSync(FILE, 'utf8');
    let same = 0;
    const runs = 120;
    for (let i = 0; i < runs; i++) {
      const cache = new TreeCache(2, 5000);
      extractFacts('/x/helpers.c', base, { allFunctions: true, parse: cache.parser('doc') });
      const at = Math.floor(random() * base.length);
      const del = random() < 0.4 ? Math.floor(random() * 40) : 0;
      const ins = random() < 0.8 ? SNIPPETS[Math.floor(random() * SNIPPETS.length)] : '';
      const text = base.slice(0, at) + ins + base.slice(at + del);
      const incremental = extractFacts('/x/helpers.c', text, { allFunctions: true, parse: cache.parser('doc') });
      if (JSON.stringify(incremental) === JSON.stringify(extractFacts('/x/helpers.c', text, { allFunctions: true }))) same++;
      expect(cache.stats).toMatchObject({ full: 1, incremental: 1 });
      cache.clear();
    }
    expect(same / runs).toBeGreaterThan(0.95);
  });

  it('keeps at most `capacity` trees and frees the evicted ones', () => {
    const cache = new TreeCache(2, 5000);
    cache.parse('a', 'int a;');
    const b = cache.parse('b', 'int b;')!;
    cache.parse('c', 'int c;');
    expect(cache.size).toBe(2);
    expect(cache.peek('a')).toBeUndefined();
    // 'b' was used before 'c': touching it makes 'c' the oldest (and replaces b's tree by a new one).
    expect(cache.parse('b', 'int bb;')).not.toBe(b);
    cache.parse('d', 'int d;');
    expect(cache.peek('c')).toBeUndefined();
    expect(cache.peek('b')).toBeDefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
