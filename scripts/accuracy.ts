// `npm run accuracy`: compares `kfunc-lsp protos --json` over Debian's linux-source-6.12 with the BTF of Debian's
// matching built kernel (vmlinux and every module). Prints: kfuncs of the built kernel found in source, prototype
// agreement (names, types, order), flag agreement, and every source-only kfunc with the Kconfig reason it was not
// built. Downloads into the cache folder on first use (scripts/fetch-kernel.sh).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { canonicalizeTypeString } from '../server/src/btf/render';
import { explainNotBuilt, readKernelConfig } from './lib/kbuild';

interface SourceKfunc {
  name: string;
  file: string | null;
  guard: string | null;
  registrations: Array<{ set: string; file: string; flags: string[]; flagsValue: number | null; guard: string | null }>;
  bpf: Array<{ name: string; ret: string; params: Array<{ name: string | null; type: string }>; vmlinuxH: boolean }>;
}
interface BtfKfunc {
  name: string;
  ret: string;
  params: Array<{ name: string; type: string }>;
  flags: number | null;
  sets: Array<{ name: string | null; flags: number }>;
}
interface Dump {
  package: string;
  vmlinux: { kfuncs: BtfKfunc[] };
  modules: Record<string, { kfuncs: BtfKfunc[] }>;
}

const repo = path.resolve(__dirname, '..', '..');
const log = (s: string) => process.stdout.write(`${s}\n`);

function proto(ret: string, name: string, params: Array<{ name: string | null; type: string }>): string {
  const list = params.map((p) => `${canonicalizeTypeString(p.type)} ${p.name ?? ''}`.trim());
  return `${canonicalizeTypeString(ret)} ${name}(${list.join(', ') || 'void'})`;
}

function main(): void {
  const cache = execFileSync('bash', [path.join(repo, 'scripts/fetch-kernel.sh'), '6.12'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const src = path.join(cache, 'src');
  const image = path.join(cache, 'image');

  const t0 = performance.now();
  const run = spawnSync(process.execPath, [path.join(repo, 'dist/cli.js'), 'protos', '--json', src], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const protosSeconds = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`protos failed: ${run.stderr}`);
  const protos = JSON.parse(run.stdout) as { kernelVersion: string; kfuncs: SourceKfunc[] };

  const dumpRun = spawnSync(process.execPath, [path.join(repo, 'scripts/run-ts.mjs'), path.join(repo, 'scripts/btf-dump-kfuncs.ts'), image], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'] });
  if (dumpRun.status !== 0) throw new Error('btf-dump-kfuncs failed');
  const dump = JSON.parse(dumpRun.stdout) as Dump;

  const built: Array<{ where: string; k: BtfKfunc }> = dump.vmlinux.kfuncs.map((k) => ({ where: 'vmlinux', k }));
  for (const [mod, m] of Object.entries(dump.modules)) for (const k of m.kfuncs) built.push({ where: mod, k });

  const bySource = new Map(protos.kfuncs.filter((k) => !k.file?.startsWith('tools/')).map((k) => [k.name, k]));
  let found = 0;
  let protoOk = 0;
  let flagsOk = 0;
  const problems: string[] = [];
  for (const { where, k } of built) {
    const s = bySource.get(k.name);
    if (!s || !s.file) {
      problems.push(`not found in source: ${k.name} (${where})`);
      continue;
    }
    found++;
    const visible = s.bpf.find((b) => b.name === k.name);
    const a = visible ? proto(visible.ret, visible.name, visible.params) : '(no prototype)';
    const b = proto(k.ret, k.name, k.params);
    if (a === b) protoOk++;
    else problems.push(`prototype ${k.name}: source ${a} | btf ${b}`);
    const sourceValues = new Set(s.registrations.map((r) => r.flagsValue));
    const btfValues = k.sets.map((x) => x.flags);
    if (btfValues.every((v) => sourceValues.has(v))) flagsOk++;
    else problems.push(`flags ${k.name}: source [${[...sourceValues].join(', ')}] | btf [${btfValues.join(', ')}]`);
  }

  const builtNames = new Set(built.map((b) => b.k.name));
  const config = readKernelConfig(readdirSync(path.join(image, 'boot')).filter((f) => f.startsWith('config-')).map((f) => path.join(image, 'boot', f))[0]);
  const sourceOnly = protos.kfuncs.filter((k) => k.bpf.some((b) => b.vmlinuxH) && !builtNames.has(k.name));
  const reasons = new Map<string, string[]>();
  let unexplained = 0;
  for (const k of sourceOnly) {
    const reason = explainNotBuilt(src, k, config);
    if (!reason) unexplained++;
    const key = reason ?? 'UNEXPLAINED';
    reasons.set(key, [...(reasons.get(key) ?? []), k.name]);
  }

  const pct = (n: number, d: number) => `${d ? ((100 * n) / d).toFixed(1) : '100.0'} %`;
  const moduleCount = Object.values(dump.modules).filter((m) => m.kfuncs.length).length;
  log(`kfunc-lsp accuracy: Debian linux-source-6.12 (kernel ${protos.kernelVersion}) vs ${dump.package}`);
  log(`  protos --json over the tree: ${protosSeconds.toFixed(1)} s, ${protos.kfuncs.length} kfuncs in source (incl. tools/)`);
  log(`  kfuncs in the built kernel (BTF): ${built.length} (vmlinux ${dump.vmlinux.kfuncs.length}, ${moduleCount} modules ${built.length - dump.vmlinux.kfuncs.length})`);
  log(`  found in source:      ${found}/${built.length} (${pct(found, built.length)})`);
  log(`  prototype agreement:  ${protoOk}/${found} (${pct(protoOk, found)})  [return type, parameter names, types, order]`);
  log(`  flag agreement:       ${flagsOk}/${found} (${pct(flagsOk, found)})  [every .BTF_ids set flag word matches a source registration]`);
  log(`  in source, not built: ${sourceOnly.length}, explained ${sourceOnly.length - unexplained}/${sourceOnly.length}`);
  for (const [reason, names] of [...reasons].sort((a, b) => b[1].length - a[1].length)) {
    log(`    ${names.length.toString().padStart(3)}  ${reason}: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', ...' : ''}`);
  }
  for (const p of problems) log(`  ! ${p}`);
  const ok = found === built.length && protoOk === found && flagsOk === found && unexplained === 0;
  log(ok ? 'accuracy: OK' : 'accuracy: MISMATCHES (see above)');
  process.exitCode = ok ? 0 : 1;
}

main();
