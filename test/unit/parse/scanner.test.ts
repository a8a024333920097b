// The one lexical pass: comments, literals, directives, brace depth, and the argument helpers built on it.
// Every expectation comes from the C translation phases (line splicing before comments, comments before
// directives), not from what the scanner happens to print.
import { describe, expect, it } from 'vitest';
import {
  depthAt,
  directiveAt,
  inNonCode,
  isCode,
  matchParen,
  nextCodeChar,
  scanSource,
  splitArgs,
  stripComments,
} from '../../../server/src/parse/scanner';

/** [start, end) pairs of the non-code ranges, as text. */
function nonCodeTexts(text: string): string[] {
  const scan = scanSource(text);
  const out: string[] = [];
  for (let i = 0; i < scan.nonCode.length; i += 2) out.push(text.slice(scan.nonCode[i], scan.nonCode[i + 1]));
  return out;
}

describe('comments', () => {
  it('a block comment is one non-code range, from /* to */ inclusive', () => {
    const text = 'int a; /* x { y */ int b;';
    expect(nonCodeTexts(text)).toEqual(['/* x { y */']);
    const scan = scanSource(text);
    expect(inNonCode(scan, text.indexOf('{'))).toBe(true);
    expect(inNonCode(scan, text.indexOf('int b'))).toBe(false);
    // The brace inside the comment is not code.
    expect(scan.braceOffsets.length).toBe(0);
  });

  it('block comments do not nest: the first */ ends the comment', () => {
    const text = '/* a /* b */ int c; */';
    const scan = scanSource(text);
    expect(nonCodeTexts(text)[0]).toBe('/* a /* b */');
    expect(isCode(scan, text.indexOf('int c'))).toBe(true);
  });

  it('an unterminated block comment runs to the end of the file', () => {
    const text = 'int a;\n/* never closed {\nint b; {';
    const scan = scanSource(text);
    expect(nonCodeTexts(text)).toEqual(['/* never closed {\nint b; {']);
    expect(scan.braceOffsets.length).toBe(0);
  });

  it('kernel-doc comments (/** ... */) are recorded; /**/ and /* */ are not doc comments', () => {
    const text = '/**/ int a;\n/* plain */\n/**\n * f - does f\n */\nint f(void);\n';
    const scan = scanSource(text);
    expect(scan.docComments.length).toBe(2);
    expect(text.slice(scan.docComments[0], scan.docComments[1])).toBe('/**\n * f - does f\n */');
  });

  it('a // comment ends at the newline, which is not part of it', () => {
    const text = 'int a; // c {\nint b {';
    expect(nonCodeTexts(text)).toEqual(['// c {']);
    const scan = scanSource(text);
    expect(scan.braceOffsets.length).toBe(1);
    expect(scan.braceOffsets[0]).toBe(text.lastIndexOf('{'));
  });

  it('a // comment ending in a backslash continues on the next line (line splicing comes first)', () => {
    const text = 'int a; // first \\\nsecond { still comment\nint b;';
    const scan = scanSource(text);
    expect(nonCodeTexts(text)).toEqual(['// first \\\nsecond { still comment']);
    expect(scan.braceOffsets.length).toBe(0);
    expect(isCode(scan, text.indexOf('int b'))).toBe(true);
  });

  it('a // comment continued with a CRLF line splice also continues', () => {
    const text = '// one \\\r\ntwo {\r\nint x {';
    const scan = scanSource(text);
    expect(nonCodeTexts(text)).toEqual(['// one \\\r\ntwo {\r']);
    expect(scan.braceOffsets.length).toBe(1);
  });

  it('/* inside a string is not a comment, and // inside a block comment is not either', () => {
    const text = 'char *s = "/* not a comment"; int x; /* a // b */ int y;';
    const scan = scanSource(text);
    expect(nonCodeTexts(text)).toEqual(['"/* not a comment"', '/* a // b */']);
    expect(isCode(scan, text.indexOf('int x'))).toBe(true);
    expect(isCode(scan, text.indexOf('int y'))).toBe(true);
  });
});

