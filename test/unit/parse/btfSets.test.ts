// The BTF set macro reader: what include/linux/btf_ids.h makes of each spelling. BTF_ID_FLAGS(prefix, name, ...)
// uses only the first variadic argument as the flag word; a missing one is 0; continuations and a trailing ';'
// are harmless; BTF_ID_LIST has no END; an X-macro's entries are what the preprocessor would produce.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../../server/src/config';
import { extractFacts } from '../../../server/src/facts/extract';
import type { SetEntry } from '../../../server/src/facts/types';
import { expandInvocation, parseFlagWord } from '../../../server/src/parse/btfSets';
import { buildMacroTable, expandMacros } from '../../../server/src/parse/macros';
import { scanSource } from '../../../server/src/parse/scanner';
import { initParser } from '../../../server/src/parse/treeSitter';
import { indexPaths } from '../../../server/src/workspace/indexPaths';

beforeAll(async () => {
  await initParser();
});

const entry = (e: SetEntry) => ({ prefix: e.prefix, name: e.name, flagArgs: e.flagArgs, flags: e.flags, guard: e.guard });

function setsOf(text: string) {
  return extractFacts('kernel/bpf/t.c', text).sets;
}

describe('parseFlagWord', () => {
  it('splits on |, drops parentheses, and 0 means no flag', () => {
    expect(parseFlagWord('KF_ACQUIRE | KF_RET_NULL')).toEqual(['KF_ACQUIRE', 'KF_RET_NULL']);
    expect(parseFlagWord('(KF_ACQUIRE|KF_RET_NULL)')).toEqual(['KF_ACQUIRE', 'KF_RET_NULL']);
    expect(parseFlagWord('KF_RCU')).toEqual(['KF_RCU']);
    expect(parseFlagWord('0')).toEqual([]);
    expect(parseFlagWord('')).toEqual([]);
    expect(parseFlagWord(undefined)).toEqual([]);
  });
});

