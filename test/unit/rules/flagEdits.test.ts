// KF_IMPLICIT_ARGS fixes edit as little of a BTF_ID_FLAGS entry as possible: the rest of the flag word, other
// (ignored) flag arguments, comments and line breaks stay as written.
import { beforeAll, describe, expect, it } from 'vitest';
import { extractFacts } from '../../../server/src/facts/extract';
import type { SetEntry } from '../../../server/src/facts/types';
import { applyEdits } from '../../../server/src/fixes/edits';
import { addFlagEdits, removeFlagEdits } from '../../../server/src/fixes/entryFixes';
import { initParser } from '../../../server/src/parse/treeSitter';

beforeAll(async () => {
  await initParser();
});

/** The entry line of a one-entry set, before and after the edits `make` returns for it. */
function edit(entryLines: string, make: typeof addFlagEdits): string | undefined {
  const source = `BTF_KFUNCS_START(s)\n${entryLines}\nBTF_KFUNCS_END(s)\n`;
  const facts = extractFacts('t.c', source);
  const entry: SetEntry = facts.sets[0].entries[0];
  const edits = make({ text: () => source }, 't.c', entry, 'KF_IMPLICIT_ARGS');
  if (!edits) return undefined;
  const out = applyEdits(source, edits).text;
  return out.slice('BTF_KFUNCS_START(s)\n'.length, out.length - '\nBTF_KFUNCS_END(s)\n'.length);
}

describe('add KF_IMPLICIT_ARGS', () => {
  it('adds a flag argument to an entry without one', () => {
    expect(edit('BTF_ID_FLAGS(func, f)', addFlagEdits)).toBe('BTF_ID_FLAGS(func, f, KF_IMPLICIT_ARGS)');
  });
  it('appends to a combined flag word, keeping its order and parentheses', () => {
    expect(edit('BTF_ID_FLAGS(func, f, KF_RCU | KF_SLEEPABLE)', addFlagEdits)).toBe(
      'BTF_ID_FLAGS(func, f, KF_RCU | KF_SLEEPABLE | KF_IMPLICIT_ARGS)',
    );
    expect(edit('BTF_ID_FLAGS(func, f, (KF_RCU | KF_SLEEPABLE))', addFlagEdits)).toBe(
      'BTF_ID_FLAGS(func, f, (KF_RCU | KF_SLEEPABLE) | KF_IMPLICIT_ARGS)',
    );
  });
  it('keeps a continued entry on its lines', () => {
    expect(edit('BTF_ID_FLAGS(func, f,\n\t     KF_RCU)', addFlagEdits)).toBe('BTF_ID_FLAGS(func, f,\n\t     KF_RCU | KF_IMPLICIT_ARGS)');
  });
  it('replaces a literal 0 and leaves extra flag arguments alone', () => {
    expect(edit('BTF_ID_FLAGS(func, f, 0)', addFlagEdits)).toBe('BTF_ID_FLAGS(func, f, KF_IMPLICIT_ARGS)');
    expect(edit('BTF_ID_FLAGS(func, f, KF_RCU, KF_SLEEPABLE)', addFlagEdits)).toBe(
      'BTF_ID_FLAGS(func, f, KF_RCU | KF_IMPLICIT_ARGS, KF_SLEEPABLE)',
    );
  });
});

describe('remove KF_IMPLICIT_ARGS', () => {
  it('drops the whole argument when it was the only flag, across a line break', () => {
    expect(edit('BTF_ID_FLAGS(func, f, KF_IMPLICIT_ARGS)', removeFlagEdits)).toBe('BTF_ID_FLAGS(func, f)');
    expect(edit('BTF_ID_FLAGS(func, f,\n\t     KF_IMPLICIT_ARGS)', removeFlagEdits)).toBe('BTF_ID_FLAGS(func, f)');
  });
  it('keeps the other flags of the word', () => {
    expect(edit('BTF_ID_FLAGS(func, f, KF_IMPLICIT_ARGS | KF_SLEEPABLE)', removeFlagEdits)).toBe(
      'BTF_ID_FLAGS(func, f, KF_SLEEPABLE)',
    );
  });
  it('leaves 0 before further (ignored) flag arguments', () => {
    expect(edit('BTF_ID_FLAGS(func, f, KF_IMPLICIT_ARGS, KF_RCU)', removeFlagEdits)).toBe('BTF_ID_FLAGS(func, f, 0, KF_RCU)');
  });
  it('offers nothing for a flag word it cannot take apart', () => {
    expect(edit('BTF_ID_FLAGS(func, f, MY_FLAGS(KF_IMPLICIT_ARGS))', removeFlagEdits)).toBeUndefined();
  });
});
