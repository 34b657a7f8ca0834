// SPDX-License-Identifier: MIT
/**
 * The eigenvalue cache of DSE and ASE (the reference's `eigval_save_path`): a numpy `.npz`
 * (what `np.savez(f, eigvals=...)` writes) holding `eigvals.npy`. When the file exists its
 * eigenvalues are used; otherwise they are computed, rounded to `eigvalSavePrecision` and saved.
 *
 * Beyond the reference, which reuses a cache computed on any data, files written here carry a
 * second member, `fingerprint.npy`: a uint8 array holding UTF-8 JSON that describes what produced
 * the eigenvalues (shape of X, kernel and its parameters, method, precisions, SHA-256 of X and of
 * the subsampled row indices). numpy ignores it when reading `eigvals`. When X is given and the
 * fingerprint disagrees, the call fails with `ERR_DSE_CACHE_STALE`. Files without a fingerprint
 * (written by Python) are used as the reference uses them. Writes are atomic (temporary file in the
 * same folder, fsync, rename), so no reader ever sees half a file. A file is read only when it is
 * a regular file of at most MAX_CACHE_FILE_BYTES, opened without blocking (a FIFO or a device at
 * the path is refused, never waited on or read forever); the async API does all of its file work
 * on the libuv pool.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import { DseError, describe, invalid } from './errors';
import { digest, io, type Plan } from './plan';
import { writeFileAtomic, writeFileAtomicAsync } from './io/atomic';
import { log } from './log';
import { roundToFloat16 } from './io/float16';
import { readNpz, encodeNpz } from './io/npz';
import type { NpyArray, NpyDtype } from './io/npy';
import { LITTLE_ENDIAN_HOST } from './io/endian';
import { oneOf, type Matrix, type OptionRule } from './validate';

/** Element type of the saved eigenvalues (the reference's `eigval_save_precision`). */
export type EigvalSavePrecision = 'float16' | 'float32' | 'float64';

/** What produced the eigenvalues of a cache file written by this package. */
export interface CacheFingerprint {
  /** Always `'dse-dsmi eigenvalue cache'`. */
  format: string;
  /** Layout version of this record (1). */
  version: number;
  /** Rows N and columns D of X. */
  rows: number;
  cols: number;
  /** Rows the eigenvalues were computed from (N, or maxN when X was subsampled). */
  rowsUsed: number;
  /** SHA-256 (hex) of the subsampled row indices as little-endian int32, or null when all rows were used. */
  subsetSha256: string | null;
  /**
   * `'diffusion'` (DSE, and ASE with `anisotropic`: the same K = D^-1/2 G D^-1/2), `'gaussian'` (ASE) or `'knn'` (ASE
   * with `useKnn`).
   */
  kernel: 'diffusion' | 'gaussian' | 'knn';
  /** Bandwidth of the Gaussian kernel (null for the kNN adjacency, which ignores it). */
  gaussianKernelSigma: number | null;
  /** Neighbours of the kNN adjacency (null for the other kernels). */
  knn: number | null;
  /** `'exact'` (eigensolver) or `'chebyshev'` (`chebyshevApprox`). */
  method: 'exact' | 'chebyshev';
  /** Seed of the Chebyshev probes as a decimal string; null for exact eigenvalues or unseeded probes. */
  probeSeed: string | null;
  /** Working precision of the kernel and solver. */
  precision: 'float64' | 'float32';
  /** Element type of the saved eigenvalues. */
  eigvalSavePrecision: EigvalSavePrecision;
  /** SHA-256 (hex) of X's values as row-major little-endian float64 (a float32 X is widened first). */
  dataSha256: string;
}

/** A cache file's content. */
export interface EigenvalueCacheFile {
  /** The eigenvalues, converted to float64 as the reference does (`astype(np.float64)`). */
  eigenvalues: Float64Array;
  /** Their element type in the file. */
  dtype: NpyDtype;
  /** The fingerprint, or null for a file without one (written by the Python reference). */
  fingerprint: CacheFingerprint | null;
}

const FORMAT = 'dse-dsmi eigenvalue cache';
const VERSION = 1;
const ADVICE = 'Delete the file to recompute it, or choose another eigvalSavePath';

