// Runs every rule fixture (test/fixtures/rules/<code>/<case>): the rule's diagnostics must be exactly the expected
// ones, and every safe fix must remove its diagnostic without adding any other.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../server/src/config';
import { applyEdits } from '../../server/src/fixes/edits';
import { initParser } from '../../server/src/parse/treeSitter';
import { ruleContext } from '../../server/src/rules/context';
import { RULES } from '../../server/src/rules/registry';
import { runRules } from '../../server/src/rules/run';
import type { Diagnostic, Fix } from '../../server/src/rules/types';
import { indexPaths, readTextFile } from '../../server/src/workspace/indexPaths';

const root = path.join(__dirname, '../fixtures/rules');
const scratch = mkdtempSync(path.join(tmpdir(), 'kfunc-lsp-rules-'));

interface Expect {
  diagnostics: Array<{ file: string; line: number; kfunc?: string; severity?: string; messageIncludes?: string }>;
  fix?: string;
}

async function check(dir: string): Promise<Diagnostic[]> {
  const settings = defaultSettings();
  const { index } = await indexPaths([dir], settings);
  return runRules(ruleContext(index, true, readTextFile), settings);
}

/** A diagnostic's identity across a re-run: code, file, kfunc and message (positions move when text is inserted). */
function key(d: Diagnostic, dir: string): string {
  return `${d.code}|${path.relative(dir, d.file)}|${d.kfunc ?? ''}|${d.message}`;
}

function applyFix(caseDir: string, fix: Fix): string {
  const copy = mkdtempSync(path.join(scratch, 'fix-'));
  cpSync(caseDir, copy, { recursive: true });
  const byFile = new Map<string, typeof fix.edits>();
  for (const e of fix.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, edits] of byFile) {
    const target = path.join(copy, path.relative(caseDir, file));
    const { text, dropped } = applyEdits(readFileSync(target, 'utf8'), edits);
    expect(dropped, `overlapping edits in ${fix.title}`).toEqual([]);
    writeFileSync(target, text);
  }
  return copy;
}

beforeAll(async () => {
  await initParser();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const codes = existsSync(root) ? readdirSync(root).filter((d) => !d.includes('.')).sort() : [];

describe('every rule has fixtures', () => {
  it.each(RULES.map((r) => r.code))('%s has 3 firing and 3 near-miss cases', (code) => {
    const cases = existsSync(path.join(root, code)) ? readdirSync(path.join(root, code)) : [];
    expect(cases.filter((c) => c.startsWith('fire-')).length).toBeGreaterThanOrEqual(3);
    expect(cases.filter((c) => c.startsWith('near-')).length).toBeGreaterThanOrEqual(3);
  });
});

for (const code of codes) {
  describe(code, () => {
    for (const name of readdirSync(path.join(root, code)).sort()) {
      const dir = path.join(root, code, name);
      if (!existsSync(path.join(dir, 'expect.json'))) continue;
      it(name, async () => {
        const want = JSON.parse(readFileSync(path.join(dir, 'expect.json'), 'utf8')) as Expect;
        const all = await check(dir);
        const mine = all.filter((d) => d.code === code);
        const got = mine.map((d) => ({ file: path.relative(dir, d.file), line: d.span.line + 1, kfunc: d.kfunc, severity: d.severity, message: d.message }));
        expect(got.map((g) => `${g.file}:${g.line}`)).toEqual(want.diagnostics.map((w) => `${w.file}:${w.line}`));
        want.diagnostics.forEach((w, i) => {
          if (w.kfunc) expect(got[i].kfunc).toBe(w.kfunc);
          if (w.severity) expect(got[i].severity).toBe(w.severity);
          if (w.messageIncludes) expect(got[i].message).toContain(w.messageIncludes);
        });
        if (want.fix) expect(mine[0]?.fixes?.map((f) => f.title)).toContain(want.fix);

        // Every safe fix removes its diagnostic and adds none.
        const before = new Set(all.map((d) => key(d, dir)));
        for (const d of mine) {
          for (const fix of d.fixes ?? []) {
            if (!fix.safe) continue;
            const copy = applyFix(dir, fix);
            const after = (await check(copy)).map((x) => key(x, copy));
            expect(after, `after "${fix.title}"`).not.toContain(key(d, dir));
            const added = after.filter((k) => !before.has(k));
            expect(added, `new diagnostics after "${fix.title}"`).toEqual([]);
          }
        }
      });
    }
  });
}
