/** The `kfunc-lsp` command line (contracts §2): dispatches to the commands; exit 2 on usage or I/O errors. */
import { existsSync } from 'node:fs';
import { parseArgs, type ParsedArgs, UsageError } from './args';
import { type CliIo, processIo } from './io';
import { checkCommand } from './checkCommand';
import { protosCommand } from './protosCommand';
import { verifyCommand } from './verifyCommand';
import { diffCommand } from './diffCommand';
import { runServer } from '../lsp/server';
import { isScanWorker, runScanWorker, setScanWorkerScript } from '../workspace/scanPool';

const USAGE = `usage:
  kfunc-lsp --stdio                          language server over stdio (also: serve --stdio | --node-ipc | --socket=N)
  kfunc-lsp check  [opts] PATH...            diagnostics (exit 0: no error, 1: errors, 2: usage/IO error)
  kfunc-lsp protos [opts] PATH...            BPF-visible prototypes (vmlinux.h block, or --json)
  kfunc-lsp verify --btf FILE [opts] PATH... source against a built kernel's BTF
  kfunc-lsp diff   [opts] OLD NEW            kfunc API changes between two trees
  kfunc-lsp diff --git REV1 REV2 [PATH...]   the same between two revisions of the git checkout (no checkout needed)
options: --format text|json|sarif, --json, --kernel-version X.Y, --severity CODE=LEVEL, --config FILE, --fix
verify:  --base-btf VMLINUX (for a .ko), --strict (kfuncs on one side only fail too); verify/diff: --exclude GLOB
diff:    --strict (exit 1 on a breaking change)
all:     --no-cache (neither read nor write the per-file facts cache in ~/.cache/kfunc-lsp/facts)`;

type Command = (args: ParsedArgs, io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  check: checkCommand,
  protos: protosCommand,
  verify: verifyCommand,
  diff: diffCommand,
};

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (!args.command || args.command === '--help' || args.command === 'help' || args.options.has('--help')) {
      // Asked for: usage on stdout, exit 0. No command at all: a usage error on stderr, exit 2.
      if (!args.command) {
        io.err(USAGE);
        return 2;
      }
      io.out(`${USAGE}\n`);
      return 0;
    }
    const command = COMMANDS[args.command];
    if (!command) throw new UsageError(`unknown command ${args.command}`);
    if (args.command !== 'diff' && args.paths.length === 0) throw new UsageError(`${args.command} needs at least one PATH`);
    // diff checks its own arguments (with --git they are revisions, not paths).
    if (args.command !== 'diff') for (const p of args.paths) if (!existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
    return await command(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`kfunc-lsp: ${e.message}\n${USAGE}`);
      return 2;
    }
    io.err(`kfunc-lsp: ${(e as Error).stack ?? String(e)}`);
    return 2;
  }
}

/**
 * `--stdio`, `--node-ipc` or `--socket=N`, alone or after `serve`: run the language server (vscode-languageserver
 * takes the transport from the same arguments; clients may add `--clientProcessId=N`).
 */
export function isServerInvocation(argv: string[]): boolean {
  const rest = argv[0] === 'serve' ? argv.slice(1) : argv;
  return rest.some((a) => a === '--stdio' || a === '--node-ipc' || /^--socket=\d+$/.test(a));
}

if (require.main === module && isScanWorker()) runScanWorker();
else if (require.main === module) {
  // This file (the bundled dist/cli.js) is also the scan worker's script: indexing runs in worker threads.
  setScanWorkerScript(__filename);
  const argv = process.argv.slice(2);
  if (isServerInvocation(argv)) runServer();
  else if (argv[0] === 'serve') {
    processIo.err(`kfunc-lsp: serve needs --stdio, --node-ipc or --socket=N\n${USAGE}`);
    process.exitCode = 2;
  } else {
    void runCli(argv).then((code) => {
      process.exitCode = code;
    });
  }
}