/** The `eigvalSavePath` option: a file path, or null (no cache). */
export const cachePathOption: OptionRule<string | null> = {
  default: null,
  parse(v, name) {
    if (v === null) return null;
    if (typeof v !== 'string' || v.length === 0 || v.includes('\u0000'))
      throw invalid('ERR_DSE_OPTION', name, 'a non-empty file path string (a .npz file), or null for no cache', v);
    return v;
  },
};

/** The `eigvalSavePrecision` option. */
export const savePrecisionOption: OptionRule<EigvalSavePrecision> = oneOf<EigvalSavePrecision>('float16', [
  'float16',
  'float32',
  'float64',
]);

function cacheError(path: string, what: string, cause?: unknown): DseError {
  return new DseError(
    'ERR_DSE_CACHE',
    `The eigenvalue cache ${JSON.stringify(path)} ${what}`,
    cause === undefined ? undefined : { cause },
  );
}

function messageOf(e: unknown): string {
  const m = (e as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : String(e);
}

/**
 * Largest eigenvalue cache file read: 64 MiB holds 8 million float64 eigenvalues, more than any
 * kernel this package can diagonalise has. A larger file is refused before it is read.
 */
export const MAX_CACHE_FILE_BYTES = 64 * 2 ** 20;

// Opening a FIFO for reading would block until a writer appears; with O_NONBLOCK it returns at
// once and the check below refuses it. (Not defined on Windows, which has no FIFOs to open.)
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** The open's failure as "absent" (null) or an ERR_DSE_CACHE error. */
function openFailure(path: string, e: unknown): null {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return null;
  if (code === 'EISDIR') throw cacheError(path, `is a folder, not a .npz file. ${ADVICE}.`, e);
  throw cacheError(
    path,
    `cannot be read: ${messageOf(e)}. Check its permissions, or choose another eigvalSavePath.`,
    e,
  );
}

function kindOf(stat: fs.Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Throws unless what was opened is a regular file of a size a cache may have. */
function checkOpened(path: string, stat: fs.Stats): number {
  if (stat.isDirectory()) throw cacheError(path, `is a folder, not a .npz file. ${ADVICE}.`);
  if (!stat.isFile())
    throw cacheError(path, `is ${kindOf(stat)}, not a regular .npz file: it is never read. ${ADVICE}.`);
  if (stat.size > MAX_CACHE_FILE_BYTES)
    throw cacheError(
      path,
      `is ${stat.size} bytes, more than the ${MAX_CACHE_FILE_BYTES} bytes (64 MiB) an eigenvalue cache may have. ` +
        `${ADVICE}.`,
    );
  return stat.size;
}

function readFailure(path: string, e: unknown): DseError {
  if (e instanceof DseError) return e;
  return cacheError(
    path,
    `cannot be read: ${messageOf(e)}. Check its permissions, or choose another eigvalSavePath.`,
    e,
  );
}

/** The file's bytes, or null when nothing is there (as `os.path.exists` sees it). */
function readIfPresent(path: string): Uint8Array | null {
  let fd: number;
  try {
    fd = fs.openSync(path, OPEN_FLAGS);
  } catch (e) {
    return openFailure(path, e);
  }
  try {
    const size = checkOpened(path, fs.fstatSync(fd));
    const bytes = new Uint8Array(size);
    let got = 0;
    // A file truncated meanwhile ends early; decoding then reports it as truncated.
    for (let n = -1; got < size && n !== 0; got += n) n = fs.readSync(fd, bytes, got, size - got, got);
    return bytes.subarray(0, got);
  } catch (e) {
    throw readFailure(path, e);
  } finally {
    fs.closeSync(fd);
  }
}

/** {@link readIfPresent} with its file work on the libuv pool. */
async function readIfPresentAsync(path: string): Promise<Uint8Array | null> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(path, OPEN_FLAGS);
  } catch (e) {
    return openFailure(path, e);
  }
  try {
    const size = checkOpened(path, await handle.stat());
    const bytes = new Uint8Array(size);
    let got = 0;
    for (let n = -1; got < size && n !== 0; got += n) n = (await handle.read(bytes, got, size - got, got)).bytesRead;
    return bytes.subarray(0, got);
  } catch (e) {
    throw readFailure(path, e);
  } finally {
    await handle.close();
  }
}

