// SPDX-License-Identifier: MIT
/**
 * Diffusion spectral entropy (DSE), adjacency spectral entropy (ASE), classic Shannon entropy
 * (CSE) and the matrix-entry entropy, as the Python reference `dse-dsmi` computes them:
 * validate -> subsample (Python's random.sample) -> native spectra -> entropy in bits.
 */
import { DseError, invalid, raw } from './errors';
import { KernelCode, type NativeSpectraOptions } from './native';
import { runAsync, runSync, callerStack, spectra, binnedCounts, type Plan, type AsyncControl, type NativeRequest, type NativeResult } from './plan';
import { PythonRandom } from './random';
import { cachedEigenvalues, cachePathOption, savePrecisionOption, matrixOrNull, type CacheSettings, type EigvalSavePrecision } from './cache';
import { chebyshevSpectra } from './chebyshev';
import { METHOD_SPEC, checkSlqCombination, slqEntropies, type EntropyEstimate, type Method, type SlqOptions, type SlqResult } from './slq';
import {
  toMatrix,
  toOwnedMatrix,
  readOptions,
  positiveNumber,
  nonNegativeNumber,
  integerAtLeast,
  integerAtLeastOrNull,
  boolean,
  seed,
  oneOf,
  optionalSignal,
  memoryLimit,
  type Matrix,
  type MatrixLike,
  type OptionSpec,
} from './validate';

/** numpy's `np.finfo(float).eps`, added to every probability before the logarithm. */
export const EPS = 2 ** -52;

/** Working precision of the kernel and the eigensolver. */
export type Precision = 'float64' | 'float32';

/** Options of {@link diffusionSpectralEntropy}; each maps to the Python keyword in snake_case. */
export interface DiffusionSpectralEntropyOptions {
  /** `gaussian_kernel_sigma`: bandwidth of the Gaussian kernel. Default 10. */
  gaussianKernelSigma?: number;
  /** `t`: power of the diffusion eigenvalues (diffusion time). Default 1. */
  t?: number;
  /** `max_N`: rows above this are subsampled with Python's `random.sample`. Default 10000; `null` = no limit. */
  maxN?: number | null;
  /** `random_seed`: seed for the subsample (number or bigint). Default 0; `null` = unseeded. */
  randomSeed?: number | bigint | null;
  /** `classic_shannon_entropy`: histogram entropy of the binned vectors instead of DSE. Default false. */
  classicShannonEntropy?: boolean;
  /** `matrix_entry_entropy`: entropy of the diffusion matrix's entries instead of its eigenvalues. Default false. */
  matrixEntryEntropy?: boolean;
  /** `num_bins_per_dim`: bins per dimension for the classic Shannon entropy. Default 2. */
  numBinsPerDim?: number;
  /**
   * `chebyshev_approx`: estimate the eigenvalues from Chebyshev moments (50 moments, 100 Rademacher
   * probes seeded by `randomSeed`, kernel entries below 1e-3 zeroed) instead of computing them.
   * Not recommended, as in the reference: see README. Always float64. Default false.
   */
  chebyshevApprox?: boolean;
  /**
   * `eigval_save_path`: a .npz eigenvalue cache. If the file exists its eigenvalues are used (X may
   * then be null; a given X is checked against the file's fingerprint); otherwise they are
   * computed, rounded to `eigvalSavePrecision` and saved there. Default null (no cache).
   */
  eigvalSavePath?: string | null;
  /** `eigval_save_precision`: element type of the saved eigenvalues. Default `'float16'`. */
  eigvalSavePrecision?: EigvalSavePrecision;
  /** `verbose`: print progress to stderr. Default false. */
  verbose?: boolean;
  /** Not in the reference: `'float32'` runs the kernel and the eigensolver in single precision. Default `'float64'`. */
  precision?: Precision;
  /** Not in the reference: bytes this call may use; above, it fails with ERR_DSE_MEMORY. Default: setMemoryLimit's (80% of the machine). */
  memoryLimitBytes?: number | null;
  /**
   * Not in the reference: `'exact'` (the eigendecomposition, default) or `'slq'` (stochastic
   * Lanczos quadrature: no eigendecomposition, K in float32, for large N; an estimate with a
   * standard error, see the `...Detailed` functions and docs/performance.md). Probes are seeded
   * by `randomSeed`.
   */
  method?: Method;
  /** Not in the reference: tuning of `method: 'slq'` (probes, lanczosSteps, blockSize, blockIterations). */
  slq?: SlqOptions;
  /** Promise forms only: aborts the call (it rejects with an `AbortError`). The `...Sync` forms refuse it. */
  signal?: AbortSignal;
}

