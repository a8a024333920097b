// `check --format sarif` validates against the SARIF 2.1.0 JSON schema (the rtm.5 schema Microsoft ships in
// @microsoft/jest-sarif, validated with Ajv's draft-04 build).
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import { beforeAll, describe, expect, it } from 'vitest';
import schema from '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';
import { runCli } from '../../server/src/cli/main';
import { initParser } from '../../server/src/parse/treeSitter';

function capture() {
  let out = '';
  const err: string[] = [];
  return { io: { out: (t: string) => (out += t), err: (l: string) => void err.push(l) }, get out() { return out; }, err };
}

beforeAll(async () => {
  await initParser();
});

describe('check --format sarif', () => {
  // The schema's language pattern has a stray ']' that is only legal without the regexp 'u' flag.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  // The two formats the schema uses, checked rather than ignored.
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///'));
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
  const validate = ajv.compile(schema);

  it('is a valid SARIF 2.1.0 log with results, related locations and fixes', async () => {
    const c = capture();
    const code = await runCli(['check', '--format', 'sarif', path.join(__dirname, '../../examples')], c.io);
    expect(code).toBe(1); // the examples contain deliberate errors
    const log = JSON.parse(c.out);
    const ok = validate(log);
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 3))).toEqual([]);
    expect(ok).toBe(true);
    const results = log.runs[0].results;
    expect(results.length).toBeGreaterThan(0);
    expect(results.some((r: { fixes: unknown[] }) => r.fixes.length > 0)).toBe(true);
    expect(results.every((r: { ruleId: string; ruleIndex: number }) => log.runs[0].tool.driver.rules[r.ruleIndex].id === r.ruleId)).toBe(true);
  });

  it('rejects a log the schema forbids (the validator is really checking)', () => {
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
  });
});
