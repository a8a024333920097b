// Getting ELF files out of a packaged kernel: vmlinux from an x86 bzImage, modules from .ko.{xz,zst,gz}.
// Scripts only: zstd/xz/… are decompressed by their command-line tools (installed with apt-get when missing).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const MAX_OUTPUT = 1 << 30;

interface Codec {
  name: string;
  magic: Buffer;
  /** Command that decompresses stdin to stdout. */
  command: string[];
  aptPackage: string;
}

/** Compressors the kernel's bzImage may use (CONFIG_KERNEL_*), in the order they are tried. */
const CODECS: Codec[] = [
  { name: 'zstd', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), command: ['zstd', '-dcq'], aptPackage: 'zstd' },
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), command: ['xz', '-dc', '--single-stream'], aptPackage: 'xz-utils' },
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b, 0x08]), command: [], aptPackage: '' },
  { name: 'lz4', magic: Buffer.from([0x02, 0x21, 0x4c, 0x18]), command: ['lz4', '-dc'], aptPackage: 'lz4' },
  { name: 'bzip2', magic: Buffer.from([0x42, 0x5a, 0x68]), command: ['bzip2', '-dc'], aptPackage: 'bzip2' },
  { name: 'lzma', magic: Buffer.from([0x5d, 0x00, 0x00]), command: ['xz', '-dc', '--format=lzma'], aptPackage: 'xz-utils' },
  { name: 'lzo', magic: Buffer.from([0x89, 0x4c, 0x5a, 0x4f]), command: ['lzop', '-dc'], aptPackage: 'lzop' },
];

const checkedTools = new Map<string, boolean>();

/** True when the tool runs; tries `apt-get install -y` once when it does not. */
function ensureTool(tool: string, aptPackage: string): boolean {
  const known = checkedTools.get(tool);
  if (known !== undefined) return known;
  const runs = () => !spawnSync(tool, ['--version'], { stdio: 'ignore' }).error;
  let ok = runs();
  if (!ok && aptPackage) {
    process.stderr.write(`${tool} not found; installing ${aptPackage}\n`);
    spawnSync('apt-get', ['install', '-y', '-qq', aptPackage], { stdio: ['ignore', 'ignore', 'inherit'] });
    ok = runs();
  }
  checkedTools.set(tool, ok);
  return ok;
}

/** An ELF whose section header table lies inside the buffer, i.e. not cut short. */
function isCompleteElf(buf: Buffer): boolean {
  if (buf.length < 64 || !buf.subarray(0, 4).equals(ELF_MAGIC)) return false;
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const shoff = is64 ? Number(le ? buf.readBigUInt64LE(40) : buf.readBigUInt64BE(40)) : le ? buf.readUInt32LE(32) : buf.readUInt32BE(32);
  const [shentsize, shnum] = is64 ? [u16(58), u16(60)] : [u16(46), u16(48)];
  return shoff > 0 && shoff + shentsize * shnum <= buf.length;
}

/**
 * Decompresses data that may carry trailing bytes (the bzImage payload ends with a 4-byte size, a magic-number
 * scan runs to the end of the file): a tool's non-zero exit is accepted when it still produced a complete ELF.
 */
function decompress(codec: Codec, data: Buffer): Buffer | null {
  if (codec.name === 'gzip') {
    try {
      return gunzipSync(data);
    } catch {
      return null;
    }
  }
  if (!ensureTool(codec.command[0], codec.aptPackage)) return null;
  const res = spawnSync(codec.command[0], codec.command.slice(1), { input: data, maxBuffer: MAX_OUTPUT, stdio: ['pipe', 'pipe', 'ignore'] });
  if (res.error || !res.stdout) return null;
  return res.status === 0 || isCompleteElf(res.stdout) ? res.stdout : null;
}

/** The payload the bzImage header points at (boot protocol ≥ 2.08), if any. */
function bzImagePayload(image: Buffer): Buffer | null {
  if (image.length < 0x250 || image.toString('latin1', 0x202, 0x206) !== 'HdrS') return null;
  if (image.readUInt16LE(0x206) < 0x208) return null;
  const setupSectors = image[0x1f1] || 4;
  const start = (setupSectors + 1) * 512 + image.readUInt32LE(0x248);
  const length = image.readUInt32LE(0x24c);
  if (start + length > image.length || length === 0) return null;
  return image.subarray(start, start + length);
}

function* candidates(image: Buffer): Generator<[Codec, Buffer]> {
  const payload = bzImagePayload(image);
  if (payload) {
    for (const codec of CODECS) {
      if (payload.subarray(0, codec.magic.length).equals(codec.magic)) {
        yield [codec, payload.subarray(0, payload.length - 4)]; // without the appended uncompressed size
        yield [codec, payload];
      }
    }
  }
  // Fallback: any embedded stream (what scripts/extract-vmlinux does), at most a few per format.
  for (const codec of CODECS) {
    let seen = 0;
    for (let at = image.indexOf(codec.magic); at >= 0 && seen < 8; at = image.indexOf(codec.magic, at + 1), seen++) {
      yield [codec, image.subarray(at)];
    }
  }
}

/** vmlinux (ELF) from an x86 bzImage, or the file itself when it already is an ELF. */
export function extractVmlinux(vmlinuzPath: string): Buffer {
  const image = readFileSync(vmlinuzPath);
  if (isCompleteElf(image)) return image;
  const tried = new Set<string>();
  for (const [codec, data] of candidates(image)) {
    const key = `${codec.name}:${data.byteOffset}:${data.length}`;
    if (tried.has(key)) continue;
    tried.add(key);
    const out = decompress(codec, data);
    if (out && isCompleteElf(out)) return out;
  }
  throw new Error(`${vmlinuzPath}: no compressed payload decompressed to an ELF file`);
}

function moduleCodec(path: string): Codec | null | 'gzip' {
  if (path.endsWith('.ko.xz')) return CODECS.find((c) => c.name === 'xz')!;
  if (path.endsWith('.ko.zst')) return CODECS.find((c) => c.name === 'zstd')!;
  if (path.endsWith('.ko.gz')) return 'gzip';
  if (path.endsWith('.ko')) return null;
  throw new Error(`${path}: not a kernel module (.ko, .ko.xz, .ko.zst, .ko.gz)`);
}

/** A module's ELF bytes, decompressing .ko.xz / .ko.zst / .ko.gz. */
export function readModule(path: string): Buffer {
  const codec = moduleCodec(path);
  const data = readFileSync(path);
  if (codec === null) return data;
  if (codec === 'gzip') return gunzipSync(data);
  if (!ensureTool(codec.command[0], codec.aptPackage)) throw new Error(`${codec.command[0]} is not available`);
  const res = spawnSync(codec.command[0], [...codec.command.slice(1), path], { maxBuffer: MAX_OUTPUT, stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.status !== 0) throw new Error(`${path}: ${codec.command[0]} failed: ${res.stderr?.toString().trim()}`);
  return res.stdout;
}

/** readModule without blocking: the decompressor runs as a child process, so several can run at once. */
export async function readModuleAsync(path: string): Promise<Buffer> {
  const codec = moduleCodec(path);
  if (codec === null) return readFileSync(path);
  if (codec === 'gzip') return promisify(gunzip)(readFileSync(path));
  if (!ensureTool(codec.command[0], codec.aptPackage)) throw new Error(`${codec.command[0]} is not available`);
  return new Promise((resolve, reject) => {
    const child = spawn(codec.command[0], [...codec.command.slice(1), path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`${path}: ${codec.command[0]} exited ${code}: ${Buffer.concat(err).toString().trim()}`));
    });
  });
}
