/** The `kfunc-lsp` command line (contracts §2): dispatches to the commands; exit 2 on usage or I/O errors. */
import { existsSync } from 'node:fs';
import { parseArgs, type ParsedArgs, UsageError } from './args';
import { type CliIo, processIo } from './io';
import { checkCommand } from './checkCommand';
import { protosCommand } from './protosCommand';

const USAGE = `usage:
  kfunc-lsp --stdio                          language server over stdio (also: serve --stdio | --node-ipc | --socket=N)
  kfunc-lsp check  [opts] PATH...            diagnostics (exit 0: no error, 1: errors, 2: usage/IO error)
  kfunc-lsp protos [opts] PATH...            BPF-visible prototypes (vmlinux.h block, or --json)
  kfunc-lsp verify --btf FILE [opts] PATH... source against a built kernel's BTF
  kfunc-lsp diff   [opts] OLD NEW            kfunc API changes between two trees
options: --format text|json|sarif, --json, --kernel-version X.Y, --severity CODE=LEVEL, --config FILE, --fix`;

type Command = (args: ParsedArgs, io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  check: checkCommand,
  protos: protosCommand,
};

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (!args.command || args.command === '--help' || args.command === 'help' || args.options.has('--help')) {
      io.out(`${USAGE}\n`);
      return args.command ? 0 : 2;
    }
    const command = COMMANDS[args.command];
    if (!command) throw new UsageError(`unknown command ${args.command}`);
    if (args.command !== 'diff' && args.paths.length === 0) throw new UsageError(`${args.command} needs at least one PATH`);
    for (const p of args.paths) if (!existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
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

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
