/** Thrown for any malformed, truncated or unsupported ELF/BTF input. Never a RangeError from a raw read. */
export class BtfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BtfError';
  }
}
