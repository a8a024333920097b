/**
 * Settings (contracts §5): the editor's `kfuncLsp.*` settings, the CLI's `.kfunc-lsp.json` (same keys without the
 * prefix) and command-line options all end up in one `Settings` value.
 */
export type SeverityName = 'error' | 'warning' | 'information' | 'hint' | 'off';

export interface Settings {
  /** `"auto"` (read from the tree's Makefile) or `"X.Y"`. */
  kernelVersion: string;
  implicitArgs: {
    /** Struct names whose pointers are implicit arguments (`bpf_prog_aux` = `struct bpf_prog_aux *`). */
    types: string[];
    /** Parameter-name suffixes that make a parameter implicit (`p__implicit`). */
    nameSuffixes: string[];
  };
  diagnostics: { severity: Record<string, SeverityName> };
  index: { exclude: string[]; maxFileSizeKB: number };
  trace: { server: 'off' | 'messages' | 'verbose' };
}

export function defaultSettings(): Settings {
  return {
    kernelVersion: 'auto',
    implicitArgs: { types: ['bpf_prog_aux', 'btf_struct_meta'], nameSuffixes: ['__implicit'] },
    diagnostics: { severity: {} },
    index: { exclude: ['**/.git/**', '**/node_modules/**', '**/progs/**'], maxFileSizeKB: 4096 },
    trace: { server: 'off' },
  };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function stringArray(x: unknown): string[] | undefined {
  return Array.isArray(x) && x.every((s) => typeof s === 'string') ? (x as string[]) : undefined;
}

const SEVERITIES = new Set<SeverityName>(['error', 'warning', 'information', 'hint', 'off']);

/**
 * Merges user settings (nested `{ implicitArgs: { types } }` or flat `"implicitArgs.types"` keys, with or without
 * the `kfuncLsp.` prefix) over `base`. Values of the wrong type are ignored and reported in `problems`.
 */
export function mergeSettings(base: Settings, input: unknown, problems: string[] = []): Settings {
  const out: Settings = structuredClone(base);
  if (!isObject(input)) return out;
  const flat = new Map<string, unknown>();
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, value] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      // diagnostics.severity is a map of codes: keep it whole.
      if (isObject(value) && key.replace(/^kfuncLsp\./, '') !== 'diagnostics.severity') walk(value, key);
      else flat.set(key.replace(/^kfuncLsp\./, ''), value);
    }
  };
  walk(input, '');
  for (const [key, value] of flat) {
    switch (key) {
      case 'kernelVersion':
        if (typeof value === 'string' && (value === 'auto' || /^\d+\.\d+$/.test(value))) out.kernelVersion = value;
        else problems.push(`kernelVersion must be "auto" or "X.Y"`);
        break;
      case 'implicitArgs.types': {
        const a = stringArray(value);
        if (a) out.implicitArgs.types = a.map((t) => t.replace(/^struct\s+/, '').trim());
        else problems.push('implicitArgs.types must be a list of struct names');
        break;
      }
      case 'implicitArgs.nameSuffixes': {
        const a = stringArray(value);
        if (a) out.implicitArgs.nameSuffixes = a;
        else problems.push('implicitArgs.nameSuffixes must be a list of strings');
        break;
      }
      case 'diagnostics.severity':
        if (isObject(value)) {
          for (const [code, sev] of Object.entries(value)) {
            if (typeof sev === 'string' && SEVERITIES.has(sev as SeverityName)) out.diagnostics.severity[code] = sev as SeverityName;
            else problems.push(`diagnostics.severity.${code} must be error, warning, information, hint or off`);
          }
        }
        break;
      case 'index.exclude': {
        const a = stringArray(value);
        if (a) out.index.exclude = a;
        else problems.push('index.exclude must be a list of glob patterns');
        break;
      }
      case 'index.maxFileSizeKB':
        if (typeof value === 'number' && value > 0) out.index.maxFileSizeKB = value;
        else problems.push('index.maxFileSizeKB must be a positive number');
        break;
      case 'trace.server':
        if (value === 'off' || value === 'messages' || value === 'verbose') out.trace.server = value;
        break;
      default:
        problems.push(`unknown setting ${key}`);
    }
  }
  return out;
}