describe('string and char literals', () => {
  it('an escaped quote does not end a string', () => {
    const text = 'f("a\\"b{", 1) {';
    expect(nonCodeTexts(text)).toEqual(['"a\\"b{"']);
    const scan = scanSource(text);
    expect(scan.braceOffsets.length).toBe(1);
    expect(scan.braceOffsets[0]).toBe(text.length - 1);
  });

  it('an escaped backslash before the closing quote does end it', () => {
    const text = 'char *p = "dir\\\\"; int x;';
    expect(nonCodeTexts(text)).toEqual(['"dir\\\\"']);
    expect(isCode(scanSource(text), text.indexOf('int x'))).toBe(true);
  });

  it("char literals: '\\'', '\"', '{' and '\\\\' are each one literal", () => {
    const text = "a = '\\''; b = '\"'; c = '{'; d = '\\\\'; { }";
    expect(nonCodeTexts(text)).toEqual(["'\\''", "'\"'", "'{'", "'\\\\'"]);
    const scan = scanSource(text);
    expect(scan.braceOffsets.length).toBe(2);
  });

  it('an unterminated string stops at the end of its line (the next line is code again)', () => {
    const text = 'char *s = "open\nint f(void) {';
    const scan = scanSource(text);
    expect(nonCodeTexts(text)).toEqual(['"open']);
    expect(scan.braceOffsets.length).toBe(1);
  });

  it('a quote inside a comment does not open a literal', () => {
    const text = "/* don't */ int x { }";
    expect(nonCodeTexts(text)).toEqual(["/* don't */"]);
    expect(scanSource(text).braceOffsets.length).toBe(2);
  });
});

describe('directives', () => {
  it('keyword and body; the body has whitespace collapsed', () => {
    const scan = scanSource('#ifdef   CONFIG_A\n#  define  X   1\n#endif\n');
    expect(scan.directives.map((d) => [d.keyword, d.body])).toEqual([
      ['ifdef', 'CONFIG_A'],
      ['define', 'X 1'],
      ['endif', ''],
    ]);
  });

  it('continuation lines join into one directive that ends on the last line', () => {
    const text = '#define BTF_X(a) \\\n\tfoo(a) \\\n\tbar(a)\nint after;';
    const scan = scanSource(text);
    expect(scan.directives.length).toBe(1);
    const d = scan.directives[0];
    expect(d.body).toBe('BTF_X(a) foo(a) bar(a)');
    expect(d.start).toBe(0);
    expect(d.end).toBe(text.indexOf('\nint after'));
    expect(text.slice(d.bodyStart, d.bodyStart + 5)).toBe('BTF_X');
    expect(isCode(scan, text.indexOf('int after'))).toBe(true);
    expect(directiveAt(scan, text.indexOf('bar'))).toBe(d);
  });

  it('comments inside a directive are dropped from the body; a block comment spanning lines keeps the directive going', () => {
    const text = '#if defined(A) /* first\n   second */ && defined(B) // tail\nint x;';
    const scan = scanSource(text);
    expect(scan.directives.length).toBe(1);
    expect(scan.directives[0].body).toBe('defined(A) && defined(B)');
    // The directive covers the line the comment ended on; `int x` is code.
    expect(directiveAt(scan, text.indexOf('&&'))).toBeDefined();
    expect(isCode(scan, text.indexOf('int x'))).toBe(true);
  });

  it('a // comment ending in a backslash continues the directive onto the next line', () => {
    const text = '#define X 1 // note \\\nint hidden;\nint shown;';
    const scan = scanSource(text);
    expect(scan.directives.length).toBe(1);
    expect(scan.directives[0].body).toBe('X 1');
    expect(isCode(scan, text.indexOf('int hidden'))).toBe(false);
    expect(isCode(scan, text.indexOf('int shown'))).toBe(true);
  });

  it('# after code on the same line is not a directive; after whitespace or a comment it is', () => {
    const text = 'int a; # define NOT\n   #  define YES 1\n/* c */ #define ALSO 2\n';
    const scan = scanSource(text);
    expect(scan.directives.map((d) => d.body)).toEqual(['YES 1', 'ALSO 2']);
  });

  it('# inside a string or comment is not a directive', () => {
    const text = 'char *s = "\n#define IN_STRING";\n/*\n#define IN_COMMENT\n*/\n';
    // The string is unterminated at its line end, so the next line does start with '#': a directive by C rules.
    const scan = scanSource(text);
    expect(scan.directives.map((d) => d.body)).toEqual(['IN_STRING";']);
    const text2 = 'char *s = "#define X";\n/*\n#define IN_COMMENT\n*/\n';
    expect(scanSource(text2).directives).toEqual([]);
  });

  it('a null directive has an empty keyword', () => {
    const scan = scanSource('#\nint x;\n');
    expect(scan.directives.length).toBe(1);
    expect(scan.directives[0].keyword).toBe('');
  });

  it('braces inside directives are not code braces', () => {
    const text = '#define BODY { return 0; }\nint f(void) BODY\n';
    const scan = scanSource(text);
    expect(scan.braceOffsets.length).toBe(0);
  });

  it('CRLF: a continuation with \\r\\n, and the directive end excludes the \\r', () => {
    const text = '#define A(x) \\\r\n  (x + 1)\r\nint y;\r\n';
    const scan = scanSource(text);
    expect(scan.directives.length).toBe(1);
    expect(scan.directives[0].body).toBe('A(x) (x + 1)');
    expect(text.slice(scan.directives[0].end, scan.directives[0].end + 2)).toBe('\r\n');
    expect(isCode(scan, text.indexOf('int y'))).toBe(true);
  });

  it('a directive at the end of the file without a newline', () => {
    const text = 'int x;\n#endif';
    const scan = scanSource(text);
    expect(scan.directives.length).toBe(1);
    expect(scan.directives[0].end).toBe(text.length);
  });
});

