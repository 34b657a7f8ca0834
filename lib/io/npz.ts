// SPDX-License-Identifier: MIT
/**
 * Reader and writer for numpy's `.npz` archives: zip files of `.npy` members, stored
 * (`np.savez`) or deflated (`np.savez_compressed`). The zip structure is handled by
 * `fflate`; this module adds the limits that keep hostile archives harmless:
 *
 * - the central directory is listed first (nothing inflated) and every member's declared
 *   size is checked against `maxBytes` and against what its compressed size could
 *   possibly inflate to (deflate cannot exceed ~1032:1);
 * - members are then inflated in bounded steps (16 KiB of compressed input, so at most
 *   ~17 MB of output per step) into buffers of exactly the declared size; a member
 *   producing more (a zip bomb lying about its size) or fewer bytes is rejected as soon
 *   as that shows, so memory stays within what was declared and accepted plus one step.
 *
 * CRC-32 checksums are not verified (fflate does not expose them); corruption inside a
 * stored member's data is only caught when it breaks the `.npy` structure.
 */

import { Unzip, UnzipInflate, unzipSync, zipSync } from 'fflate';
import type { UnzipFile, Zippable } from 'fflate';
import { DseError, describe, invalid, raw } from '../errors';
import { boolean, integerAtLeast, readOptions } from '../validate';
import { checkPath, writeFileAtomic } from './atomic';
import { decodeNpy, encodeNpyNamed, inputBytes, npyTotalBytes } from './npy';
import type { NpyArray, NpyArrayInput } from './npy';

/**
 * Default limit on the total inflated size of an archive's members: 4 GiB.
 *
 * @example
 * ```ts
 * readNpz(file, { maxBytes: DEFAULT_NPZ_MAX_BYTES / 4 }); // accept at most 1 GiB
 * ```
 */
export const DEFAULT_NPZ_MAX_BYTES = 4 * 1024 ** 3;

/**
 * Options of {@link readNpz}.
 *
 * @example
 * ```ts
 * const options: ReadNpzOptions = { maxBytes: 256 * 1024 ** 2 };
 * ```
 */
export interface ReadNpzOptions {
  /**
   * Largest total size, in bytes, that the members may inflate to (default 4 GiB).
   * Archives declaring or producing more are rejected with `ERR_DSE_FORMAT`.
   */
  maxBytes?: number;
}

/**
 * Options of {@link encodeNpz} and {@link writeNpz}.
 *
 * @example
 * ```ts
 * const options: EncodeNpzOptions = { compress: true }; // like np.savez_compressed
 * ```
 */
export interface EncodeNpzOptions {
  /** Deflate the members like `np.savez_compressed` (default `false`: stored, like `np.savez`). */
  compress?: boolean;
}

/** Deflate's best possible ratio is about 1032:1 (258-byte matches at 2 bits each). */
const MAX_DEFLATE_RATIO = 1032;
/** Compressed bytes handed to the inflater per step, which bounds each step's output. */
const STEP_BYTES = 1 << 14;
/** Smallest central directory entry: 46 bytes. */
const MIN_CENTRAL_ENTRY = 46;
/** Bytes of a member gathered before its .npy header must be complete (npy's own limit + 12). */
const MAX_HEAD_BYTES = (1 << 20) + 12;
/** A fixed timestamp (1980-01-01, the zip epoch) so that equal arrays give equal files. */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);

interface Member {
  name: string;
  key: string;
  compression: number;
  size: number;
  originalSize: number;
}

function formatError(where: string, field: string, expected: string, actual: string, hint?: string): DseError {
  return invalid('ERR_DSE_FORMAT', `${field} of ${where}`, expected, raw(actual), hint);
}

function messageOf(e: unknown): string {
  const message = (e as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(e);
}

/**
 * The archive without bytes prepended to it (a self-extracting stub, a header of some other
 * tool): Python's zipfile, hence numpy, finds the end-of-central-directory record and shifts
 * every offset by the difference between where the central directory is and where the record
 * says it is. The same shift, done here by dropping that many leading bytes.
 */
function withoutPrefix(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  for (let p = n - 22; p >= 0 && p >= n - 22 - 0xffff; p--) {
    if (bytes[p] !== 0x50 || bytes[p + 1] !== 0x4b || bytes[p + 2] !== 0x05 || bytes[p + 3] !== 0x06) continue;
    const u32 = (o: number) => (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24)) >>> 0;
    const cdSize = u32(p + 12);
    const cdOffset = u32(p + 16);
    if (cdOffset === 0xffffffff) return bytes; // zip64: offsets elsewhere; left to fflate
    const shift = p - cdSize - cdOffset;
    return shift > 0 && shift < n ? bytes.subarray(shift) : bytes;
  }
  return bytes;
}