describe('BTF_ID_FLAGS spellings', () => {
  const text = [
    'BTF_KFUNCS_START(generic_btf_ids)',
    'BTF_ID_FLAGS(func, bpf_plain)',
    'BTF_ID_FLAGS(func, bpf_two, KF_ACQUIRE | KF_RET_NULL)',
    'BTF_ID_FLAGS(func, bpf_paren, (KF_ACQUIRE|KF_RCU))',
    'BTF_ID_FLAGS(func, bpf_multi,',
    '\t     KF_RELEASE |',
    '\t     KF_SLEEPABLE)',
    'BTF_ID_FLAGS(func, bpf_cont, KF_SLEEPABLE | \\',
    '\t\t\t     KF_TRUSTED_ARGS)',
    'BTF_ID_FLAGS(func, bpf_semi, KF_RCU);',
    'BTF_ID_FLAGS(func, bpf_separate, KF_ACQUIRE, KF_RET_NULL)',
    'BTF_ID_FLAGS(func, bpf_commented /* why */, KF_RCU /* trusted too */)',
    'BTF_ID_FLAGS(func, bpf_zero, 0)',
    'BTF_KFUNCS_END(generic_btf_ids)',
    '',
  ].join('\n');
  let sets: ReturnType<typeof setsOf>;
  let byName: Map<string, SetEntry>;
  beforeAll(() => {
    sets = setsOf(text);
    byName = new Map(sets[0].entries.map((e) => [e.name, e]));
  });

  it('one set, every entry in order, START and END found', () => {
    expect(sets).toHaveLength(1);
    expect([sets[0].name, sets[0].macro, sets[0].endName]).toEqual(['generic_btf_ids', 'BTF_KFUNCS_START', 'generic_btf_ids']);
    expect(sets[0].endSpan?.line).toBe(13);
    expect(sets[0].entries.map((e) => e.name)).toEqual([
      'bpf_plain', 'bpf_two', 'bpf_paren', 'bpf_multi', 'bpf_cont', 'bpf_semi', 'bpf_separate', 'bpf_commented', 'bpf_zero',
    ]);
  });

  it('no flag argument: no flags', () => {
    expect(entry(byName.get('bpf_plain')!)).toEqual({ prefix: 'func', name: 'bpf_plain', flagArgs: [], flags: [], guard: null });
  });

  it('KF_A | KF_B and (KF_A|KF_B)', () => {
    expect(byName.get('bpf_two')!.flags).toEqual(['KF_ACQUIRE', 'KF_RET_NULL']);
    expect(byName.get('bpf_paren')!.flags).toEqual(['KF_ACQUIRE', 'KF_RCU']);
    expect(byName.get('bpf_paren')!.flagArgs).toEqual(['(KF_ACQUIRE|KF_RCU)']);
  });

  it('an entry over several lines, and one continued with a backslash', () => {
    expect(byName.get('bpf_multi')!.flags).toEqual(['KF_RELEASE', 'KF_SLEEPABLE']);
    expect(byName.get('bpf_multi')!.flagArgs).toEqual(['KF_RELEASE | KF_SLEEPABLE']);
    expect(byName.get('bpf_cont')!.flags).toEqual(['KF_SLEEPABLE', 'KF_TRUSTED_ARGS']);
    expect(byName.get('bpf_cont')!.flagArgs).toEqual(['KF_SLEEPABLE | KF_TRUSTED_ARGS']);
    const multi = byName.get('bpf_multi')!;
    expect([multi.span.line, multi.span.endLine]).toEqual([4, 6]);
  });

  it('a trailing ; is harmless', () => {
    expect(entry(byName.get('bpf_semi')!).flags).toEqual(['KF_RCU']);
  });

  it('separate flag arguments: all kept as flagArgs, only the first is the flag word', () => {
    const e = byName.get('bpf_separate')!;
    expect(e.flagArgs).toEqual(['KF_ACQUIRE', 'KF_RET_NULL']);
    expect(e.flags).toEqual(['KF_ACQUIRE']);
    expect(e.flagArgSpans.map((s) => text.slice(s.start, s.end))).toEqual(['KF_ACQUIRE', 'KF_RET_NULL']);
    expect(e.closeParen && text[e.closeParen.start]).toBe(')');
  });

  it('comments inside the call are not part of the name or the flags, nor of their spans', () => {
    const e = byName.get('bpf_commented')!;
    expect(e.flags).toEqual(['KF_RCU']);
    expect(e.flagArgs).toEqual(['KF_RCU']);
    expect(text.slice(e.nameSpan.start, e.nameSpan.end)).toBe('bpf_commented');
    expect(e.flagArgSpans.map((s) => text.slice(s.start, s.end))).toEqual(['KF_RCU']);
  });

  it('an explicit 0 is no flag', () => {
    expect(byName.get('bpf_zero')!.flags).toEqual([]);
    expect(byName.get('bpf_zero')!.flagArgs).toEqual(['0']);
  });

  it('the name span points at the name', () => {
    const e = byName.get('bpf_two')!;
    expect(text.slice(e.nameSpan.start, e.nameSpan.end)).toBe('bpf_two');
    expect([e.nameSpan.line, e.nameSpan.character]).toEqual([2, 19]);
  });
});