describe('brace depth', () => {
  const text = 'int f(void)\n{\n\tif (x) {\n\t\ty("}");\n\t}\n}\nint g;';
  const scan = scanSource(text);

  it('depth counts only code braces', () => {
    expect(scan.braceOffsets.length).toBe(4);
    expect(Array.from(scan.depthAfter)).toEqual([1, 2, 1, 0]);
  });

  it('depthAt gives the depth before the character at the offset', () => {
    expect(depthAt(scan, 0)).toBe(0);
    expect(depthAt(scan, text.indexOf('if'))).toBe(1);
    expect(depthAt(scan, text.indexOf('y('))).toBe(2);
    expect(depthAt(scan, text.indexOf('int g'))).toBe(0);
    // At the opening brace itself the depth is still the outer one.
    expect(depthAt(scan, text.indexOf('{'))).toBe(0);
  });

  it('an extra closing brace does not make the depth negative', () => {
    const s = scanSource('} } int x; { ');
    expect(Array.from(s.depthAfter)).toEqual([0, 0, 1]);
  });

  it('a brace opened in both branches of a conditional counts once (one compilation sees one branch)', () => {
    const text = '#ifdef CONFIG_A\nint f(void) {\n#else\nint f(int x) {\n#endif\n\treturn 0;\n}\nafter;\n';
    const s = scanSource(text);
    expect(depthAt(s, text.indexOf('return'))).toBe(1);
    expect(depthAt(s, text.indexOf('after'))).toBe(0);
    // #elif chains too, and a branch that closes what the #if opened is not counted twice either.
    const chain = '#if A\nvoid g(void) {\n#elif B\nvoid g(int b) {\n#else\nvoid g(long c) {\n#endif\n}\nafter;\n';
    expect(depthAt(scanSource(chain), chain.indexOf('after'))).toBe(0);
  });

  it('balanced branches do not change the depth', () => {
    const text = 'int f(void)\n{\n#ifdef A\n\tif (a) { x(); }\n#else\n\ty();\n#endif\n\tinside;\n}\nafter;\n';
    const s = scanSource(text);
    expect(depthAt(s, text.indexOf('inside'))).toBe(1);
    expect(depthAt(s, text.indexOf('after'))).toBe(0);
  });

  it('CRLF files count the same braces as LF files', () => {
    const lf = 'int f(void)\n{\n\treturn 0;\n}\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(Array.from(scanSource(crlf).depthAfter)).toEqual(Array.from(scanSource(lf).depthAfter));
  });
});

describe('nextCodeChar', () => {
  it('skips blanks, comments, line splices and directives', () => {
    const text = 'X   /* c */ \\\n // d\n#define Y 1\n  (a)';
    const scan = scanSource(text);
    expect(nextCodeChar(scan, 1)).toBe(text.indexOf('(a)'));
  });

  it('returns the limit when nothing is left', () => {
    const text = 'a  /* only a comment */  ';
    const scan = scanSource(text);
    expect(nextCodeChar(scan, 1)).toBe(text.length);
  });
});