/** Reads the central directory without inflating anything, validating each entry. */
function listMembers(bytes: Uint8Array, where: string, maxBytes: number): Member[] {
  const members = new Map<string, Member>();
  const keys = new Set<string>();
  const maxEntries = Math.floor(bytes.length / MIN_CENTRAL_ENTRY);
  let total = 0;
  try {
    unzipSync(bytes, {
      filter(info) {
        if (members.size >= maxEntries) {
          throw formatError(
            where,
            'the central directory',
            `at most ${maxEntries} entries for a ${bytes.length}-byte file`,
            'more',
          );
        }
        const { name, compression, size, originalSize } = info;
        const field = `member ${JSON.stringify(name)}`;
        if (!name.endsWith('.npy') || name.length <= 4) {
          throw formatError(
            where,
            field,
            'a name ending in ".npy" (an array saved by np.savez)',
            JSON.stringify(name),
            'Only .npy members are supported',
          );
        }
        const key = name.slice(0, -4);
        if (members.has(name) || keys.has(key)) throw formatError(where, field, 'each member name once', 'a duplicate');
        if (compression !== 0 && compression !== 8) {
          throw formatError(where, field, 'compression method 0 (stored) or 8 (deflate)', `method ${compression}`);
        }
        if (!Number.isSafeInteger(size) || size < 0 || size > bytes.length) {
          throw formatError(where, field, `a compressed size within the ${bytes.length}-byte file`, `${size} bytes`);
        }
        if (!Number.isSafeInteger(originalSize) || originalSize < 0) {
          throw formatError(where, field, 'a valid uncompressed size', String(originalSize));
        }
        if (compression === 0 && size !== originalSize) {
          throw formatError(where, field, `equal stored and uncompressed sizes`, `${size} and ${originalSize} bytes`);
        }
        if (compression === 8 && originalSize > size * MAX_DEFLATE_RATIO + 1024) {
          throw formatError(
            where,
            field,
            `an uncompressed size deflate can produce from ${size} bytes (at most ${size * MAX_DEFLATE_RATIO + 1024})`,
            `${originalSize} bytes`,
          );
        }
        total += originalSize;
        if (total > maxBytes) {
          throw formatError(
            where,
            field,
            `members totalling at most maxBytes = ${maxBytes} bytes once inflated`,
            `a declared total of ${total} bytes so far`,
            'Raise the maxBytes option if the archive is trusted',
          );
        }
        members.set(name, { name, key, compression, size, originalSize });
        keys.add(key);
        return false; // list only: nothing is inflated here
      },
    });
  } catch (e) {
    if (e instanceof DseError) throw e;
    const hint = bytes[0] === 0x93 && bytes[1] === 0x4e ? 'This looks like a single .npy file; use readNpy' : undefined;
    throw formatError(
      where,
      'the zip structure',
      'a zip archive as written by np.savez',
      `an unreadable archive (${messageOf(e)})`,
      hint,
    );
  }
  return [...members.values()];
}

/**
 * Inflates every member, in bounded steps, into a buffer of exactly the declared size and
 * decodes it as soon as it is complete (so only one raw member is held at a time).
 */