function numbersOf(a: NpyArray): Float64Array {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(a.data[i]);
  return out;
}

function parseFingerprint(path: string, a: NpyArray): CacheFingerprint {
  const bad = (why: string) => cacheError(path, `has an unreadable fingerprint (${why}). ${ADVICE}.`);
  if (a.dtype !== 'uint8' || a.shape.length !== 1)
    throw bad(`expected a 1-D uint8 array but found ${a.dtype} of shape [${a.shape.join(', ')}]`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(a.data as Uint8Array));
  } catch (e) {
    throw bad(`not UTF-8 JSON: ${messageOf(e)}`);
  }
  const f = value as Partial<CacheFingerprint> | null;
  if (typeof f !== 'object' || f === null || f.format !== FORMAT) throw bad(`not a ${FORMAT} record`);
  if (f.version !== VERSION)
    throw cacheError(
      path,
      `was written by another version of dse-dsmi (fingerprint version ${describe(f.version)}, this one reads ` +
        `${VERSION}). ${ADVICE}.`,
    );
  return f as CacheFingerprint;
}

/**
 * Largest inflated size of a cache file's members: 64 MiB holds 8 million float64 eigenvalues
 * (far beyond any exact eigendecomposition) and its fingerprint; more is corruption or a bomb.
 */
export const CACHE_MAX_BYTES = 64 * 1024 ** 2;

function decodeCache(path: string, bytes: Uint8Array): EigenvalueCacheFile {
  let members: Record<string, NpyArray>;
  try {
    members = readNpz(bytes, { maxBytes: CACHE_MAX_BYTES });
  } catch (e) {
    throw cacheError(path, `is not a readable .npz file (truncated or corrupt?): ${messageOf(e)}. ${ADVICE}.`, e);
  }
  const ev = Object.prototype.hasOwnProperty.call(members, 'eigvals') ? members.eigvals : undefined;
  if (!ev) {
    const names = Object.keys(members);
    throw cacheError(
      path,
      `holds no "eigvals" array (members: ${names.length ? names.join(', ') : 'none'}). ${ADVICE}.`,
    );
  }
  const eigenvalues = numbersOf(ev);
  if (eigenvalues.length === 0) throw cacheError(path, `holds no eigenvalues (an empty array). ${ADVICE}.`);
  for (let i = 0; i < eigenvalues.length; i++)
    if (!Number.isFinite(eigenvalues[i]))
      throw cacheError(path, `holds a non-finite eigenvalue (${describe(eigenvalues[i])} at index ${i}). ${ADVICE}.`);
  const fp = Object.prototype.hasOwnProperty.call(members, 'fingerprint') ? members.fingerprint : undefined;
  return { eigenvalues, dtype: ev.dtype, fingerprint: fp ? parseFingerprint(path, fp) : null };
}

/**
 * Reads an eigenvalue cache file (written by this package or by the Python reference): its
 * eigenvalues as float64, their dtype in the file, and the fingerprint (null when there is none).
 * A missing, unreadable, truncated or corrupt file throws `ERR_DSE_CACHE`.
 *
 * @example
 * ```ts
 * const { eigenvalues, dtype, fingerprint } = readEigenvalueCache('cache/epoch3.npz');
 * // dtype 'float16'; fingerprint?.gaussianKernelSigma === 10
 * ```
 */
export function readEigenvalueCache(path: string): EigenvalueCacheFile {
  if (typeof path !== 'string' || path.length === 0)
    throw invalid('ERR_DSE_TYPE', 'path', 'a non-empty file path string', path);
  const bytes = readIfPresent(path);
  if (!bytes) throw cacheError(path, 'does not exist');
  return decodeCache(path, bytes);
}

/**
 * The eigenvalues rounded to a save precision, as `astype(dtype)` would round them (float16
 * bit-identical to numpy's; float32 with `Math.fround`; float64 unchanged), back in float64.
 */