describe('matchParen', () => {
  it('finds the matching ) across nested parens', () => {
    const text = 'BTF_ID_FLAGS(func, f, (KF_A | (KF_B)))';
    const scan = scanSource(text);
    expect(matchParen(scan, text.indexOf('('))).toBe(text.length - 1);
  });

  it('ignores parens inside comments, strings and char literals', () => {
    const text = 'M(a /* ) */, "(", \')\', // )\n b)';
    const scan = scanSource(text);
    expect(matchParen(scan, 1)).toBe(text.length - 1);
  });

  it('spans lines and line continuations', () => {
    const text = 'BTF_ID_FLAGS(func, f, \\\n\tKF_A |\n\tKF_B)\nnext';
    const scan = scanSource(text);
    expect(matchParen(scan, text.indexOf('('))).toBe(text.indexOf(')'));
  });

  it('returns -1 when the list never closes', () => {
    const text = 'BTF_ID_FLAGS(func, f, KF_A';
    expect(matchParen(scanSource(text), text.indexOf('('))).toBe(-1);
  });

  it('a ; or { directly inside the list means it was never closed (a half-typed macro call)', () => {
    const text = 'BTF_ID_FLAGS(func, f\nstatic int g(void) { return (1); }';
    expect(matchParen(scanSource(text), text.indexOf('('))).toBe(-1);
    const text2 = 'M(a;\n b)';
    expect(matchParen(scanSource(text2), 1)).toBe(-1);
  });

  it('a ; nested deeper than the list itself does not stop the match (statement expressions)', () => {
    const text = 'M(({ int t = 1; t; }))';
    expect(matchParen(scanSource(text), 1)).toBe(text.length - 1);
  });
});

describe('splitArgs', () => {
  function args(text: string) {
    const scan = scanSource(text);
    const open = text.indexOf('(');
    const close = matchParen(scan, open);
    return splitArgs(scan, open, close);
  }

  it('splits at top-level commas only', () => {
    expect(args('M(a, f(b, c), d[1, 2], (e, f))').map((a) => a.text)).toEqual(['a', 'f(b, c)', 'd[1, 2]', '(e, f)']);
  });

  it('commas inside braces do not split either (given the close paren)', () => {
    const text = 'M(a, { b, c })';
    const scan = scanSource(text);
    expect(splitArgs(scan, 1, text.length - 1).map((a) => a.text)).toEqual(['a', '{ b, c }']);
  });

  it('drops comments (commas inside them do not split) and collapses whitespace', () => {
    expect(args('M(func, /* a, b */ f, KF_A /* x */ |\n\t KF_B // y, z\n)').map((a) => a.text)).toEqual([
      'func',
      'f',
      'KF_A | KF_B',
    ]);
  });

  it('commas inside strings and char literals do not split', () => {
    expect(args('M("a,b", \',\', c)').map((a) => a.text)).toEqual(['"a,b"', "','", 'c']);
  });

  it('line continuations are removed from the argument text', () => {
    expect(args('BTF_ID_FLAGS(func, f, KF_A | \\\n\t\tKF_B)').map((a) => a.text)).toEqual(['func', 'f', 'KF_A | KF_B']);
  });

  it('each argument span covers its text without surrounding blanks', () => {
    const text = 'M(  alpha ,\n\tbeta  )';
    const list = args(text);
    expect(list.map((a) => text.slice(a.start, a.end))).toEqual(['alpha', 'beta']);
  });

  it('argument spans leave out comments before and after the code', () => {
    const text = 'M(func, /* why */ f /* after */, KF_A | /* mid */ KF_B // tail\n)';
    expect(args(text).map((a) => text.slice(a.start, a.end))).toEqual(['func', 'f', 'KF_A | /* mid */ KF_B']);
  });

  it('an empty list has no arguments; an empty argument between commas is kept', () => {
    expect(args('M()')).toEqual([]);
    expect(args('M(  )')).toEqual([]);
    expect(args('M(a,,b)').map((a) => a.text)).toEqual(['a', '', 'b']);
  });
});

describe('stripComments', () => {
  it('replaces block and line comments with a space', () => {
    expect(stripComments('a/*x*/b // c')).toBe('a b  ');
    expect(stripComments('no comments')).toBe('no comments');
  });
});
