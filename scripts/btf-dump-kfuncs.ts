// Lists the kfuncs a built kernel package really has, from BTF: vmlinux and every module.
// Usage: node scripts/run-ts.mjs scripts/btf-dump-kfuncs.ts IMAGE_DIR [--out FILE] [--jobs N] [--no-cache]
// IMAGE_DIR is an unpacked Debian linux-image package (boot/vmlinuz-*, lib/modules/<release>/**/*.ko[.xz|.zst|.gz]).
// Given a single file instead (a vmlinux ELF or raw BTF such as /sys/kernel/btf/vmlinux), dumps just that file.
// The JSON is cached next to IMAGE_DIR, keyed by the package name in IMAGE_DIR/.package.
// Progress, timings and a self-check (shape-found vs symbol-named sets in every module) go to stderr.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { findSet8sBySymbols, scanSet8s, type BtfIdSet8 } from '../server/src/btf/btfIds';
import type { Btf } from '../server/src/btf/btf';
import { kfuncSummary, loadBtfFile, type LoadedBtf } from '../server/src/btf/kfuncs';
import { extractVmlinux, readModuleAsync } from './lib/kernel-image';

/** Bump when the reader's output changes, so cached dumps are redone. */
const DUMP_VERSION = 1;

interface Args { imageDir: string; out: string | null; jobs: number; useCache: boolean }

function parseArgs(argv: string[]): Args {
  const args: Args = { imageDir: '', out: null, jobs: Math.max(2, availableParallelism()), useCache: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') args.out = argv[++i];
    else if (a === '--jobs') args.jobs = Math.max(1, Number(argv[++i]) || 1);
    else if (a === '--no-cache') args.useCache = false;
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (!args.imageDir) args.imageDir = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!args.imageDir) usage('IMAGE_DIR is required');
  return args;
}

function usage(problem: string): never {
  process.stderr.write(`${problem}\nusage: btf-dump-kfuncs.ts IMAGE_DIR [--out FILE] [--jobs N] [--no-cache]\n`);
  process.exit(2);
}

