/** Settings for a CLI run: defaults, then `.kfunc-lsp.json` (or --config), then command-line options. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { defaultSettings, mergeSettings, type SeverityName, type Settings } from '../config';
import { findKernelTree } from '../kernel/version';
import { type ParsedArgs, UsageError } from './args';

function treeRoot(first: string): string {
  const tree = findKernelTree(first);
  if (tree.root) return tree.root;
  try {
    return statSync(first).isDirectory() ? first : path.dirname(first);
  } catch {
    return path.dirname(first);
  }
}

export function settingsFor(args: ParsedArgs, first: string, warn: (message: string) => void): Settings {
  let settings = defaultSettings();
  const explicit = args.options.get('--config') as string | undefined;
  const configFile = explicit ?? path.join(treeRoot(first), '.kfunc-lsp.json');
  if (explicit || existsSync(configFile)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read config ${configFile}: ${(e as Error).message}`);
    }
    const problems: string[] = [];
    settings = mergeSettings(settings, parsed, problems);
    for (const p of problems) warn(`${configFile}: ${p}`);
  }
  const version = args.options.get('--kernel-version');
  if (typeof version === 'string') {
    if (!/^\d+\.\d+$/.test(version)) throw new UsageError('--kernel-version must look like 6.12');
    settings.kernelVersion = version;
  }
  for (const s of args.repeated.get('--severity') ?? []) {
    const m = /^([a-z0-9-]+)=(error|warning|information|hint|off)$/.exec(s);
    if (!m) throw new UsageError(`--severity wants CODE=error|warning|information|hint|off, got ${s}`);
    settings.diagnostics.severity[m[1]] = m[2] as SeverityName;
  }
  return settings;
}