describe('set and list macros', () => {
  it('BTF_SET8_START is read like BTF_KFUNCS_START, with its own macro name', () => {
    const sets = setsOf('BTF_SET8_START(old_ids)\nBTF_ID_FLAGS(func, f, KF_KPTR_GET)\nBTF_SET8_END(old_ids)\n');
    expect(sets.map((s) => [s.macro, s.name, s.entries.map((e) => e.name)])).toEqual([['BTF_SET8_START', 'old_ids', ['f']]]);
  });

  it('BTF_ID_LIST with BTF_ID and BTF_ID_UNUSED keeps every index', () => {
    const sets = setsOf('BTF_ID_LIST(dtor_ids)\nBTF_ID(struct, task_struct)\nBTF_ID_UNUSED\nBTF_ID(func, bpf_task_release_dtor)\n\nint x;\n');
    expect(sets).toHaveLength(1);
    expect(sets[0].macro).toBe('BTF_ID_LIST');
    expect(sets[0].entries.map((e) => [e.prefix, e.name])).toEqual([
      ['struct', 'task_struct'],
      ['unused', ''],
      ['func', 'bpf_task_release_dtor'],
    ]);
  });

  it('BTF_ID_LIST_SINGLE is a one-entry list', () => {
    const sets = setsOf('BTF_ID_LIST_SINGLE(btf_task_ids, struct, task_struct)\n');
    expect(sets.map((s) => [s.macro, s.name, s.entries.map((e) => [e.prefix, e.name])])).toEqual([
      ['BTF_ID_LIST', 'btf_task_ids', [['struct', 'task_struct']]],
    ]);
  });

  it('an unterminated set: no END span, span up to its last entry, entries kept', () => {
    const text = 'BTF_KFUNCS_START(open_ids)\nBTF_ID_FLAGS(func, a)\nBTF_ID_FLAGS(func, b, KF_RCU)\n\nint later;\n';
    const [set] = setsOf(text);
    expect(set.endSpan).toBeNull();
    expect(set.endName).toBeNull();
    expect(set.entries.map((e) => e.name)).toEqual(['a', 'b']);
    expect(set.span.endLine).toBe(2);
  });

  it('a START right after an unterminated set starts a new set', () => {
    const sets = setsOf('BTF_KFUNCS_START(one)\nBTF_ID_FLAGS(func, a)\nBTF_KFUNCS_START(two)\nBTF_ID_FLAGS(func, b)\nBTF_KFUNCS_END(two)\n');
    expect(sets.map((s) => [s.name, s.endName, s.entries.map((e) => e.name)])).toEqual([
      ['one', null, ['a']],
      ['two', 'two', ['b']],
    ]);
  });

  it('END with another name closes the set and records the name it was given', () => {
    const [set] = setsOf('BTF_KFUNCS_START(fast_ids)\nBTF_ID_FLAGS(func, a)\nBTF_KFUNCS_END(fsat_ids)\nBTF_ID_FLAGS(func, stray)\n');
    expect([set.name, set.endName]).toEqual(['fast_ids', 'fsat_ids']);
    expect(set.endSpan).not.toBeNull();
    // An entry after END belongs to no set.
    expect(set.entries.map((e) => e.name)).toEqual(['a']);
  });

  it('entries and sets carry their own preprocessor guards', () => {
    const text = [
      '#ifdef CONFIG_KEYS',
      'BTF_KFUNCS_START(key_sig_kfunc_set)',
      'BTF_ID_FLAGS(func, bpf_lookup_user_key, KF_ACQUIRE | KF_RET_NULL | KF_SLEEPABLE)',
      '#ifdef CONFIG_SYSTEM_DATA_VERIFICATION',
      'BTF_ID_FLAGS(func, bpf_verify_pkcs7_signature, KF_SLEEPABLE)',
      '#endif',
      '#if defined(CONFIG_A) || defined(CONFIG_B)',
      'BTF_ID_FLAGS(func, bpf_either)',
      '#else',
      'BTF_ID_FLAGS(func, bpf_neither)',
      '#endif',
      'BTF_KFUNCS_END(key_sig_kfunc_set)',
      '#endif',
      '',
    ].join('\n');
    const [set] = setsOf(text);
    expect(set.guard).toBe('CONFIG_KEYS');
    expect(set.entries.map((e) => [e.name, e.guard])).toEqual([
      ['bpf_lookup_user_key', 'CONFIG_KEYS'],
      ['bpf_verify_pkcs7_signature', 'CONFIG_KEYS && CONFIG_SYSTEM_DATA_VERIFICATION'],
      ['bpf_either', 'CONFIG_KEYS && (defined(CONFIG_A) || defined(CONFIG_B))'],
      ['bpf_neither', 'CONFIG_KEYS && !(defined(CONFIG_A) || defined(CONFIG_B))'],
    ]);
  });

  it('a set after a function whose head differs per #ifdef branch (a { in each branch) is still at file scope', () => {
    const text = [
      '#ifdef CONFIG_A',
      '__bpf_kfunc int bpf_f(void) {',
      '#else',
      '__bpf_kfunc int bpf_f(int x) {',
      '#endif',
      '\treturn 0;',
      '}',
      '',
      'BTF_KFUNCS_START(s)',
      'BTF_ID_FLAGS(func, bpf_f)',
      'BTF_KFUNCS_END(s)',
      '',
    ].join('\n');
    expect(setsOf(text).map((s) => [s.name, s.entries.map((e) => e.name)])).toEqual([['s', ['bpf_f']]]);
  });

  it('a BTF_ID_FLAGS whose list never closes is not an entry, and the set still reads the rest', () => {
    const [set] = setsOf('BTF_KFUNCS_START(s)\nBTF_ID_FLAGS(func, broken\nBTF_ID_FLAGS(func, fine)\nBTF_KFUNCS_END(s)\n');
    expect(set.entries.map((e) => e.name)).toContain('fine');
    expect(set.endName).toBe('s');
  });
});