/** Options of {@link diffusionSpectralEntropySync}: those of the Promise form but `signal`. */
export type DiffusionSpectralEntropySyncOptions = Omit<DiffusionSpectralEntropyOptions, 'signal'>;

/** Options of {@link adjacencySpectralEntropy}. */
export interface AdjacencySpectralEntropyOptions {
  /** `gaussian_kernel_sigma`. Default 10. */
  gaussianKernelSigma?: number;
  /** `anisotropic`: use the normalised kernel D^-1/2 G D^-1/2. Default false. */
  anisotropic?: boolean;
  /** `use_knn`: binarised kNN adjacency (ignores sigma). Default false. */
  useKnn?: boolean;
  /** `knn`: neighbours per row, self included. Default 10. */
  knn?: number;
  /** `max_N`. Default 10000; `null` = no limit. */
  maxN?: number | null;
  /** `random_seed`. Default 0; `null` = unseeded. */
  randomSeed?: number | bigint | null;
  /** `eigval_save_path`: a .npz eigenvalue cache, as for {@link diffusionSpectralEntropy}. Default null. */
  eigvalSavePath?: string | null;
  /** `eigval_save_precision`. Default `'float16'`. */
  eigvalSavePrecision?: EigvalSavePrecision;
  /** `verbose`. Default false. */
  verbose?: boolean;
  /** Not in the reference: working precision. Default `'float64'`. */
  precision?: Precision;
  /** Not in the reference: bytes this call may use; above, it fails with ERR_DSE_MEMORY. Default: setMemoryLimit's (80% of the machine). */
  memoryLimitBytes?: number | null;
  /**
   * Not in the reference: `'exact'` (the eigendecomposition, default) or `'slq'` (stochastic
   * Lanczos quadrature: no eigendecomposition, K in float32, for large N; an estimate with a
   * standard error, see the `...Detailed` functions and docs/performance.md). Probes are seeded
   * by `randomSeed`.
   */
  method?: Method;
  /** Not in the reference: tuning of `method: 'slq'` (probes, lanczosSteps, blockSize, blockIterations). */
  slq?: SlqOptions;
  /** Promise forms only: aborts the call (it rejects with an `AbortError`). The `...Sync` forms refuse it. */
  signal?: AbortSignal;
}

/** Options of {@link adjacencySpectralEntropySync}: those of the Promise form but `signal`. */
export type AdjacencySpectralEntropySyncOptions = Omit<AdjacencySpectralEntropyOptions, 'signal'>;

/** Options of {@link diffusionEigenvalues}. */
export interface DiffusionEigenvaluesOptions {
  /** Bandwidth of the Gaussian kernel. Default 10. */
  gaussianKernelSigma?: number;
  /** Working precision. Default `'float64'`. */
  precision?: Precision;
  /** Bytes this call may use. Default: setMemoryLimit's. */
  memoryLimitBytes?: number | null;
  /** Promise forms only: aborts the call (it rejects with an `AbortError`). The `...Sync` forms refuse it. */
  signal?: AbortSignal;
}

/** Options of {@link diffusionEigenvaluesSync}: those of the Promise form but `signal`. */
export type DiffusionEigenvaluesSyncOptions = Omit<DiffusionEigenvaluesOptions, 'signal'>;

/** Options of {@link spectralEntropy}. */
export interface SpectralEntropyOptions {
  /** Power applied to |eigenvalue| before normalising. Default 1. */
  t?: number;
}

