// `npm run fuzz -- [--seconds N] [--runs N] [--seed N] [--slow-ms N]`: mutates the fixtures, examples/ and (when
// the cache has it) the kfunc files of the 6.12 tree, and runs the whole analyzer on each input. Inputs that crash
// or run over the limit are saved under test/fixtures/fuzz-regressions/ (the regression test replays them); a finding
// that started from a kernel file is saved in the cache folder instead (kernel source never goes into the repo: reduce
// it to a fixture of your own first).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { initParser } from '../server/src/parse/treeSitter';
import { hasKfuncMarker } from '../server/src/workspace/sourceFiles';
import { fuzz, loadCorpus } from '../test/fuzz/fuzzer';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

async function main(): Promise<void> {
  const repo = path.resolve(__dirname, '..', '..');
  await initParser();
  const corpus = loadCorpus([path.join(repo, 'test/fixtures'), path.join(repo, 'examples')]);
  const cache = process.env.KFUNC_LSP_CACHE ?? path.join(homedir(), '.cache/kfunc-lsp');
  const kernel = path.join(cache, '6.12/src');
  let kernelFiles = 0;
  if (existsSync(kernel)) {
    for (const dir of ['kernel/bpf', 'net/core', 'net/ipv4', 'net/netfilter', 'kernel/sched', 'drivers/hid/bpf', 'fs', 'kernel/trace', 'net/bpf']) {
      for (const f of loadCorpus([path.join(kernel, dir)], 1024 * 1024)) {
        if (hasKfuncMarker(f.bytes)) {
          corpus.push(f);
          kernelFiles++;
        }
      }
    }
  }
  const seed = option('--seed', Date.now() % 1_000_000);
  const outDir = path.join(repo, 'test/fixtures/fuzz-regressions');
  let saved = 0;
  console.log(`fuzz: ${corpus.length} corpus files (${kernelFiles} from the 6.12 tree), seed ${seed}`);
  const report = fuzz(corpus, {
    seed,
    runs: option('--runs', Number.MAX_SAFE_INTEGER),
    seconds: option('--seconds', 60),
    slowMs: option('--slow-ms', 2000),
    onFinding(kind, input, detail, sources) {
      // Error messages can quote the input (a regex built from a 50 000-character name): keep the log readable.
      const short = (line: string) => (line.length > 400 ? `${line.slice(0, 400)}… (${line.length} characters)` : line);
      console.log(`${kind}: ${detail.split('\n').map(short).slice(0, 12).join('\n')}`);
      const fromKernel = sources.some((file) => file.startsWith(kernel + path.sep));
      const dir = fromKernel ? path.join(cache, 'fuzz-findings') : outDir;
      mkdirSync(dir, { recursive: true });
      const id = `${kind}-${seed}-${saved++}`;
      for (const [file, bytes] of input) writeFileSync(path.join(dir, `${id}--${path.basename(file)}`), bytes);
      writeFileSync(path.join(dir, `${id}.txt`), short(detail.split('\n')[0]) + '\n');
      if (fromKernel) console.log(`  saved in ${dir} (kernel source): reduce it to a fixture of your own for the repo`);
    },
  });
  console.log(
    `fuzz: ${report.runs} runs in ${report.seconds.toFixed(0)} s, ${report.crashes} crashes, ${report.slow} over the limit; ` +
      `slowest ${report.slowest.ms.toFixed(0)} ms (${report.slowest.mutations.join('+')} on ${path.relative(repo, report.slowest.file)})`,
  );
  process.exitCode = report.crashes || report.slow ? 1 : 0;
}

void main();