const log = (message: string) => process.stderr.write(`${message}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(2)}s`;

function findModules(modulesRoot: string): string[] {
  if (!existsSync(modulesRoot)) return [];
  return readdirSync(modulesRoot, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ko(\.xz|\.zst|\.gz)?$/.test(f))
    .map((f) => path.join(modulesRoot, f))
    .sort();
}

/** Runs tasks with at most `limit` in flight. */
async function runPool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Compares the shape scan against the symbol-named sets of a module (modules keep their symbol table). */
function shapeScanAgrees(loaded: LoadedBtf, btf: Btf): boolean | null {
  const elf = loaded.elf;
  const section = elf?.section('.BTF_ids');
  if (!elf || !section || loaded.setsFoundBy !== 'symbols') return null;
  const bytes = elf.sectionData(section);
  const key = (sets: BtfIdSet8[]) => JSON.stringify(sets.filter((s) => s.unresolved === 0).map((s) => [s.offset, s.flags, s.entries]));
  return key(findSet8sBySymbols(elf, section, bytes)) === key(scanSet8s(bytes, elf.littleEndian, (id) => btf.isFunc(id)));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const imageDir = path.resolve(args.imageDir);
  if (statSync(imageDir).isFile()) {
    const t = performance.now();
    const loaded = loadBtfFile(imageDir);
    log(`${imageDir}: ${loaded.kind}, ${loaded.btf.typeCount - 1} BTF types, decl tags: ${loaded.declTags}, .BTF_ids: ${loaded.btfIds}, `
      + `${loaded.kfuncs.length} kfuncs (${loaded.kfuncs.filter((k) => k.fastcall).length} bpf_fastcall), in ${seconds(t)}`);
    emit(args.out, { dumpVersion: DUMP_VERSION, file: imageDir, vmlinux: kfuncSummary(loaded), modules: {} });
    return;
  }
  const packageFile = path.join(imageDir, '.package');
  const packageName = existsSync(packageFile) ? readFileSync(packageFile, 'utf8').trim() : null;
  const cacheFile = packageName ? path.join(path.dirname(imageDir), `btf-kfuncs.${packageName}.json`) : null;

  if (args.useCache && cacheFile && existsSync(cacheFile)) {
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { dumpVersion?: number };
    if (cached.dumpVersion === DUMP_VERSION) {
      log(`using cached ${cacheFile} (--no-cache to redo)`);
      emit(args.out, cached);
      return;
    }
  }

  const started = performance.now();
  const bootDir = path.join(imageDir, 'boot');
  const vmlinuz = existsSync(bootDir) ? readdirSync(bootDir).find((f) => f.startsWith('vmlinuz-')) : undefined;
  if (!vmlinuz) throw new Error(`${bootDir}: no vmlinuz-* found`);
  let t = performance.now();
  const vmlinuxBytes = extractVmlinux(path.join(bootDir, vmlinuz));
  log(`vmlinux: extracted ${(vmlinuxBytes.length / 1e6).toFixed(1)} MB from ${vmlinuz} in ${seconds(t)}`);
  t = performance.now();
  const vmlinux = loadBtfFile(vmlinuxBytes);
  const kfuncSetCount = vmlinux.sets.filter((s) => s.flags & 1).length;
  log(`vmlinux: ${vmlinux.btf.typeCount - 1} BTF types, ${vmlinux.sets.length} set8 sets found by ${vmlinux.setsFoundBy} `
    + `(${kfuncSetCount} flagged KFUNCS), decl tags: ${vmlinux.declTags}, ${vmlinux.kfuncs.length} kfuncs, in ${seconds(t)}`);

  const release = readdirSync(path.join(imageDir, 'lib', 'modules'))[0] ?? '';
  const modulesRoot = path.join(imageDir, 'lib', 'modules', release);
  const moduleFiles = findModules(modulesRoot);
  t = performance.now();
  const modules: Record<string, ReturnType<typeof kfuncSummary>> = {};
  const failures: string[] = [];
  let withBtf = 0;
  let withBtfIds = 0;
  let compared = 0;
  const disagreements: string[] = [];
  let done = 0;
  await runPool(moduleFiles, args.jobs, async (file) => {
    const relative = path.relative(modulesRoot, file).replace(/\.(xz|zst|gz)$/, '');
    try {
      const bytes = await readModuleAsync(file);
      if (!bytes.includes('.BTF\0')) return; // no .BTF section name: nothing to read
      const loaded = loadBtfFile(bytes, { base: vmlinux.btf });
      withBtf++;
      if (loaded.btfIds) withBtfIds++;
      const agrees = shapeScanAgrees(loaded, loaded.btf);
      if (agrees !== null) {
        compared++;
        if (!agrees) disagreements.push(relative);
      }
      if (loaded.kfuncs.length > 0) modules[relative] = kfuncSummary(loaded);
    } catch (error) {
      failures.push(`${relative}: ${(error as Error).message}`);
    } finally {
      if (++done % 500 === 0) log(`  modules: ${done}/${moduleFiles.length} (${seconds(t)})`);
    }
  });
  const sortedModules = Object.fromEntries(Object.entries(modules).sort(([a], [b]) => (a < b ? -1 : 1)));
  const moduleKfuncs = Object.values(modules).reduce((n, m) => n + m.kfuncs.length, 0);
  log(`modules: ${moduleFiles.length} files, ${withBtf} with .BTF, ${withBtfIds} with .BTF_ids, `
    + `${Object.keys(modules).length} with kfuncs (${moduleKfuncs} kfuncs), ${failures.length} unreadable, in ${seconds(t)} with ${args.jobs} jobs`);
  log(`self-check: shape scan vs symbol-named sets agree in ${compared - disagreements.length}/${compared} modules`
    + (disagreements.length ? `; differ: ${disagreements.slice(0, 10).join(', ')}` : ''));
  for (const failure of failures.slice(0, 10)) log(`  unreadable: ${failure}`);
  log(`total ${seconds(started)}`);

  const result = { dumpVersion: DUMP_VERSION, package: packageName, release, vmlinux: kfuncSummary(vmlinux), modules: sortedModules };
  if (cacheFile) {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(result));
  }
  emit(args.out, result);
}

function emit(out: string | null, result: unknown): void {
  const text = `${JSON.stringify(result, null, 1)}\n`;
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}

main().catch((error: unknown) => {
  process.stderr.write(`btf-dump-kfuncs: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
