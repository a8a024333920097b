/** Where a CLI command writes (stdout/stderr in the real binary, buffers in tests). */
export interface CliIo {
  out(text: string): void;
  err(line: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (line) => process.stderr.write(line.endsWith('\n') ? line : `${line}\n`),
};
