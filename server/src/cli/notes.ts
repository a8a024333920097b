/** Reporting what indexing skipped: one line per file, and one summary line for many files skipped alike. */
import type { IndexNote } from '../workspace/indexPaths';
import type { CliIo } from './io';

const SHOWN_PER_REASON = 3;

export function reportNotes(notes: IndexNote[], io: CliIo): void {
  const byReason = new Map<string, IndexNote[]>();
  for (const n of notes) byReason.set(n.message, [...(byReason.get(n.message) ?? []), n]);
  for (const [message, list] of byReason) {
    for (const n of list.slice(0, SHOWN_PER_REASON)) io.err(`kfunc-lsp: ${n.file}: ${message}`);
    if (list.length > SHOWN_PER_REASON) io.err(`kfunc-lsp: ... and ${list.length - SHOWN_PER_REASON} more files ${message}`);
  }
}
