// Preprocessor nesting → the condition each piece of code is compiled under (contracts §2.1 `guard`: as written,
// `&&`-joined when nested, null when none). Expected strings follow the C rules for which branch is taken.
import { describe, expect, it } from 'vitest';
import { buildGuardMap, negate } from '../../../server/src/parse/guards';
import { scanSource } from '../../../server/src/parse/scanner';

/** The guard at the line containing `marker` (a word written once in the text). */
function guardsOf(text: string) {
  const map = buildGuardMap(scanSource(text).directives);
  return {
    map,
    at(marker: string): string | null {
      const i = text.indexOf(marker);
      if (i === -1 || text.indexOf(marker, i + 1) !== -1) throw new Error(`marker ${marker} must occur once`);
      return map.at(i);
    },
  };
}

describe('single conditions', () => {
  it('#ifdef X → X, #ifndef X → !X, outside → null', () => {
    const g = guardsOf('before;\n#ifdef CONFIG_A\nin_a;\n#endif\n#ifndef CONFIG_B\nnot_b;\n#endif\nafter;\n');
    expect(g.at('before')).toBeNull();
    expect(g.at('in_a')).toBe('CONFIG_A');
    expect(g.at('not_b')).toBe('!CONFIG_B');
    expect(g.at('after')).toBeNull();
    expect(g.map.unterminated).toBe(0);
  });

  it('#if keeps the expression as written', () => {
    const g = guardsOf('#if defined(CONFIG_A) && defined(CONFIG_B)\nboth;\n#endif\n#if IS_ENABLED(CONFIG_C)\nc;\n#endif\n');
    expect(g.at('both')).toBe('defined(CONFIG_A) && defined(CONFIG_B)');
    expect(g.at('c;')).toBe('IS_ENABLED(CONFIG_C)');
  });

  it('comments and extra blanks in the directive are not part of the condition', () => {
    const g = guardsOf('#ifdef   CONFIG_A /* the A feature */\na;\n#endif\n#if  X  &&   Y // why\nxy;\n#endif\n');
    expect(g.at('a;')).toBe('CONFIG_A');
    expect(g.at('xy;')).toBe('X && Y');
  });

  it('a condition continued over several lines is one condition', () => {
    const g = guardsOf('#if defined(CONFIG_A) && \\\n    defined(CONFIG_B)\nab;\n#endif\n');
    expect(g.at('ab;')).toBe('defined(CONFIG_A) && defined(CONFIG_B)');
  });

  it('#if 0 is the condition "0", and its #else is "!0"', () => {
    const g = guardsOf('#if 0\ndead;\n#else\nlive;\n#endif\n');
    expect(g.at('dead')).toBe('0');
    expect(g.at('live')).toBe('!0');
  });
});

describe('nesting', () => {
  it('nested conditions are joined with && from the outside in', () => {
    const text = '#ifdef CONFIG_KEYS\nkeys;\n#ifndef CONFIG_B\nkeys_not_b;\n#ifdef CONFIG_C\nthree;\n#endif\nback_two;\n#endif\nback_one;\n#endif\nnone;\n';
    const g = guardsOf(text);
    expect(g.at('keys;')).toBe('CONFIG_KEYS');
    expect(g.at('keys_not_b')).toBe('CONFIG_KEYS && !CONFIG_B');
    expect(g.at('three')).toBe('CONFIG_KEYS && !CONFIG_B && CONFIG_C');
    expect(g.at('back_two')).toBe('CONFIG_KEYS && !CONFIG_B');
    expect(g.at('back_one')).toBe('CONFIG_KEYS');
    expect(g.at('none')).toBeNull();
  });

  it('an || condition on its own is written as is, without added parentheses', () => {
    const g = guardsOf('#if defined(A) || defined(B)\neither;\n#endif\n#if (A) || (B)\nparens;\n#ifdef C\nwith_c;\n#endif\n#endif\n');
    expect(g.at('either')).toBe('defined(A) || defined(B)');
    expect(g.at('parens')).toBe('(A) || (B)');
    // `(A) || (B)` is not one parenthesised group, so joining it needs parentheses.
    expect(g.at('with_c')).toBe('((A) || (B)) && C');
  });

  it('an #elif with || is parenthesised when joined to the negated earlier branch', () => {
    const g = guardsOf('#ifdef A\na;\n#elif B || C\nbc;\n#endif\n');
    expect(g.at('bc;')).toBe('!A && (B || C)');
  });

  it('an || condition joined with another is parenthesised', () => {
    const g = guardsOf('#if defined(A) || defined(B)\n#ifdef C\ninner;\n#endif\n#endif\n');
    expect(g.at('inner')).toBe('(defined(A) || defined(B)) && C');
  });
});

