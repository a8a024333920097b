// Development aid: prints the facts extracted from one file as JSON.
import { readFileSync } from 'node:fs';
import { extractFacts } from '../server/src/facts/extract';
import { initParser } from '../server/src/parse/treeSitter';

async function main(): Promise<void> {
await initParser();
const file = process.argv[2];
const t0 = performance.now();
const facts = extractFacts(file, readFileSync(file, 'utf8'));
const ms = performance.now() - t0;
const brief = process.argv.includes('--brief');
if (brief) {
  console.log(JSON.stringify({
    ms: Math.round(ms),
    parseErrors: facts.parseErrors,
    functions: facts.functions.map((f) => `${f.storage} ${f.attributes.join(' ')} ${f.ret.text} ${f.name}(${f.params.map((p) => `${p.type.text} ${p.name}`).join(', ')}) guard=${f.guard} region=${f.inDefsRegion}`),
    sets: facts.sets.map((s) => `${s.macro} ${s.name} end=${s.endName} [${s.entries.map((e) => `${e.name}${e.flags.length ? ':' + e.flags.join('|') : ''}${e.guard ? '@' + e.guard : ''}${e.viaMacro ? '<' + e.viaMacro : ''}`).join(', ')}]`),
    pending: facts.pendingMacros.map((p) => `${p.setName}: ${p.text} defs=${p.localDefs.map((d) => d.name).join(',')}`),
    idSets: facts.idSets.map((s) => `${s.name} set=${s.set} filter=${s.filter}`),
    registrations: facts.registrations.map((r) => `${r.fn}(${r.progType}, ${r.idSet}) guard=${r.guard}`),
    dtors: facts.dtorArrays.map((d) => `${d.name}: ${d.pairs.map((p) => `${p.list}[${p.typeIndex}]/[${p.funcIndex}]`).join(' ')}`),
    dtorRegs: facts.dtorRegistrations.map((d) => d.array),
    regions: facts.regions.map((r) => `${r.kind} ${r.start.line + 1}-${r.end ? r.end.line + 1 : 'EOF'}`),
  }, null, 1));
} else console.log(JSON.stringify(facts, null, 1));
}

void main();
