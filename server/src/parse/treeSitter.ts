/**
 * The tree-sitter C parser (web-tree-sitter + the tree-sitter-c grammar wasm shipped in grammars/). Loading is
 * asynchronous and done once; parsing afterwards is synchronous.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

declare const __dirname: string | undefined;

/** grammars/ holds both wasm files; found by walking up from this module (bundle or source tree). */
export function grammarDir(): string {
  const fromEnv = process.env.KFUNC_LSP_GRAMMARS;
  if (fromEnv && existsSync(path.join(fromEnv, 'tree-sitter-c.wasm'))) return fromEnv;
  let dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, 'grammars');
    if (existsSync(path.join(candidate, 'tree-sitter-c.wasm'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('kfunc-lsp: grammars/tree-sitter-c.wasm not found (run `npm run build`)');
}

let ready: Promise<void> | undefined;
let language: Language | undefined;
let parser: Parser | undefined;

export function initParser(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      const dir = grammarDir();
      await Parser.init({ locateFile: (file: string) => path.join(dir, file) });
      language = await Language.load(path.join(dir, 'tree-sitter-c.wasm'));
      parser = new Parser();
      parser.setLanguage(language);
    })();
  }
  return ready;
}

export function isParserReady(): boolean {
  return parser !== undefined;
}

export function cLanguage(): Language {
  if (!language) throw new Error('kfunc-lsp: parser used before initParser()');
  return language;
}

export interface ParseOptions {
  /** Reuse an earlier tree (after `tree.edit`) for an incremental parse. */
  oldTree?: Tree | null;
  /** Give up after this many milliseconds (a pathological file must not freeze the server). */
  timeoutMs?: number;
}

/** Parses C text; returns null when the parse was abandoned (time limit). */
export function parseC(text: string, options: ParseOptions = {}): Tree | null {
  if (!parser) throw new Error('kfunc-lsp: parser used before initParser()');
  const deadline = options.timeoutMs ? performance.now() + options.timeoutMs : undefined;
  const tree = parser.parse(text, options.oldTree ?? null, deadline === undefined ? undefined : {
    progressCallback: () => performance.now() > deadline,
  });
  parser.reset();
  return tree;
}
