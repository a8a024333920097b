/** `kfunc-lsp protos [--json] PATH...`: the BPF-visible prototypes of every kfunc under PATH. */
import { reportNotes } from './notes';
import { protosJson, vmlinuxHBlock } from '../output/protos';
import { indexPaths } from '../workspace/indexPaths';
import { formatOption, type ParsedArgs } from './args';
import type { CliIo } from './io';
import { settingsFor } from './settings';

export async function protosCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const format = formatOption(args, ['text', 'json'], 'text');
  const settings = settingsFor(args, args.paths[0], io.err);
  const result = await indexPaths(args.paths, settings, { cache: !args.options.has('--no-cache') });
  reportNotes(result.notes, io);
  const model = result.index.model;
  io.out(format === 'json' ? JSON.stringify(protosJson(model, args.paths[0]), null, 2) + '\n' : vmlinuxHBlock(model));
  return 0;
}
