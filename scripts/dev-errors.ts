// Development aid: where tree-sitter still reports ERROR/MISSING nodes after neutralising a file.
import { readFileSync } from 'node:fs';
import type { Node } from 'web-tree-sitter';
import { neutralize } from '../server/src/parse/neutralize';
import { scanSource } from '../server/src/parse/scanner';
import { initParser, parseC } from '../server/src/parse/treeSitter';

function collect(node: Node, out: Node[]): void {
  if (!node.hasError && !node.isMissing) return;
  if (node.type === 'ERROR' || node.isMissing) {
    out.push(node);
    return;
  }
  for (const c of node.children) if (c) collect(c, out);
}

async function main(): Promise<void> {
  await initParser();
  const text = readFileSync(process.argv[2], 'utf8');
  const raw = process.argv.includes('--raw');
  const src = raw ? text : neutralize(scanSource(text)).text;
  const tree = parseC(src)!;
  const errs: Node[] = [];
  collect(tree.rootNode, errs);
  for (const e of errs.slice(0, Number(process.env.DEV_ERRORS_MAX ?? 60))) {
    const line = e.startPosition.row + 1;
    console.log(`${line}: ${e.isMissing ? 'MISSING ' + e.type : 'ERROR'} ${JSON.stringify(text.slice(e.startIndex, Math.min(e.endIndex, e.startIndex + 80)))}`);
  }
  console.log(`total ${errs.length}`);
}
void main();
