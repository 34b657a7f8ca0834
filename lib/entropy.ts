// SPDX-License-Identifier: MIT
/**
 * Diffusion spectral entropy (DSE), adjacency spectral entropy (ASE), classic Shannon entropy
 * (CSE) and the matrix-entry entropy, as the Python reference `dse-dsmi` computes them:
 * validate -> subsample (Python's random.sample) -> native spectra -> entropy in bits.
 */
import { DseError, invalid } from './errors';
import { KernelCode, type NativeSpectraOptions } from './native';
import { spectra, type Plan } from './plan';
import { subsampleRows } from './random';
import { cachedEigenvalues, matrixOrNull, type CacheSettings } from './cache';
import { chebyshevSpectra } from './chebyshev';
import { checkSlqCombination, slqEntropies, type EntropyEstimate, type SlqResult } from './slq';
import { classicShannonEntropies } from './cse';
import { entropyBits, probabilitiesFromEigenvalues } from './spectralEntropy';
import { log, secondsSince } from './log';
import { matrixOperation, promiseForm, syncForm, type Operation } from './operation';
import {
  DSE_SPEC,
  ASE_SPEC,
  KERNEL_SPEC,
  type AdjacencySpectralEntropyOptions,
  type AseResolved,
  type DiffusionEigenvaluesOptions,
  type DiffusionEigenvaluesSyncOptions,
  type DiffusionSpectralEntropyOptions,
  type DseResolved,
  type Precision,
  type Resolved,
} from './options';
import { toMatrix, toOwnedMatrix, type Matrix, type MatrixLike } from './validate';

export function nativeOptions(
  kind: KernelCode,
  sigma: number,
  knn: number,
  precision: Precision,
  entry = false,
): NativeSpectraOptions {
  return { kind, sigma, knn, precision: precision === 'float32' ? 1 : 0, output: entry ? 1 : 0 };
}

// ---------------------------------------------------------------------------------------------
// Plans