export function roundEigenvalues(ev: ArrayLike<number>, precision: EigvalSavePrecision): Float64Array {
  if (precision === 'float16') return roundToFloat16(ev);
  const out = Float64Array.from(ev);
  if (precision === 'float32') for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]);
  return out;
}

/** How the eigenvalues of one call are produced, for the fingerprint. */
export interface CacheSettings {
  path: string | null;
  savePrecision: EigvalSavePrecision;
  kernel: CacheFingerprint['kernel'];
  gaussianKernelSigma: number | null;
  knn: number | null;
  method: CacheFingerprint['method'];
  probeSeed: number | bigint | null;
  precision: CacheFingerprint['precision'];
  verbose: boolean;
}

/** X's values as row-major little-endian float64 bytes (a view when they already are). */
function float64Bytes(X: Matrix): Uint8Array {
  const { data } = X;
  if (LITTLE_ENDIAN_HOST && data instanceof Float64Array && !(data.buffer instanceof SharedArrayBuffer))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i], true);
  return out;
}

function subsetSha256(rows: Int32Array | null): string | null {
  if (!rows) return null;
  const bytes = new Uint8Array(rows.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < rows.length; i++) view.setInt32(i * 4, rows[i], true);
  return createHash('sha256').update(bytes).digest('hex');
}

/** Fields compared between a file and a call, cheapest first, with how to name them. */
const FIELDS: [keyof CacheFingerprint, string][] = [
  ['rows', 'the number of rows of X'],
  ['cols', 'the number of columns of X'],
  ['kernel', 'the kernel'],
  ['gaussianKernelSigma', 'gaussianKernelSigma'],
  ['knn', 'knn'],
  ['method', 'the eigenvalue method (chebyshevApprox)'],
  ['probeSeed', 'the Chebyshev probe seed (randomSeed)'],
  ['precision', 'precision'],
  ['eigvalSavePrecision', 'eigvalSavePrecision'],
  ['rowsUsed', 'the number of rows used (maxN)'],
  ['subsetSha256', 'the subsampled rows (maxN, randomSeed)'],
  ['dataSha256', "the SHA-256 of X's values"],
];

function show(key: keyof CacheFingerprint, v: unknown): string {
  if (typeof v === 'string' && key.endsWith('Sha256')) return `${v.slice(0, 12)}...`;
  return v === undefined ? 'missing' : JSON.stringify(v);
}

function differences(file: CacheFingerprint, now: Partial<CacheFingerprint>): (keyof CacheFingerprint)[] {
  const out: (keyof CacheFingerprint)[] = [];
  for (const [key] of FIELDS) {
    if (!(key in now)) continue;
    // Unseeded probes are one random draw among all: any seed's estimate is as good.
    if (key === 'probeSeed' && (file.probeSeed === null || now.probeSeed === null)) continue;
    if (file[key] !== now[key]) out.push(key);
  }
  return out;
}

function staleError(
  path: string,
  file: CacheFingerprint,
  now: Partial<CacheFingerprint>,
  keys: (keyof CacheFingerprint)[],
): DseError {
  const label = new Map(FIELDS);
  const [first, ...rest] = keys;
  const more = rest.length ? ` (also different: ${rest.map((k) => label.get(k)).join(', ')})` : '';
  return new DseError(
    'ERR_DSE_CACHE_STALE',
    `The eigenvalue cache ${JSON.stringify(path)} was computed from other data or parameters: ` +
      `${label.get(first)} is ${show(first, file[first])} in the file but ${show(first, now[first])} in this ` +
      `call${more}. ` +
      `${ADVICE} (or pass X = null to use the cached eigenvalues as they are).`,
  );
}

/**
 * Inside a plan: the eigenvalues of one DSE/ASE call through the cache. Without a path, just
 * `compute()`. With one: an existing file's eigenvalues (after checking its fingerprint against X
 * when X is given); else `compute()`, rounded to the save precision, written atomically with a
 * fingerprint, and returned rounded (so the saving run and every later run give the same value).
 */