describe('X-macros', () => {
  it('expandMacros: function-like and object-like, # stringizing, ## pasting, no self-recursion', () => {
    const text = '#define LIST X(a) X(b)\n#define X(n) BTF_ID_FLAGS(func, pre_##n, KF_RCU)\n#define SELF SELF + 1\n#define STR(x) #x\n';
    const scan = scanSource(text);
    const table = buildMacroTable(scan.directives, text);
    const lookup = (n: string) => table.at(n, text.length);
    expect(expandMacros('LIST', lookup).replace(/\s+/g, ' ').trim()).toBe('BTF_ID_FLAGS(func, pre_a, KF_RCU) BTF_ID_FLAGS(func, pre_b, KF_RCU)');
    expect(expandMacros('SELF', lookup)).toBe('SELF + 1');
    expect(expandMacros('STR(abc)', lookup)).toBe('"abc"');
  });

  it('expandInvocation keeps BTF_* and KF_* names even when a header defines them', () => {
    const text = '#define KF_RCU (1 << 7)\n#define BTF_ID_FLAGS(prefix, name, ...) asm("")\n#define LIST BTF_ID_FLAGS(func, f, KF_RCU)\n';
    const table = buildMacroTable(scanSource(text).directives, text);
    expect(expandInvocation('LIST', (n) => table.at(n, text.length))).toEqual([{ macro: 'BTF_ID_FLAGS', args: ['func', 'f', 'KF_RCU'] }]);
  });

  it('a list macro and its per-entry macro in the same file: entries as the preprocessor makes them, per list', () => {
    // Modelled on net/core/xdp.c: the entry macro is redefined before each expansion of the list.
    const text = [
      '#define WIDGET_KFUNC_xxx \\',
      '\tWIDGET_KFUNC(WIDGET_KFUNC_RX_TIME, bpf_widget_rx_time) \\',
      '\tWIDGET_KFUNC(WIDGET_KFUNC_RX_HASH, bpf_widget_rx_hash)',
      '',
      '#ifdef CONFIG_WIDGET',
      'BTF_KFUNCS_START(widget_kfunc_ids)',
      '#define WIDGET_KFUNC(_, name) BTF_ID_FLAGS(func, name, KF_TRUSTED_ARGS)',
      'WIDGET_KFUNC_xxx',
      '#undef WIDGET_KFUNC',
      'BTF_KFUNCS_END(widget_kfunc_ids)',
      '#endif',
      '',
      'BTF_ID_LIST(widget_kfunc_ids_unsorted)',
      '#define WIDGET_KFUNC(name, str) BTF_ID(func, str)',
      'WIDGET_KFUNC_xxx',
      '#undef WIDGET_KFUNC',
      '',
      'static const struct btf_kfunc_id_set widget_kfunc_set = {',
      '\t.owner = THIS_MODULE,',
      '\t.set = &widget_kfunc_ids,',
      '};',
      '',
    ].join('\n');
    const facts = extractFacts('net/core/widget.c', text);
    expect(facts.parseErrors).toBe(0);
    expect(facts.pendingMacros).toEqual([]);
    const [set, list] = facts.sets;
    expect(set.entries.map(entry)).toEqual([
      { prefix: 'func', name: 'bpf_widget_rx_time', flagArgs: ['KF_TRUSTED_ARGS'], flags: ['KF_TRUSTED_ARGS'], guard: 'CONFIG_WIDGET' },
      { prefix: 'func', name: 'bpf_widget_rx_hash', flagArgs: ['KF_TRUSTED_ARGS'], flags: ['KF_TRUSTED_ARGS'], guard: 'CONFIG_WIDGET' },
    ]);
    expect(set.entries.every((e) => e.viaMacro === 'WIDGET_KFUNC_xxx')).toBe(true);
    // Entries produced by a macro point at the invocation line.
    expect(set.entries[0].span.line).toBe(7);
    expect(list.macro).toBe('BTF_ID_LIST');
    expect(list.entries.map((e) => [e.prefix, e.name, e.flags])).toEqual([
      ['func', 'bpf_widget_rx_time', []],
      ['func', 'bpf_widget_rx_hash', []],
    ]);
    expect(facts.idSets.map((s) => s.set)).toEqual(['widget_kfunc_ids']);
  });

  it('a definition written after the invocation does not apply to it', () => {
    const text = 'BTF_KFUNCS_START(s)\nLATE_LIST\nBTF_KFUNCS_END(s)\n#define LATE_LIST BTF_ID_FLAGS(func, late)\n';
    const facts = extractFacts('t.c', text);
    expect(facts.sets[0].entries).toEqual([]);
    expect(facts.pendingMacros.map((p) => [p.setName, p.name, p.localDefs])).toEqual([['s', 'LATE_LIST', []]]);
  });

  describe('a list macro defined in a header the file includes (resolved by the workspace index)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'kfunc-xmacro-'));
      const write = (rel: string, text: string) => {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), text);
      };
      write('Makefile', 'VERSION = 6\nPATCHLEVEL = 12\n');
      write(
        'include/net/widget.h',
        [
          '#ifndef _NET_WIDGET_H',
          '#define _NET_WIDGET_H',
          '#include <net/widget_list.h>',
          '#endif',
          '',
        ].join('\n'),
      );
      write(
        'include/net/widget_list.h',
        [
          '#define WIDGET_KFUNC_xxx \\',
          '\tWIDGET_KFUNC(WIDGET_KFUNC_RX_TIME, \\',
          '\t\t     bpf_widget_rx_time) \\',
          '\tWIDGET_KFUNC(WIDGET_KFUNC_RX_HASH, bpf_widget_rx_hash)',
          '',
        ].join('\n'),
      );
      write(
        'net/core/widget.c',
        [
          '#include <net/widget.h>',
          '',
          '__bpf_kfunc int bpf_widget_rx_time(const struct xdp_md *ctx, u64 *timestamp)',
          '{',
          '\treturn -EOPNOTSUPP;',
          '}',
          '',
          '__bpf_kfunc int bpf_widget_rx_hash(const struct xdp_md *ctx, u32 *hash)',
          '{',
          '\treturn -EOPNOTSUPP;',
          '}',
          '',
          'BTF_KFUNCS_START(widget_kfunc_ids)',
          '#define WIDGET_KFUNC(_, name) BTF_ID_FLAGS(func, name, KF_TRUSTED_ARGS)',
          'WIDGET_KFUNC_xxx',
          '#undef WIDGET_KFUNC',
          'BTF_KFUNCS_END(widget_kfunc_ids)',
          '',
          'static const struct btf_kfunc_id_set widget_kfunc_set = {',
          '\t.owner = THIS_MODULE,',
          '\t.set = &widget_kfunc_ids,',
          '};',
          '',
          'static int __init widget_init(void)',
          '{',
          '\treturn register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &widget_kfunc_set);',
          '}',
          '',
        ].join('\n'),
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('the file alone leaves the invocation pending with the local entry macro', async () => {
      const { index } = await indexPaths([dir], defaultSettings());
      const facts = index.facts(path.join(dir, 'net/core/widget.c'))!;
      expect(facts.sets[0].entries).toEqual([]);
      expect(facts.pendingMacros.map((p) => [p.setName, p.text, p.localDefs.map((d) => d.name)])).toEqual([
        ['widget_kfunc_ids', 'WIDGET_KFUNC_xxx', ['WIDGET_KFUNC']],
      ]);
    });

    it('the index expands it through the header (two levels of #include) into registered kfuncs', async () => {
      const { index } = await indexPaths([dir], defaultSettings());
      const set = index.model.sets.find((s) => s.fact.name === 'widget_kfunc_ids')!;
      expect(set.entries.map((e) => [e.name, e.flags, e.viaMacro])).toEqual([
        ['bpf_widget_rx_time', ['KF_TRUSTED_ARGS'], 'WIDGET_KFUNC_xxx'],
        ['bpf_widget_rx_hash', ['KF_TRUSTED_ARGS'], 'WIDGET_KFUNC_xxx'],
      ]);
      const k = index.model.kfuncs.get('bpf_widget_rx_hash')!;
      expect(k.registrations.map((r) => [r.set.fact.name, r.flags, r.flagsValue, r.set.progTypes])).toEqual([
        ['widget_kfunc_ids', ['KF_TRUSTED_ARGS'], 16, ['BPF_PROG_TYPE_XDP']],
      ]);
    });
  });
});