export function* dsePlan(X: Matrix | null, o: DseResolved): Plan<number> {
  if (o.eigvalSavePath !== null && (o.classicShannonEntropy || o.matrixEntryEntropy))
    throw new DseError(
      'ERR_DSE_OPTION',
      `Expected eigvalSavePath only with the eigenvalue entropy but received it with ` +
        `${o.classicShannonEntropy ? 'classicShannonEntropy' : 'matrixEntryEntropy'}: ` +
        'that entropy uses no eigenvalues, so nothing would be cached (the Python reference ignores the path ' +
        'silently). Remove one of the two options',
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
    const [h] = yield* spectra(
      X,
      subsets,
      nativeOptions(KernelCode.Diffusion, o.gaussianKernelSigma, 1, o.precision, true),
    );
    return h[0];
  }
  const ev = yield* cachedEigenvalues(X, rows, dseCache(o), function* () {
    if (o.chebyshevApprox) {
      log(o.verbose, 'Using Chebyshev approximation.');
      const [approx] = yield* chebyshevSpectra(X, subsets, o.gaussianKernelSigma, o.randomSeed);
      return approx;
    }
    const [exact] = yield* spectra(
      X,
      subsets,
      nativeOptions(KernelCode.Diffusion, o.gaussianKernelSigma, 1, o.precision),
    );
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

export function aseKernel(o: Pick<AseResolved, 'useKnn' | 'anisotropic'>): KernelCode {
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
    const [computed] = yield* spectra(
      m,
      rows ? [rows] : null,
      nativeOptions(aseKernel(o), o.gaussianKernelSigma, o.knn, o.precision),
    );
    return computed;
  });
  return entropyBits(probabilitiesFromEigenvalues(ev, 1, 'the adjacency eigenvalues'));
}

// Method 'slq' (lib/slq.ts): the same subsample, then one estimate instead of the eigenvalues.
function slqMatrix(X: Matrix | null): Matrix {
  if (!X)
    throw invalid(
      'ERR_DSE_TYPE',
      'X',
      "a matrix (method 'slq' works from the rows of X, never from an eigenvalue cache)",
      null,
    );
  return X;
}

export function* dseSlqPlan(X: Matrix | null, o: DseResolved): Plan<SlqResult> {
  const m = slqMatrix(X);
  const rows = subsampleRows(m.rows, o.maxN, o.randomSeed);
  log(o.verbose, "Computing Diffusion Spectral Entropy (method 'slq')...");
  const [r] = yield* slqEntropies(
    m,
    rows ? [rows] : null,
    KernelCode.Diffusion,
    o.gaussianKernelSigma,
    o.t,
    o.slq,
    o.randomSeed,
  );
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

/** A method-'slq' result as an EntropyEstimate, timed from `start`. */
function slqEstimate(r: SlqResult, start: bigint): EntropyEstimate {
  const { value, standardError, n, slq } = r;
  return { value, standardError, method: 'slq', n, seconds: secondsSince(start), slq };
}

function* dseDetailedPlan(X: Matrix | null, o: DseResolved): Plan<EntropyEstimate> {
  const start = process.hrtime.bigint();
  checkSlqCombination(o, 'diffusionSpectralEntropyDetailed');
  if (o.method === 'slq') return slqEstimate(yield* dseSlqPlan(X, o), start);
  const value = yield* dsePlan(X, o);
  const chebyshev = o.chebyshevApprox && !o.classicShannonEntropy && !o.matrixEntryEntropy;
  const method = chebyshev ? 'chebyshev' : 'exact';
  return { value, standardError: chebyshev ? NaN : 0, method, n: rowsUsed(X, o.maxN), seconds: secondsSince(start) };
}

function* aseDetailedPlan(X: Matrix | null, o: AseResolved): Plan<EntropyEstimate> {
  const start = process.hrtime.bigint();
  checkSlqCombination(o, 'adjacencySpectralEntropyDetailed');
  if (o.method === 'slq') return slqEstimate(yield* aseSlqPlan(X, o), start);
  const value = yield* asePlan(X, o);
  return { value, standardError: 0, method: 'exact', n: rowsUsed(X, o.maxN), seconds: secondsSince(start) };
}

function* eigenvaluesPlan(X: Matrix, sigma: number, precision: Precision): Plan<Float64Array> {
  const [ev] = yield* spectra(X, null, nativeOptions(KernelCode.Diffusion, sigma, 1, precision));
  return ev;
}

// ---------------------------------------------------------------------------------------------
// Operations: each defined once, its Promise and Sync forms derived (lib/operation.ts)

type Entropy<O extends { memoryLimitBytes: number | null }, R, A> = Operation<
  [X: MatrixLike | null],
  O,
  Matrix | null,
  R,
  A
>;

function readX(inputs: [MatrixLike | null], o: { eigvalSavePath: string | null }, owned: boolean): Matrix | null {
  return matrixOrNull(inputs[0], o.eigvalSavePath, owned ? toOwnedMatrix : toMatrix);
}

const DSE: Entropy<DseResolved, number, DiffusionSpectralEntropyOptions> = {
  name: 'diffusionSpectralEntropy',
  inputs: 1,
  spec: DSE_SPEC,
  read: readX,
  plan: dsePlan,
};
const ASE: Entropy<AseResolved, number, AdjacencySpectralEntropyOptions> = {
  name: 'adjacencySpectralEntropy',
  inputs: 1,
  spec: ASE_SPEC,
  read: readX,
  plan: asePlan,
};
const DSE_DETAILED: Entropy<DseResolved, EntropyEstimate, DiffusionSpectralEntropyOptions> = {
  name: 'diffusionSpectralEntropyDetailed',
  inputs: 1,
  spec: DSE_SPEC,
  read: readX,
  plan: dseDetailedPlan,
};
const ASE_DETAILED: Entropy<AseResolved, EntropyEstimate, AdjacencySpectralEntropyOptions> = {
  name: 'adjacencySpectralEntropyDetailed',
  inputs: 1,
  spec: ASE_SPEC,
  read: readX,
  plan: aseDetailedPlan,
};

const EIGENVALUES_SPEC = {
  gaussianKernelSigma: KERNEL_SPEC.gaussianKernelSigma,
  precision: KERNEL_SPEC.precision,
  memoryLimitBytes: KERNEL_SPEC.memoryLimitBytes,
};
const EIGENVALUES: Operation<
  [X: MatrixLike],
  Resolved<DiffusionEigenvaluesSyncOptions>,
  Matrix,
  Float64Array,
  DiffusionEigenvaluesOptions
> = matrixOperation('diffusionEigenvalues', EIGENVALUES_SPEC, (X, o) =>
  eigenvaluesPlan(X, o.gaussianKernelSigma, o.precision),
);

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
export const diffusionSpectralEntropy = promiseForm(DSE);

/**
 * Synchronous {@link diffusionSpectralEntropy}: blocks the calling thread.
 *
 * @example
 * ```ts
 * const bits = diffusionSpectralEntropySync([[0, 0], [1, 0], [0, 1], [1, 1]], { gaussianKernelSigma: 1 });
 * ```
 */
export const diffusionSpectralEntropySync = syncForm(DSE);

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
export const adjacencySpectralEntropy = promiseForm(ASE);

/**
 * Synchronous {@link adjacencySpectralEntropy}.
 *
 * @example
 * ```ts
 * const bits = adjacencySpectralEntropySync(X, { gaussianKernelSigma: 2, anisotropic: true });
 * ```
 */
export const adjacencySpectralEntropySync = syncForm(ASE);

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
export const diffusionSpectralEntropyDetailed = promiseForm(DSE_DETAILED);

/**
 * Synchronous {@link diffusionSpectralEntropyDetailed}.
 *
 * @example
 * ```ts
 * const est = diffusionSpectralEntropyDetailedSync(Z, { method: 'slq', randomSeed: 1 });
 * ```
 */
export const diffusionSpectralEntropyDetailedSync = syncForm(DSE_DETAILED);

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
export const adjacencySpectralEntropyDetailed = promiseForm(ASE_DETAILED);

/**
 * Synchronous {@link adjacencySpectralEntropyDetailed}.
 *
 * @example
 * ```ts
 * const est = adjacencySpectralEntropyDetailedSync(Z, { method: 'slq' });
 * ```
 */
export const adjacencySpectralEntropyDetailedSync = syncForm(ASE_DETAILED);

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
export const diffusionEigenvalues = promiseForm(EIGENVALUES);

/**
 * Synchronous {@link diffusionEigenvalues}.
 *
 * @example
 * ```ts
 * const ev = diffusionEigenvaluesSync([[0], [1], [3]], { gaussianKernelSigma: 1 });
 * ```
 */
export const diffusionEigenvaluesSync = syncForm(EIGENVALUES);