export function* cachedEigenvalues(
  X: Matrix | null,
  rows: Int32Array | null,
  s: CacheSettings,
  compute: () => Plan<Float64Array>,
): Plan<Float64Array> {
  const { path } = s;
  if (path === null) return yield* compute();
  const bytes = yield* io(
    () => readIfPresent(path),
    () => readIfPresentAsync(path),
  );
  if (bytes) {
    log(s.verbose, `Loading pre-computed eigenvalues from ${path}`);
    const cached = decodeCache(path, bytes);
    if (X && cached.fingerprint) {
      const now: Partial<CacheFingerprint> = describeCall(X, rows, s);
      let diff = differences(cached.fingerprint, now);
      if (diff.length === 0) {
        now.dataSha256 = yield* digest(float64Bytes(X));
        diff = differences(cached.fingerprint, now);
      }
      if (diff.length) throw staleError(path, cached.fingerprint, now, diff);
    }
    log(s.verbose, 'Pre-computed eigenvalues loaded.');
    return cached.eigenvalues;
  }
  if (!X)
    throw new DseError(
      'ERR_DSE_CACHE',
      `Expected an eigenvalue cache at eigvalSavePath ${JSON.stringify(path)} because X is null, but there is no ` +
        `such file. ` +
        'Pass X to compute the eigenvalues (and save them there).',
    );
  const computed = yield* compute();
  const rounded = roundEigenvalues(computed, s.savePrecision);
  for (let i = 0; i < rounded.length; i++)
    if (!Number.isFinite(rounded[i]))
      throw new DseError(
        'ERR_DSE_CACHE',
        `Expected eigenvalues that fit in eigvalSavePrecision '${s.savePrecision}' but eigenvalue ${computed[i]} ` +
          `does not ` +
          `(largest float16: 65504). Use eigvalSavePrecision 'float32' or 'float64'; nothing was written to ` +
          `${JSON.stringify(path)}.`,
      );
  const fingerprint: CacheFingerprint = { ...describeCall(X, rows, s), dataSha256: yield* digest(float64Bytes(X)) };
  const json = new TextEncoder().encode(JSON.stringify(fingerprint));
  const archive = encodeNpz({
    eigvals: { data: rounded, dtype: s.savePrecision },
    fingerprint: { data: json, dtype: 'uint8' },
  });
  const writeError = (e: unknown) => cacheError(path, `could not be written: ${messageOf(e)}`, e);
  yield* io(
    () => {
      try {
        writeFileAtomic(path, archive);
      } catch (e) {
        throw writeError(e);
      }
    },
    () => writeFileAtomicAsync(path, archive).catch((e: unknown) => Promise.reject(writeError(e))),
  );
  log(s.verbose, `Eigenvalues saved to ${path}`);
  return rounded;
}

function describeCall(X: Matrix, rows: Int32Array | null, s: CacheSettings): Omit<CacheFingerprint, 'dataSha256'> {
  return {
    format: FORMAT,
    version: VERSION,
    rows: X.rows,
    cols: X.cols,
    rowsUsed: rows ? rows.length : X.rows,
    subsetSha256: subsetSha256(rows),
    kernel: s.kernel,
    gaussianKernelSigma: s.gaussianKernelSigma,
    knn: s.knn,
    method: s.method,
    probeSeed: s.method === 'chebyshev' && s.probeSeed !== null ? String(s.probeSeed) : null,
    precision: s.precision,
    eigvalSavePrecision: s.savePrecision,
  };
}

/**
 * X for a function that takes the cache: a checked matrix, or null when X is null and a cache
 * path is given (the cached eigenvalues are then used unchecked, as in the reference).
 */
export function matrixOrNull(
  X: unknown,
  path: string | null,
  toMatrix: (X: unknown, name: string) => Matrix,
): Matrix | null {
  if (X === null && path !== null) return null;
  if (X === null)
    throw invalid(
      'ERR_DSE_TYPE',
      'X',
      'a matrix ({ data, rows, cols }, { data, shape }, number[][] or a 2-D tensor), or null together with an ' +
        'eigvalSavePath',
      null,
    );
  return toMatrix(X, 'X');
}
