// SPDX-License-Identifier: MIT
/**
 * Atomic file replacement: readers see either the old file or the complete new one,
 * never a half-written file, even if the process dies mid-write.
 */

import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { DseError, describe } from '../errors';

/**
 * Wraps a filesystem failure in a `DseError` with code `ERR_DSE_IO` (internal helper).
 *
 * @example
 * ```ts
 * try { fs.readFileSync(file); } catch (e) { throw ioError('read', file, e); }
 * // DseError ERR_DSE_IO: Could not read "a.npy": ENOENT: no such file or directory, ...
 * ```
 */
export function ioError(action: string, file: string, cause: unknown): DseError {
  // Not `instanceof Error`: errors from another realm (vm contexts, test sandboxes) fail that.
  const message = (cause as { message?: unknown } | null)?.message;
  const detail = typeof message === 'string' ? message : String(cause);
  return new DseError('ERR_DSE_IO', `Could not ${action} ${JSON.stringify(file)}: ${detail}`, { cause });
}

/**
 * Throws `ERR_DSE_TYPE` unless `file` is a non-empty string without NUL bytes (internal helper).
 *
 * @example
 * ```ts
 * checkPath(path, 'path'); // passes for 'out.npy', throws for '' or 42
 * ```
 */
export function checkPath(file: unknown, parameter: string): asserts file is string {
  if (typeof file !== 'string' || file.length === 0 || file.includes('\u0000')) {
    throw new DseError(
      'ERR_DSE_TYPE',
      `Expected a non-empty file path string for ${parameter} but received ${describe(file)}`,
    );
  }
}

/** The temporary file next to the destination. */
function temporaryPath(dir: string, base: string): string {
  // The temporary name stays short whatever the target's: a name near the 255-byte limit plus
  // the suffix would fail with ENAMETOOLONG.
  const stem = Buffer.byteLength(base) <= 64 ? base : 'dse';
  return path.join(dir, `.${stem}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function destination(file: string, bytes: Uint8Array): { target: string; dir: string; base: string } {
  checkPath(file, 'path');
  if (!(bytes instanceof Uint8Array)) {
    throw new DseError('ERR_DSE_TYPE', `Expected a Uint8Array for bytes but received ${describe(bytes)}`);
  }
  const target = path.resolve(file);
  return { target, dir: path.dirname(target), base: path.basename(target) };
}

/**
 * Writes `bytes` to `file` atomically: the bytes go to a temporary file in the same
 * folder (`.<name>.<pid>.<random>.tmp`, `.dse.<pid>.<random>.tmp` for names over 64 bytes), which is flushed to disk
 * (fsync) and then
 * renamed over `file`. Missing parent folders are created. On failure the temporary
 * file is removed and a `DseError` with code `ERR_DSE_IO` is thrown; `file` is untouched.
 *
 * @param file - destination path (relative paths resolve against the working directory)
 * @param bytes - the complete new content
 * @example
 * ```ts
 * writeFileAtomic('out/result.bin', new Uint8Array([1, 2, 3]));
 * ```
 */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const { target, dir, base } = destination(file, bytes);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioError('create the folder of', file, e);
  }
  const tmp = temporaryPath(dir, base);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o666);
    let written = 0;
    while (written < bytes.length) {
      written += fs.writeSync(fd, bytes, written, bytes.length - written);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temporary file may never have been created
    }
    throw ioError('write', file, e);
  }
  // Make the rename itself durable where the platform allows syncing a folder.
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // not supported on every platform (e.g. Windows); the data itself is already synced
  }
}

/**
 * {@link writeFileAtomic} with every file operation on the libuv pool (the async API's form):
 * the same temporary file, fsync, rename and folder sync, without blocking the event loop.
 *
 * @example
 * ```ts
 * await writeFileAtomicAsync('out/result.bin', new Uint8Array([1, 2, 3]));
 * ```
 */
export async function writeFileAtomicAsync(file: string, bytes: Uint8Array): Promise<void> {
  const { target, dir, base } = destination(file, bytes);
  try {
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (e) {
    throw ioError('create the folder of', file, e);
  }
  const tmp = temporaryPath(dir, base);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(tmp, 'wx', 0o666);
    let written = 0;
    while (written < bytes.length) {
      written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(tmp, target);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    // the temporary file may never have been created
    await fs.promises.unlink(tmp).catch(() => undefined);
    throw ioError('write', file, e);
  }
  try {
    const folder = await fs.promises.open(dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {
    // not supported on every platform (e.g. Windows); the data itself is already synced
  }
}