type Resolved<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
type DseResolved = Resolved<DiffusionSpectralEntropySyncOptions>;
type AseResolved = Resolved<AdjacencySpectralEntropySyncOptions>;

const common = {
  gaussianKernelSigma: positiveNumber(10),
  maxN: integerAtLeastOrNull(10000, 1),
  randomSeed: seed(0),
  verbose: boolean(false),
  precision: oneOf<Precision>('float64', ['float64', 'float32']),
  memoryLimitBytes: memoryLimit(),
};

export const DSE_SPEC: OptionSpec<DseResolved> = {
  ...common,
  t: nonNegativeNumber(1),
  classicShannonEntropy: boolean(false),
  matrixEntryEntropy: boolean(false),
  numBinsPerDim: integerAtLeast(2, 1),
  chebyshevApprox: boolean(false),
  eigvalSavePath: cachePathOption,
  eigvalSavePrecision: savePrecisionOption,
  ...METHOD_SPEC,
};

export const ASE_SPEC: OptionSpec<AseResolved> = {
  ...common,
  anisotropic: boolean(false),
  useKnn: boolean(false),
  knn: integerAtLeast(10, 1),
  eigvalSavePath: cachePathOption,
  eigvalSavePrecision: savePrecisionOption,
  ...METHOD_SPEC,
};

const asyncSpec = { signal: optionalSignal() };

// ---------------------------------------------------------------------------------------------
// Pieces shared with the mutual-information plans

/** Python's global `random` generator: seeded calls re-seed it, unseeded calls continue it. */
let pythonGlobal: PythonRandom | undefined;
export function pythonGlobalRandom(): PythonRandom {
  return (pythonGlobal ??= new PythonRandom(null));
}

/**
 * The reference's subsampling: with more than `maxN` rows, `random.seed(seed)` (skipped for a
 * null seed) then `random.sample(range(N), maxN)`. Returns the row indices, or null for all rows.
 */
export function subsampleRows(n: number, maxN: number | null, randomSeed: number | bigint | null): Int32Array | null {
  if (maxN === null || n <= maxN) return null;
  const rng = pythonGlobalRandom();
  if (randomSeed !== null) rng.seed(randomSeed);
  return Int32Array.from(rng.sample(n, maxN));
}

/** Sum with Neumaier compensation: near-exact, so the order of terms does not matter. */
export function accurateSum(values: ArrayLike<number>): number {
  let sum = 0;
  let c = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const t = sum + v;
    c += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + c;
}

/** -sum (p + eps) log2(p + eps), the reference's last step, for probabilities p. */
export function entropyBits(p: ArrayLike<number>): number {
  const terms = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const q = p[i] + EPS;
    terms[i] = q * Math.log2(q);
  }
  return -accurateSum(terms);
}

export function probabilitiesFromEigenvalues(eigenvalues: ArrayLike<number>, t: number, name: string): Float64Array {
  const n = eigenvalues.length;
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = Math.abs(eigenvalues[i]) ** t;
  let sum = accurateSum(ev);
  if (!Number.isFinite(sum) || sum < 2.2250738585072014e-308) {
    // |lambda|^t overflowed, or underflowed to zero or to subnormals (which lose digits): the
    // same distribution, computed relative to the largest modulus.
    let max = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(eigenvalues[i]));
    for (let i = 0; i < n; i++) ev[i] = (Math.abs(eigenvalues[i]) / max) ** t;
    sum = accurateSum(ev);
  }
  if (!(sum > 0) || !Number.isFinite(sum))
    throw new DseError(
      'ERR_DSE_NON_FINITE',
      `Expected ${name} with a positive sum of |eigenvalue|^t but received a sum of ${sum}: the entropy is undefined`,
    );
  for (let i = 0; i < n; i++) ev[i] /= sum;
  return ev;
}

