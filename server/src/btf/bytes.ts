import { BtfError } from './errors';

/**
 * Bounds-checked fixed-endian reads over a byte range. Every read checks the range first so that corrupt input
 * turns into a BtfError naming what was being read, never a RangeError or a silent out-of-range value.
 */
export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    /** Names the blob in error messages ("ELF", "BTF", ".BTF_ids"). */
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throws unless [offset, offset + size) lies inside the data. */
  check(offset: number, size: number, context: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      throw new BtfError(`${this.what}: ${context} at offset ${offset} (+${size}) is outside the ${this.bytes.length}-byte data`);
    }
  }

  u8(offset: number, context = 'byte'): number {
    this.check(offset, 1, context);
    return this.view.getUint8(offset);
  }

  u16(offset: number, context = 'u16'): number {
    this.check(offset, 2, context);
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(offset: number, context = 'u32'): number {
    this.check(offset, 4, context);
    return this.view.getUint32(offset, this.littleEndian);
  }

  i32(offset: number, context = 'i32'): number {
    this.check(offset, 4, context);
    return this.view.getInt32(offset, this.littleEndian);
  }

  u64(offset: number, context = 'u64'): bigint {
    this.check(offset, 8, context);
    return this.view.getBigUint64(offset, this.littleEndian);
  }

  /** A u64 that must fit a JS number (file offsets and sizes); larger values cannot be valid in a Buffer anyway. */
  u64AsNumber(offset: number, context = 'u64'): number {
    const value = this.u64(offset, context);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new BtfError(`${this.what}: ${context} ${value} is too large`);
    return Number(value);
  }

  /** A sub-range view (no copy). */
  slice(offset: number, size: number, context: string): Uint8Array {
    this.check(offset, size, context);
    return this.bytes.subarray(offset, offset + size);
  }
}

/** Reads a NUL-terminated string starting at offset inside bytes; the NUL must exist before the end. */
export function readCString(bytes: Uint8Array, offset: number, what: string): string {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= bytes.length) {
    throw new BtfError(`${what}: string offset ${offset} is outside the ${bytes.length}-byte string table`);
  }
  const end = bytes.indexOf(0, offset);
  if (end < 0) throw new BtfError(`${what}: string at offset ${offset} is not NUL-terminated`);
  return textDecoder.decode(bytes.subarray(offset, end));
}

const textDecoder = new TextDecoder('utf-8');
