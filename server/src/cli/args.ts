/** Command-line parsing for `kfunc-lsp` (contracts §2): a command, options, and paths. */

export class UsageError extends Error {}

export interface ParsedArgs {
  command: string;
  paths: string[];
  /** Last value of each option (flags are `true`). */
  options: Map<string, string | true>;
  /** Every value of repeatable options (`--severity`). */
  repeated: Map<string, string[]>;
}

/** Options that take a value, per command ('*' = every command). */
const VALUE_OPTIONS: Record<string, string[]> = {
  '*': ['--kernel-version', '--config', '--severity'],
  check: ['--format'],
  protos: ['--format'],
  verify: ['--btf', '--base-btf', '--format', '--exclude'],
  diff: ['--format', '--git', '--exclude'],
};
const FLAG_OPTIONS: Record<string, string[]> = {
  '*': ['--json', '--help', '--no-cache'],
  check: ['--fix'],
  verify: ['--strict'],
  diff: ['--strict'],
  protos: [],
};

export function parseArgs(argv: string[]): ParsedArgs {
  const [command = '', ...rest] = argv;
  const options = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  const paths: string[] = [];
  const takesValue = new Set([...(VALUE_OPTIONS['*'] ?? []), ...(VALUE_OPTIONS[command] ?? [])]);
  const isFlag = new Set([...(FLAG_OPTIONS['*'] ?? []), ...(FLAG_OPTIONS[command] ?? [])]);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--') {
      paths.push(...rest.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      paths.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (takesValue.has(name)) {
      const value = eq === -1 ? rest[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      options.set(name, value);
      repeated.set(name, [...(repeated.get(name) ?? []), value]);
    } else if (isFlag.has(name) && eq === -1) {
      options.set(name, true);
    } else {
      throw new UsageError(`unknown option ${arg} for ${command || 'kfunc-lsp'}`);
    }
  }
  return { command, paths, options, repeated };
}

/** `--json` is short for `--format json`; returns the chosen format or `fallback`. */
export function formatOption(args: ParsedArgs, allowed: string[], fallback: string): string {
  const format = args.options.has('--json') ? 'json' : ((args.options.get('--format') as string | undefined) ?? fallback);
  if (!allowed.includes(format)) throw new UsageError(`--format must be one of ${allowed.join(', ')}`);
  return format;
}