/**
 * The entropy (bits) of a spectrum: p = |lambda|^t / sum |lambda|^t, then
 * -sum (p + eps) log2(p + eps), exactly the last step of the reference's DSE.
 *
 * @example
 * ```ts
 * spectralEntropy(new Float64Array([1, 1, 0, 0]));        // ~1 bit
 * spectralEntropy(new Float64Array([1, 0.5]), { t: 2 }); // 0.7219...
 * ```
 */
export function spectralEntropy(eigenvalues: ArrayLike<number>, options?: SpectralEntropyOptions): number {
  const { t } = readOptions(options, { t: nonNegativeNumber(1) }, 'spectralEntropy');
  if (eigenvalues === null || typeof eigenvalues !== 'object' || typeof (eigenvalues as ArrayLike<number>).length !== 'number')
    throw invalid('ERR_DSE_TYPE', 'eigenvalues', 'a Float64Array or an array of numbers', eigenvalues);
  if (eigenvalues.length === 0) throw invalid('ERR_DSE_SHAPE', 'eigenvalues', 'at least 1 value', raw('an empty array'));
  for (let i = 0; i < eigenvalues.length; i++) {
    const v = eigenvalues[i];
    if (typeof v !== 'number') throw invalid('ERR_DSE_TYPE', `eigenvalues[${i}]`, 'a number', v);
    if (!Number.isFinite(v)) throw invalid('ERR_DSE_NON_FINITE', `eigenvalues[${i}]`, 'a finite number', v);
  }
  return entropyBits(probabilitiesFromEigenvalues(eigenvalues, t, 'eigenvalues'));
}

/**
 * Classic Shannon entropy of each subset of the rows of X (null: all rows): min-max scale each
 * column, bin with numpy's `digitize(v, linspace(0, 1, bins + 1)[:-1])`, count identical rows,
 * p = count / N. A constant column (0/0 in the reference) puts every row in one bin, as it does
 * there, but without producing NaN. The binning and counting run in native (binnedRowCounts), so
 * that the async forms run them on the compute thread, abortably.
 */
export function* classicShannonEntropies(X: Matrix, subsets: Int32Array[] | null, bins: number): Generator<NativeRequest, number[], NativeResult> {
  const groups = yield* binnedCounts(X, subsets, bins);
  return groups.map((counts) => {
    const rows = accurateSum(counts);
    const p = new Float64Array(counts.length);
    // numpy's unique() sorts the rows; the entropy does not depend on the order.
    for (let i = 0; i < counts.length; i++) p[i] = counts[i] / rows;
    return entropyBits(p);
  });
}

export function log(verbose: boolean, message: string): void {
  if (verbose) process.stderr.write(`dse-dsmi: ${message}\n`);
}

export function nativeOptions(kind: KernelCode, sigma: number, knn: number, precision: Precision, entry = false): NativeSpectraOptions {
  return { kind, sigma, knn, precision: precision === 'float32' ? 1 : 0, output: entry ? 1 : 0 };
}

// ---------------------------------------------------------------------------------------------
// Plans

