// A short, seeded fuzz run (the long one is `npm run fuzz`), and a replay of every input that once crashed or hung.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../server/src/parse/treeSitter';
import { analyze, fuzz, loadCorpus } from './fuzzer';

const repo = path.join(__dirname, '../..');
const regressions = path.join(repo, 'test/fixtures/fuzz-regressions');

beforeAll(async () => {
  await initParser();
});

describe('fuzz', () => {
  it('survives 150 seeded mutations of the fixtures without an exception', () => {
    const corpus = loadCorpus([path.join(repo, 'test/fixtures/patterns'), path.join(repo, 'test/fixtures/versions'), path.join(repo, 'examples')]);
    const crashes: string[] = [];
    const report = fuzz(corpus, { seed: 20261122, runs: 150, seconds: 120, slowMs: Infinity, onFinding: (_k, _i, d) => crashes.push(d) });
    expect(crashes).toEqual([]);
    expect(report.runs).toBe(150);
  }, 180_000);

  const cases = readdirSync(regressions).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4));
  it.each(cases)('replays %s without an exception', (id) => {
    const detail = readFileSync(path.join(regressions, `${id}.txt`), 'utf8');
    const version = /\((\d+\.\d+)\)/.exec(detail)?.[1] ?? '6.12';
    const files = new Map(
      readdirSync(regressions)
        .filter((f) => f.startsWith(`${id}--`))
        .map((f) => [`/fuzz/${f.slice(id.length + 2)}`, readFileSync(path.join(regressions, f))] as [string, Buffer]),
    );
    expect(files.size).toBeGreaterThan(0);
    expect(() => analyze(files, version)).not.toThrow();
  });
});