describe('#else and #elif', () => {
  it('#else of #ifdef A is !A; of #ifndef A is A', () => {
    const g = guardsOf('#ifdef A\nyes_a;\n#else\nno_a;\n#endif\n#ifndef B\nno_b;\n#else\nyes_b;\n#endif\n');
    expect(g.at('yes_a')).toBe('A');
    expect(g.at('no_a')).toBe('!A');
    expect(g.at('no_b')).toBe('!B');
    expect(g.at('yes_b')).toBe('B');
  });

  it('an #elif chain: each branch is the negation of every earlier one plus its own', () => {
    const g = guardsOf('#if A\none;\n#elif B\ntwo;\n#elif C\nthree;\n#else\nfour;\n#endif\n');
    expect(g.at('one')).toBe('A');
    expect(g.at('two')).toBe('!A && B');
    expect(g.at('three')).toBe('!A && !B && C');
    expect(g.at('four')).toBe('!A && !B && !C');
  });

  it('#else of a compound condition negates it as a whole', () => {
    const g = guardsOf('#if defined(A) && defined(B)\nboth;\n#else\nnot_both;\n#endif\n#if X || Y\neither;\n#else\nneither;\n#endif\n');
    expect(g.at('not_both')).toBe('!(defined(A) && defined(B))');
    expect(g.at('neither')).toBe('!(X || Y)');
  });

  it('#else inside a nested block keeps the outer condition', () => {
    const g = guardsOf('#ifdef OUTER\n#ifdef INNER\na;\n#else\nb;\n#endif\n#endif\n');
    expect(g.at('a;')).toBe('OUTER && INNER');
    expect(g.at('b;')).toBe('OUTER && !INNER');
  });

  it('negate: a single name, defined(X) and a call-like macro get a bare !; ! of !X is X', () => {
    expect(negate('CONFIG_A')).toBe('!CONFIG_A');
    expect(negate('!CONFIG_A')).toBe('CONFIG_A');
    expect(negate('defined(CONFIG_A)')).toBe('!defined(CONFIG_A)');
    expect(negate('IS_ENABLED(CONFIG_A)')).toBe('!IS_ENABLED(CONFIG_A)');
    expect(negate('A && B')).toBe('!(A && B)');
    expect(negate('LINUX_VERSION_CODE >= 0x60c00')).toBe('!(LINUX_VERSION_CODE >= 0x60c00)');
  });
});

describe('include guards', () => {
  it('a header include guard is not a condition; conditions inside it are', () => {
    const text =
      '/* SPDX */\n#ifndef _LINUX_FOO_H\n#define _LINUX_FOO_H\n\nint proto(void);\n#ifdef CONFIG_FOO\nstub;\n#endif\n\n#endif /* _LINUX_FOO_H */\n';
    const g = guardsOf(text);
    expect(g.at('proto')).toBeNull();
    expect(g.at('stub')).toBe('CONFIG_FOO');
    expect(g.map.unterminated).toBe(0);
  });

  it('an #ifndef X without #define X right after is a real condition', () => {
    const g = guardsOf('#ifndef CONFIG_A\nint f(void);\n#endif\n');
    expect(g.at('int f')).toBe('!CONFIG_A');
  });

  it('an #ifndef/#define pair whose #endif is followed by more conditionals is a real condition', () => {
    const text = '#ifndef CONFIG_X\n#define CONFIG_X 0\nfirst;\n#endif\n#ifdef CONFIG_Y\nsecond;\n#endif\n';
    const g = guardsOf(text);
    expect(g.at('first')).toBe('!CONFIG_X');
    expect(g.at('second')).toBe('CONFIG_Y');
  });

  it('the #if !defined(X) / #define X spelling of an include guard is recognised too', () => {
    const text = '#if !defined(_ASM_FOO_H)\n#define _ASM_FOO_H\nint proto(void);\n#ifdef CONFIG_FOO\nstub;\n#endif\n#endif\n';
    const g = guardsOf(text);
    expect(g.at('proto')).toBeNull();
    expect(g.at('stub')).toBe('CONFIG_FOO');
  });
});

describe('broken nesting', () => {
  it('an #if without #endif is counted, and its code is still guarded', () => {
    const g = guardsOf('#ifdef A\n#if B\nopen;\n');
    expect(g.map.unterminated).toBe(2);
    expect(g.at('open')).toBe('A && B');
  });

  it('stray #else, #elif and #endif without an #if are ignored', () => {
    const g = guardsOf('#endif\n#else\n#elif X\ncode;\n#ifdef A\na;\n#endif\n');
    expect(g.at('code')).toBeNull();
    expect(g.at('a;')).toBe('A');
    expect(g.map.unterminated).toBe(0);
  });
});