export function* dsePlan(X: Matrix | null, o: DseResolved): Plan<number> {
  if (o.eigvalSavePath !== null && (o.classicShannonEntropy || o.matrixEntryEntropy))
    throw new DseError(
      'ERR_DSE_OPTION',
      `Expected eigvalSavePath only with the eigenvalue entropy but received it with ${o.classicShannonEntropy ? 'classicShannonEntropy' : 'matrixEntryEntropy'}: ` +
        'that entropy uses no eigenvalues, so nothing would be cached (the Python reference ignores the path silently). Remove one of the two options',
    );
  checkSlqCombination(o, 'diffusionSpectralEntropy');
  if (o.method === 'slq') return (yield* dseSlqPlan(X, o)).value;
  // As in the reference, X = null (a cache hit) draws no subsample.
  const rows = X ? subsampleRows(X.rows, o.maxN, o.randomSeed) : null;
  if (!X) {
    const ev = yield* cachedEigenvalues(null, null, dseCache(o), () => {
      throw new Error('unreachable: no X and no cache');
    });
    return entropyBits(probabilitiesFromEigenvalues(ev, o.t, 'the cached diffusion eigenvalues'));
  }
  if (o.classicShannonEntropy) {
    log(o.verbose, 'Computing Classic Shannon Entropy...');
    const [h] = yield* classicShannonEntropies(X, rows ? [rows] : null, o.numBinsPerDim);
    return h;
  }
  log(o.verbose, 'Computing Diffusion Spectral Entropy...');
  const subsets = rows ? [rows] : null;
  if (o.matrixEntryEntropy) {
    const [h] = yield* spectra(X, subsets, nativeOptions(KernelCode.Diffusion, o.gaussianKernelSigma, 1, o.precision, true));
    return h[0];
  }
  const ev = yield* cachedEigenvalues(X, rows, dseCache(o), function* () {
    if (o.chebyshevApprox) {
      log(o.verbose, 'Using Chebyshev approximation.');
      const [approx] = yield* chebyshevSpectra(X, subsets, o.gaussianKernelSigma, o.randomSeed);
      return approx;
    }
    const [exact] = yield* spectra(X, subsets, nativeOptions(KernelCode.Diffusion, o.gaussianKernelSigma, 1, o.precision));
    log(o.verbose, 'Eigenvalues computed.');
    return exact;
  });
  return entropyBits(probabilitiesFromEigenvalues(ev, o.t, 'the diffusion eigenvalues'));
}

function dseCache(o: DseResolved): CacheSettings {
  return {
    path: o.eigvalSavePath,
    savePrecision: o.eigvalSavePrecision,
    kernel: 'diffusion',
    gaussianKernelSigma: o.gaussianKernelSigma,
    knn: null,
    method: o.chebyshevApprox ? 'chebyshev' : 'exact',
    probeSeed: o.randomSeed,
    precision: o.chebyshevApprox ? 'float64' : o.precision,
    verbose: o.verbose,
  };
}

function aseCache(o: AseResolved): CacheSettings {
  return {
    path: o.eigvalSavePath,
    savePrecision: o.eigvalSavePrecision,
    kernel: o.useKnn ? 'knn' : o.anisotropic ? 'diffusion' : 'gaussian',
    gaussianKernelSigma: o.useKnn ? null : o.gaussianKernelSigma,
    knn: o.useKnn ? o.knn : null,
    method: 'exact',
    probeSeed: null,
    precision: o.precision,
    verbose: o.verbose,
  };
}

export function aseKernel(o: Pick<AseResolved, "useKnn" | "anisotropic">): KernelCode {
  if (o.useKnn) return KernelCode.Knn;
  return o.anisotropic ? KernelCode.Anisotropic : KernelCode.Gaussian;
}

export function* asePlan(X: Matrix | null, o: AseResolved): Plan<number> {
  checkSlqCombination(o, 'adjacencySpectralEntropy');
  if (o.method === 'slq') return (yield* aseSlqPlan(X, o)).value;
  // As in the reference, X = null (a cache hit) draws no subsample.
  const rows = X ? subsampleRows(X.rows, o.maxN, o.randomSeed) : null;
  const ev = yield* cachedEigenvalues(X, rows, aseCache(o), function* () {
    const m = X!;
    const n = rows ? rows.length : m.rows;
    if (o.useKnn && o.knn > n)
      throw invalid('ERR_DSE_OPTION', 'knn', `an integer <= the number of rows used (${n})`, o.knn);
    log(o.verbose, 'Computing adjacency matrix and its eigenvalues...');
    const [computed] = yield* spectra(m, rows ? [rows] : null, nativeOptions(aseKernel(o), o.gaussianKernelSigma, o.knn, o.precision));
    return computed;
  });
  return entropyBits(probabilitiesFromEigenvalues(ev, 1, 'the adjacency eigenvalues'));
}

// Method 'slq' (lib/slq.ts): the same subsample, then one estimate instead of the eigenvalues.
function slqMatrix(X: Matrix | null): Matrix {
  if (!X) throw invalid('ERR_DSE_TYPE', 'X', "a matrix (method 'slq' works from the rows of X, never from an eigenvalue cache)", null);
  return X;
}

