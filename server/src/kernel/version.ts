/** Kernel versions: read from a tree's top-level Makefile, compared, and the tree root found from any path in it. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface KernelVersion {
  major: number;
  minor: number;
}

/** The newest kernel whose kfunc rules this tool knows (kfunc-spec: 7.x with KF_SPINLOCK_SAFE). */
export const NEWEST_KNOWN: KernelVersion = { major: 7, minor: 3 };

export function parseVersion(s: string): KernelVersion | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(s.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function formatVersion(v: KernelVersion): string {
  return `${v.major}.${v.minor}`;
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: KernelVersion, b: KernelVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

export function atLeast(v: KernelVersion, major: number, minor: number): boolean {
  return compareVersions(v, { major, minor }) >= 0;
}

/** `VERSION = 6` and `PATCHLEVEL = 12` from a top-level kernel Makefile. */
export function versionFromMakefile(text: string): KernelVersion | undefined {
  const major = /^VERSION\s*=\s*(\d+)\s*$/m.exec(text);
  const minor = /^PATCHLEVEL\s*=\s*(\d+)\s*$/m.exec(text);
  return major && minor ? { major: Number(major[1]), minor: Number(minor[1]) } : undefined;
}

function readMakefileVersion(dir: string): KernelVersion | undefined {
  const file = path.join(dir, 'Makefile');
  try {
    if (!existsSync(file) || statSync(file).size > 1 << 20) return undefined;
    return versionFromMakefile(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface KernelTree {
  /** The directory holding the top-level Makefile, or null when none was found. */
  root: string | null;
  version: KernelVersion | null;
}

/** Walks up from `start` (a file or directory) to the first directory whose Makefile names a kernel version. */
export function findKernelTree(start: string): KernelTree {
  let dir = path.resolve(start);
  try {
    if (!statSync(dir).isDirectory()) dir = path.dirname(dir);
  } catch {
    dir = path.dirname(dir);
  }
  for (let i = 0; i < 64; i++) {
    const version = readMakefileVersion(dir);
    if (version) return { root: dir, version };
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { root: null, version: null };
}