function extractMembers(bytes: Uint8Array, where: string, list: Member[]): Map<string, NpyArray> {
  const byName = new Map(list.map((m) => [m.name, m]));
  const started = new Set<string>();
  const done = new Map<string, NpyArray>();
  let failure: DseError | undefined;
  const fail: (e: DseError) => never = (e) => {
    failure ??= e;
    throw failure;
  };
  const unzip = new Unzip((file: UnzipFile) => {
    if (failure) throw failure;
    const found = byName.get(file.name);
    const field = `member ${JSON.stringify(file.name)}`;
    if (!found)
      fail(
        formatError(
          where,
          field,
          'a local header matching the central directory',
          'a member the central directory does not list',
        ),
      );
    const m = found;
    if (started.has(m.name)) fail(formatError(where, field, 'each member once', 'a second local header'));
    started.add(m.name);
    if (file.compression !== m.compression) {
      fail(
        formatError(
          where,
          field,
          `compression method ${m.compression} (as in the central directory)`,
          `method ${file.compression}`,
        ),
      );
    }
    if (file.originalSize !== undefined && file.originalSize !== m.originalSize) {
      fail(
        formatError(
          where,
          field,
          `${m.originalSize} bytes (as in the central directory)`,
          `${file.originalSize} bytes in its local header`,
        ),
      );
    }
    // The output buffer is allocated only once the member's .npy header has arrived and agrees
    // with the declared size: a member declaring gigabytes for a small array (or the reverse)
    // is refused before anything that size exists.
    const unreadable = (e: unknown) =>
      e instanceof DseError
        ? e
        : formatError(where, field, 'a valid .npy member', `an unreadable one (${messageOf(e)})`);
    let out: Uint8Array | null = null;
    let head = new Uint8Array(0);
    let pos = 0;
    file.ondata = (err, received, final) => {
      if (failure) throw failure;
      if (err) fail(formatError(where, field, 'valid compressed data', `corrupt data (${messageOf(err)})`));
      const chunk = received;
      if (out === null) {
        const joined = new Uint8Array(head.length + Math.min(chunk.length, MAX_HEAD_BYTES));
        joined.set(head);
        joined.set(chunk.subarray(0, joined.length - head.length), head.length);
        let total: number | null;
        try {
          total = npyTotalBytes(joined, `member ${JSON.stringify(m.name)} of ${where}`);
        } catch (e) {
          fail(unreadable(e));
        }
        if (total === null && !final && joined.length < MAX_HEAD_BYTES) {
          head = joined;
          return;
        }
        if (total !== null && total !== m.originalSize)
          fail(
            formatError(
              where,
              field,
              `a declared size equal to what its .npy header holds (${total} bytes)`,
              `${m.originalSize} bytes declared`,
            ),
          );
        out = new Uint8Array(m.originalSize); // declared, checked against maxBytes, the ratio and the header
        if (head.length > out.length)
          fail(formatError(where, field, `at most the declared ${m.originalSize} bytes once inflated`, 'more'));
        out.set(head);
        pos = head.length;
      }
      if (chunk.length > out.length - pos) {
        fail(
          formatError(
            where,
            field,
            `at most the declared ${m.originalSize} bytes once inflated`,
            'more',
            'The archive is corrupt or a zip bomb',
          ),
        );
      }
      out.set(chunk, pos);
      pos += chunk.length;
      if (final) {
        if (pos !== out.length) {
          fail(formatError(where, field, `the declared ${m.originalSize} bytes once inflated`, `${pos} bytes`));
        }
        let array: NpyArray;
        try {
          array = decodeNpy(out, `member ${JSON.stringify(m.name)} of ${where}`);
        } catch (e) {
          fail(unreadable(e));
        }
        done.set(m.name, array);
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    let off = 0;
    do {
      const end = Math.min(off + STEP_BYTES, bytes.length);
      unzip.push(bytes.subarray(off, end), end === bytes.length);
      off = end;
    } while (off < bytes.length);
  } catch (e) {
    if (failure) throw failure;
    if (e instanceof DseError) throw e;
    throw formatError(
      where,
      'the zip structure',
      'a zip archive as written by np.savez',
      `an unreadable archive (${messageOf(e)})`,
    );
  }
  for (const m of list) {
    if (!done.has(m.name)) {
      throw formatError(
        where,
        `member ${JSON.stringify(m.name)}`,
        'its complete data',
        'a member whose data is missing or truncated',
      );
    }
  }
  return done;
}

/**
 * Reads a `.npz` archive (a path, read synchronously, or the bytes) written by
 * `np.savez` or `np.savez_compressed`. Keys are the member names without `.npy`, as with
 * `np.load(path).files`; each value is read like {@link readNpy} reads a file.
 *
 * Declared sizes are checked before anything is inflated, and inflation stops as soon as
 * a member exceeds its declared size, so a hostile archive cannot exhaust memory. Malformed
 * archives (including members that are not `.npy`) throw `ERR_DSE_FORMAT`; an unreadable
 * file `ERR_DSE_IO`; a bad option `ERR_DSE_OPTION`.
 *
 * @param pathOrBytes - a file path, or the archive's bytes (`Uint8Array` or `Buffer`)
 * @param options - `maxBytes`: limit on the total inflated size (default 4 GiB)
 * @returns one {@link NpyArray} per member, keyed by name
 * @example
 * ```ts
 * const { eigvals } = readNpz('test/fixtures/cache_blobs_float64.npz');
 * // eigvals.dtype === 'float64', eigvals.shape = [500]
 * ```
 */
export function readNpz(pathOrBytes: string | Uint8Array, options?: ReadNpzOptions): Record<string, NpyArray> {
  const { maxBytes } = readOptions<Required<ReadNpzOptions>>(
    options,
    { maxBytes: integerAtLeast(DEFAULT_NPZ_MAX_BYTES, 0) },
    'readNpz',
  );
  const input = inputBytes(pathOrBytes, 'pathOrBytes', 'the .npz bytes');
  const where = input.where;
  const bytes = withoutPrefix(input.bytes);
  const list = listMembers(bytes, where, maxBytes);
  const arrays = list.length > 0 ? extractMembers(bytes, where, list) : new Map<string, NpyArray>();
  const result: Record<string, NpyArray> = {};
  for (const m of list) {
    const array = arrays.get(m.name)!;
    Object.defineProperty(result, m.key, { value: array, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/**
 * Encodes arrays as a `.npz` archive: one `<name>.npy` member per entry (see
 * {@link encodeNpy} for each array's conversions and errors), stored like `np.savez` or,
 * with `compress: true`, deflated like `np.savez_compressed`. `np.load(file)[name]`
 * returns each array with the same values, shape and dtype.
 *
 * @param arrays - the arrays by name (names must be non-empty strings)
 * @param options - `compress`: deflate the members (default `false`)
 * @returns the archive's bytes
 * @example
 * ```ts
 * const bytes = encodeNpz({ eigvals: { data: new Float64Array([1, 0.5]) } }, { compress: true });
 * readNpz(bytes).eigvals.data; // Float64Array [1, 0.5]
 * ```
 */
export function encodeNpz(arrays: Record<string, NpyArrayInput>, options?: EncodeNpzOptions): Uint8Array {
  const { compress } = readOptions<Required<EncodeNpzOptions>>(options, { compress: boolean(false) }, 'encodeNpz');
  if (arrays === null || typeof arrays !== 'object' || Array.isArray(arrays) || ArrayBuffer.isView(arrays)) {
    throw new DseError(
      'ERR_DSE_TYPE',
      `Expected an object of named arrays for arrays but received ${describe(arrays)}`,
    );
  }
  const files: Zippable = {};
  let total = 0;
  for (const name of Object.keys(arrays)) {
    if (name.length === 0) {
      throw new DseError('ERR_DSE_TYPE', 'Expected non-empty names for the keys of arrays but received ""');
    }
    if (Buffer.byteLength(name, 'utf8') > 0xffff - 4) {
      throw invalid(
        'ERR_DSE_TYPE',
        'the keys of arrays',
        'names of at most 65531 UTF-8 bytes',
        raw(`a name of ${Buffer.byteLength(name, 'utf8')} bytes`),
      );
    }
    const bytes = encodeNpyNamed(arrays[name], `arrays[${JSON.stringify(name)}]`);
    total += bytes.length + 2 * (Buffer.byteLength(name, 'utf8') + 4) + 76;
    if (total > 0xffffffff - 22) {
      throw new DseError(
        'ERR_DSE_MEMORY',
        `Expected a .npz archive under 4 GiB (zip64 is not written) for arrays but the members need ${total} bytes`,
      );
    }
    // A member name as fflate expects it: a flat key, never a nested folder object.
    Object.defineProperty(files, `${name}.npy`, {
      value: [bytes, { level: compress ? 6 : 0 }],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  try {
    return zipSync(files, { mtime: ZIP_MTIME });
  } catch (e) {
    throw new DseError('ERR_DSE_MEMORY', `Could not build the .npz archive: ${messageOf(e)}`, { cause: e });
  }
}

/**
 * Writes arrays to a `.npz` file atomically (temporary file in the same folder, fsync,
 * rename), creating missing parent folders. See {@link encodeNpz}; filesystem failures
 * give `ERR_DSE_IO`.
 *
 * @param path - destination file, e.g. `'cache/eigvals.npz'`
 * @param arrays - the arrays by name
 * @param options - `compress`: deflate the members (default `false`)
 * @example
 * ```ts
 * writeNpz('cache.npz', { eigvals: { data: [3, 2, 1], dtype: 'float16' } });
 * // python: np.load('cache.npz')['eigvals'] -> array([3., 2., 1.], dtype=float16)
 * ```
 */
export function writeNpz(path: string, arrays: Record<string, NpyArrayInput>, options?: EncodeNpzOptions): void {
  checkPath(path, 'path');
  writeFileAtomic(path, encodeNpz(arrays, options));
}