export function* dseSlqPlan(X: Matrix | null, o: DseResolved): Plan<SlqResult> {
  const m = slqMatrix(X);
  const rows = subsampleRows(m.rows, o.maxN, o.randomSeed);
  log(o.verbose, "Computing Diffusion Spectral Entropy (method 'slq')...");
  const [r] = yield* slqEntropies(m, rows ? [rows] : null, KernelCode.Diffusion, o.gaussianKernelSigma, o.t, o.slq, o.randomSeed);
  log(o.verbose, `${r.value} +- ${r.standardError} bits (${r.slq.deflated} eigenpairs deflated).`);
  return r;
}

export function* aseSlqPlan(X: Matrix | null, o: AseResolved): Plan<SlqResult> {
  const m = slqMatrix(X);
  const rows = subsampleRows(m.rows, o.maxN, o.randomSeed);
  log(o.verbose, "Computing adjacency spectral entropy (method 'slq')...");
  const kind = o.anisotropic ? KernelCode.Anisotropic : KernelCode.Gaussian;
  const [r] = yield* slqEntropies(m, rows ? [rows] : null, kind, o.gaussianKernelSigma, 1, o.slq, o.randomSeed);
  return r;
}

function rowsUsed(X: Matrix | null, maxN: number | null): number {
  if (!X) return NaN;
  return maxN !== null && X.rows > maxN ? maxN : X.rows;
}

function* dseDetailedPlan(X: Matrix | null, o: DseResolved): Plan<Omit<EntropyEstimate, 'seconds'>> {
  checkSlqCombination(o, 'diffusionSpectralEntropyDetailed');
  if (o.method === 'slq') {
    const r = yield* dseSlqPlan(X, o);
    return { value: r.value, standardError: r.standardError, method: 'slq', n: r.n, slq: r.slq };
  }
  const value = yield* dsePlan(X, o);
  const chebyshev = o.chebyshevApprox && !o.classicShannonEntropy && !o.matrixEntryEntropy;
  return { value, standardError: chebyshev ? NaN : 0, method: chebyshev ? 'chebyshev' : 'exact', n: rowsUsed(X, o.maxN) };
}

