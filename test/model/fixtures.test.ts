// Runs `protos --json` (in process) over every fixture tree and compares it with the hand-written expected.json:
// only the fields an expectation gives are compared (README in test/fixtures/patterns).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../server/src/config';
import { protosJson, vmlinuxHBlock } from '../../server/src/output/protos';
import { initParser } from '../../server/src/parse/treeSitter';
import { indexPaths } from '../../server/src/workspace/indexPaths';

const roots = ['patterns', 'versions'].map((d) => path.join(__dirname, '../fixtures', d));

/** Reduces `actual` to the shape of `expected` (fields given, arrays index by index). */
function pick(actual: unknown, expected: unknown, key = ''): unknown {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return actual;
    if (key === 'progTypes') return [...actual].sort();
    return actual.map((a, i) => (i < expected.length ? pick(a, expected[i]) : a));
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object') return actual;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(expected as object)) out[k] = pick((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], k);
    return out;
  }
  return actual;
}

function normalizeExpected(expected: unknown, key = ''): unknown {
  if (Array.isArray(expected)) return key === 'progTypes' ? [...expected].sort() : expected.map((e) => normalizeExpected(e));
  if (expected && typeof expected === 'object') {
    return Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, normalizeExpected(v, k)]));
  }
  return expected;
}

const FIELD_NOTES = new Set(['notes', 'note', 'pattern', 'models']);
function stripNotes(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stripNotes);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).filter(([k]) => !FIELD_NOTES.has(k)).map(([k, v]) => [k, stripNotes(v)]));
  return x;
}

beforeAll(async () => {
  await initParser();
});

for (const root of roots) {
  describe(path.basename(root), () => {
    for (const dir of readdirSync(root).filter((d) => existsSync(path.join(root, d, 'expected.json'))).sort()) {
      it(dir, async () => {
        const folder = path.join(root, dir);
        const expected = stripNotes(JSON.parse(readFileSync(path.join(folder, 'expected.json'), 'utf8'))) as {
          kernelVersion?: string;
          exhaustive?: boolean;
          kfuncs: Array<{ name: string }>;
          vmlinuxH?: string;
        };
        const { index } = await indexPaths([folder], defaultSettings());
        const json = protosJson(index.model, folder);
        if (expected.kernelVersion) expect(json.kernelVersion).toBe(expected.kernelVersion);
        if (expected.exhaustive) {
          expect(json.kfuncs.map((k) => k.name).sort()).toEqual(expected.kfuncs.map((k) => k.name).sort());
        }
        for (const want of expected.kfuncs) {
          const got = json.kfuncs.find((k) => k.name === want.name);
          expect(got, `kfunc ${want.name}`).toBeDefined();
          expect(pick(got, want), `kfunc ${want.name}`).toEqual(normalizeExpected(want));
        }
        if (expected.vmlinuxH) expect(vmlinuxHBlock(index.model)).toBe(expected.vmlinuxH);
      });
    }
  });
}