function* aseDetailedPlan(X: Matrix | null, o: AseResolved): Plan<Omit<EntropyEstimate, 'seconds'>> {
  checkSlqCombination(o, 'adjacencySpectralEntropyDetailed');
  if (o.method === 'slq') {
    const r = yield* aseSlqPlan(X, o);
    return { value: r.value, standardError: r.standardError, method: 'slq', n: r.n, slq: r.slq };
  }
  const value = yield* asePlan(X, o);
  return { value, standardError: 0, method: 'exact', n: rowsUsed(X, o.maxN) };
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function* eigenvaluesPlan(X: Matrix, sigma: number, precision: Precision): Plan<Float64Array> {
  const [ev] = yield* spectra(X, null, nativeOptions(KernelCode.Diffusion, sigma, 1, precision));
  return ev;
}

// ---------------------------------------------------------------------------------------------
// Public functions

/**
 * Diffusion Spectral Entropy of the rows of X (the reference's `diffusion_spectral_entropy`),
 * computed on a worker thread. Also the classic Shannon entropy and the matrix-entry entropy,
 * selected by options as in the reference.
 *
 * @example
 * ```ts
 * import { diffusionSpectralEntropy } from 'dse-dsmi';
 * const X = { data: new Float64Array(1000 * 64).map(Math.random), rows: 1000, cols: 64 };
 * const bits = await diffusionSpectralEntropy(X, { gaussianKernelSigma: 10, t: 1 });
 * ```
 */
export async function diffusionSpectralEntropy(
  X: MatrixLike | null,
  options?: DiffusionSpectralEntropyOptions,
): Promise<number> {
  const stack = callerStack();
  const { signal, ...o } = readOptions(options, { ...DSE_SPEC, ...asyncSpec }, 'diffusionSpectralEntropy');
  const m = matrixOrNull(X, o.eigvalSavePath, toOwnedMatrix);
  return runAsync(() => dsePlan(m, o), { signal, memoryLimitBytes: o.memoryLimitBytes }, stack);
}

/**
 * Synchronous {@link diffusionSpectralEntropy}: blocks the calling thread.
 *
 * @example
 * ```ts
 * const bits = diffusionSpectralEntropySync([[0, 0], [1, 0], [0, 1], [1, 1]], { gaussianKernelSigma: 1 });
 * ```
 */
export function diffusionSpectralEntropySync(X: MatrixLike | null, options?: DiffusionSpectralEntropySyncOptions): number {
  const o = readOptions(options, DSE_SPEC, 'diffusionSpectralEntropySync');
  return runSync(dsePlan(matrixOrNull(X, o.eigvalSavePath, toMatrix), o), o);
}

/**
 * Adjacency Spectral Entropy (the reference's `adjacency_spectral_entropy`): the entropy of the
 * eigenvalue moduli of the Gaussian affinity, its anisotropic normalisation, or the binarised
 * kNN adjacency (non-symmetric: general eigenvalues).
 *
 * @example
 * ```ts
 * const bits = await adjacencySpectralEntropy(X, { useKnn: true, knn: 10 });
 * ```
 */
export async function adjacencySpectralEntropy(
  X: MatrixLike | null,
  options?: AdjacencySpectralEntropyOptions,
): Promise<number> {
  const stack = callerStack();
  const { signal, ...o } = readOptions(options, { ...ASE_SPEC, ...asyncSpec }, 'adjacencySpectralEntropy');
  const m = matrixOrNull(X, o.eigvalSavePath, toOwnedMatrix);
  return runAsync(() => asePlan(m, o), { signal, memoryLimitBytes: o.memoryLimitBytes }, stack);
}

/**
 * Synchronous {@link adjacencySpectralEntropy}.
 *
 * @example
 * ```ts
 * const bits = adjacencySpectralEntropySync(X, { gaussianKernelSigma: 2, anisotropic: true });
 * ```
 */
export function adjacencySpectralEntropySync(X: MatrixLike | null, options?: AdjacencySpectralEntropySyncOptions): number {
  const o = readOptions(options, ASE_SPEC, 'adjacencySpectralEntropySync');
  return runSync(asePlan(matrixOrNull(X, o.eigvalSavePath, toMatrix), o), o);
}

/**
 * {@link diffusionSpectralEntropy} with its error estimate and cost:
 * `{ value, standardError, method, n, seconds }` (plus `slq` diagnostics for `method: 'slq'`).
 * With `method: 'exact'` the standard error is 0.
 *
 * @example
 * ```ts
 * const { value, standardError } = await diffusionSpectralEntropyDetailed(Z, { method: 'slq', maxN: null });
 * console.log(`${value.toFixed(3)} +- ${(2 * standardError).toFixed(3)} bits`);
 * ```
 */
export async function diffusionSpectralEntropyDetailed(
  X: MatrixLike | null,
  options?: DiffusionSpectralEntropyOptions,
): Promise<EntropyEstimate> {
  const start = process.hrtime.bigint();
  const stack = callerStack();
  const { signal, ...o } = readOptions(options, { ...DSE_SPEC, ...asyncSpec }, 'diffusionSpectralEntropyDetailed');
  const m = matrixOrNull(X, o.eigvalSavePath, toOwnedMatrix);
  const r = await runAsync(() => dseDetailedPlan(m, o), { signal, memoryLimitBytes: o.memoryLimitBytes }, stack);
  return { ...r, seconds: secondsSince(start) };
}

/**
 * Synchronous {@link diffusionSpectralEntropyDetailed}.
 *
 * @example
 * ```ts
 * const est = diffusionSpectralEntropyDetailedSync(Z, { method: 'slq', randomSeed: 1 });
 * ```
 */
export function diffusionSpectralEntropyDetailedSync(X: MatrixLike | null, options?: DiffusionSpectralEntropySyncOptions): EntropyEstimate {
  const start = process.hrtime.bigint();
  const o = readOptions(options, DSE_SPEC, 'diffusionSpectralEntropyDetailedSync');
  const r = runSync(dseDetailedPlan(matrixOrNull(X, o.eigvalSavePath, toMatrix), o), o);
  return { ...r, seconds: secondsSince(start) };
}

/**
 * {@link adjacencySpectralEntropy} with its error estimate and cost (see
 * {@link diffusionSpectralEntropyDetailed}). `method: 'slq'` needs a symmetric kernel: the
 * Gaussian or anisotropic one, not `useKnn`.
 *
 * @example
 * ```ts
 * const est = await adjacencySpectralEntropyDetailed(Z, { anisotropic: true, method: 'slq' });
 * ```
 */
export async function adjacencySpectralEntropyDetailed(
  X: MatrixLike | null,
  options?: AdjacencySpectralEntropyOptions,
): Promise<EntropyEstimate> {
  const start = process.hrtime.bigint();
  const stack = callerStack();
  const { signal, ...o } = readOptions(options, { ...ASE_SPEC, ...asyncSpec }, 'adjacencySpectralEntropyDetailed');
  const m = matrixOrNull(X, o.eigvalSavePath, toOwnedMatrix);
  const r = await runAsync(() => aseDetailedPlan(m, o), { signal, memoryLimitBytes: o.memoryLimitBytes }, stack);
  return { ...r, seconds: secondsSince(start) };
}

/**
 * Synchronous {@link adjacencySpectralEntropyDetailed}.
 *
 * @example
 * ```ts
 * const est = adjacencySpectralEntropyDetailedSync(Z, { method: 'slq' });
 * ```
 */
export function adjacencySpectralEntropyDetailedSync(X: MatrixLike | null, options?: AdjacencySpectralEntropySyncOptions): EntropyEstimate {
  const start = process.hrtime.bigint();
  const o = readOptions(options, ASE_SPEC, 'adjacencySpectralEntropyDetailedSync');
  const r = runSync(aseDetailedPlan(matrixOrNull(X, o.eigvalSavePath, toMatrix), o), o);
  return { ...r, seconds: secondsSince(start) };
}

/**
 * Eigenvalues of the symmetric diffusion kernel K = D^-1/2 G D^-1/2 of all rows of X, ascending.
 * They equal those of the row-stochastic diffusion matrix P; the largest is 1.
 *
 * @example
 * ```ts
 * const ev = await diffusionEigenvalues(X, { gaussianKernelSigma: 1 });
 * ev[ev.length - 1]; // 1 (up to rounding)
 * ```
 */
export async function diffusionEigenvalues(
  X: MatrixLike,
  options?: DiffusionEigenvaluesOptions,
): Promise<Float64Array> {
  const stack = callerStack();
  const { signal, gaussianKernelSigma, precision, memoryLimitBytes } = readOptions(
    options,
    { gaussianKernelSigma: positiveNumber(10), precision: common.precision, memoryLimitBytes: memoryLimit(), ...asyncSpec },
    'diffusionEigenvalues',
  );
  const m = toOwnedMatrix(X, 'X');
  return runAsync(() => eigenvaluesPlan(m, gaussianKernelSigma, precision), { signal, memoryLimitBytes }, stack);
}

/**
 * Synchronous {@link diffusionEigenvalues}.
 *
 * @example
 * ```ts
 * const ev = diffusionEigenvaluesSync([[0], [1], [3]], { gaussianKernelSigma: 1 });
 * ```
 */
export function diffusionEigenvaluesSync(X: MatrixLike, options?: DiffusionEigenvaluesSyncOptions): Float64Array {
  const { gaussianKernelSigma, precision, memoryLimitBytes } = readOptions(
    options,
    { gaussianKernelSigma: positiveNumber(10), precision: common.precision, memoryLimitBytes: memoryLimit() },
    'diffusionEigenvaluesSync',
  );
  return runSync(eigenvaluesPlan(toMatrix(X, 'X'), gaussianKernelSigma, precision), { memoryLimitBytes });
}
