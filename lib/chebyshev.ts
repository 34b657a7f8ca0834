// SPDX-License-Identifier: MIT
/**
 * The reference's `chebyshev_approx` mode (information_utils.approx_eigvals): an eigenvalue
 * multiset estimated from Chebyshev moments of the diffusion kernel instead of an exact
 * eigensolver. The native core computes the moments (kernel, 1e-3 filter, Rademacher probes,
 * three-term recurrence); this module turns them into the reference's density of states, its
 * CDF on a 1001-point mesh, and "each mesh point repeated round(N * pdf / sum pdf) times".
 *
 * The reference itself says it does not recommend this mode: the result is a histogram of the
 * spectrum at a resolution of 0.002, not the eigenvalues (see README "Chebyshev approximation").
 */
import { probeSeed } from './random';
import type { NativeChebyshevOptions } from './native';
import { chebyshevMoments, type NativeRequest, type NativeResult, type Plan, type AsyncOptions } from './plan';
import { matrixOperation, promiseForm, syncForm, type Operation } from './operation';
import { positiveNumber, seed, memoryLimit, type Matrix, type MatrixLike, type Parsed } from './validate';

/** The reference's constants: moments N = 50, probes nZ = 100, filter_thr = 1e-3, npts = 1001. */
export const CHEBYSHEV = Object.freeze({ moments: 50, probes: 100, threshold: 1e-3, meshPoints: 1001 });

/** Options of {@link chebyshevEigenvalues}. */
export interface ChebyshevEigenvaluesOptions extends AsyncOptions {
  /** Bandwidth of the Gaussian kernel. Default 10. */
  gaussianKernelSigma?: number;
  /** Seed of the probe generator (number or bigint, taken modulo 2^64). Default 0; `null` = a fresh random seed. */
  randomSeed?: number | bigint | null;
  /** Bytes this call may use. Default: setMemoryLimit's. */
  memoryLimitBytes?: number | null;
}

/** Options of {@link chebyshevEigenvaluesSync}: those of the Promise form but `signal` and `onProgress`. */
export type ChebyshevEigenvaluesSyncOptions = Omit<ChebyshevEigenvaluesOptions, keyof AsyncOptions>;

/** The native options of the reference's mode for a seed. */
export function chebyshevOptions(sigma: number, randomSeed: number | bigint | null): NativeChebyshevOptions {
  const s = probeSeed(randomSeed);
  return {
    sigma,
    moments: CHEBYSHEV.moments,
    probes: CHEBYSHEV.probes,
    threshold: CHEBYSHEV.threshold,
    seedHi: Number(s >> 32n),
    seedLo: Number(s & 0xffffffffn),
  };
}

/**
 * The reference's mesh, numpy's `linspace(-1 + 1e-8, 1 - 1e-8, npts)` to the bit:
 * `i * step + start` with `step = (stop - start) / (npts - 1)`, the last point exactly `stop`.
 */
export function chebyshevMesh(npts: number = CHEBYSHEV.meshPoints): Float64Array {
  const start = -1 + 1e-8;
  const stop = 1 - 1e-8;
  const out = new Float64Array(npts);
  if (npts === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (npts - 1);
  for (let i = 0; i < npts; i++) out[i] = i * step + start;
  out[npts - 1] = stop;
  return out;
}

/**
 * The integrated Chebyshev density of states (the reference's `plot_chebint`, no damping kernel):
 * with theta = arccos(x),
 * `cdf(x) = -2/pi * (c_0 (theta - pi) / 2 + sum_{k>=1} c_k sin(k theta) / k)`, which rises
 * from ~0 at x = -1 to c_0 (= N) at x = 1, wiggling (Gibbs) where the spectrum is lumpy.
 */
export function chebyshevCdf(moments: ArrayLike<number>, mesh: ArrayLike<number>): Float64Array {
  const out = new Float64Array(mesh.length);
  const scale = -2 / Math.PI;
  for (let i = 0; i < mesh.length; i++) {
    const theta = Math.acos(mesh[i]);
    let y = (moments[0] * (theta - Math.PI)) / 2;
    for (let k = 1; k < moments.length; k++) y += (moments[k] * Math.sin(k * theta)) / k;
    out[i] = y * scale;
  }
  return out;
}

/** numpy's `round`: to the nearest integer, ties to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The reference's eigenvalue multiset from the moments of an n x n kernel: the CDF on the mesh,
 * `pdf[i] = cdf[i + 1] - cdf[i]` (0 at the last point), `count = n * pdf / sum(pdf)`, and mesh
 * point i repeated `round(count)` times where that is positive. Ascending; about n values, all
 * in (-1, 1).
 *
 * @example
 * ```ts
 * eigenvaluesFromMoments(moments, 500).length; // ~500
 * ```
 */
export function eigenvaluesFromMoments(moments: ArrayLike<number>, n: number): Float64Array {
  const mesh = chebyshevMesh();
  const cdf = chebyshevCdf(moments, mesh);
  const npts = mesh.length;
  const pdf = new Float64Array(npts);
  for (let i = 0; i + 1 < npts; i++) pdf[i] = cdf[i + 1] - cdf[i];
  let total = 0;
  for (let i = 0; i < npts; i++) total += pdf[i];
  const repeats = new Int32Array(npts);
  let size = 0;
  for (let i = 0; i < npts; i++) {
    const r = roundHalfEven((n * pdf[i]) / total);
    if (r > 0) {
      repeats[i] = r;
      size += r;
    }
  }
  const out = new Float64Array(size);
  let k = 0;
  for (let i = 0; i < npts; i++) {
    out.fill(mesh[i], k, k + repeats[i]);
    k += repeats[i];
  }
  return out;
}

/**
 * Inside a plan: the Chebyshev eigenvalue multiset of each subset's diffusion kernel (all rows
 * when `subsets` is null). Every subset uses the same probe seed, so each result equals that of
 * the subset on its own.
 */
export function* chebyshevSpectra(
  X: Matrix,
  subsets: Int32Array[] | null,
  sigma: number,
  randomSeed: number | bigint | null,
): Generator<NativeRequest, Float64Array[], NativeResult> {
  const moments = yield* chebyshevMoments(X, subsets, chebyshevOptions(sigma, randomSeed));
  return moments.map((c, i) => eigenvaluesFromMoments(c, subsets ? subsets[i].length : X.rows));
}

const SPEC = { gaussianKernelSigma: positiveNumber(10), randomSeed: seed(0), memoryLimitBytes: memoryLimit() };

function* eigenvaluesPlan(X: Matrix, sigma: number, randomSeed: number | bigint | null): Plan<Float64Array> {
  const [ev] = yield* chebyshevSpectra(X, null, sigma, randomSeed);
  return ev;
}

type ChebyshevOperation = Operation<
  [X: MatrixLike],
  Parsed<typeof SPEC>,
  Matrix,
  Float64Array,
  ChebyshevEigenvaluesOptions
>;
const CHEBYSHEV_EIGENVALUES: ChebyshevOperation = matrixOperation('chebyshevEigenvalues', SPEC, (X, o) =>
  eigenvaluesPlan(X, o.gaussianKernelSigma, o.randomSeed),
);

/**
 * The eigenvalue multiset that `chebyshevApprox: true` feeds into the entropy, for all rows of
 * X: the reference's Chebyshev density-of-states estimate of the diffusion kernel's spectrum
 * (50 moments, 100 Rademacher probes seeded by `randomSeed`, kernel entries below 1e-3 zeroed),
 * as mesh points in (-1, 1) each repeated by its estimated count. Ascending; about N values.
 *
 * @example
 * ```ts
 * const approx = await chebyshevEigenvalues(X, { gaussianKernelSigma: 10, randomSeed: 1 });
 * approx.length; // ~X.rows
 * ```
 */
export const chebyshevEigenvalues = promiseForm(CHEBYSHEV_EIGENVALUES);

/**
 * Synchronous {@link chebyshevEigenvalues}.
 *
 * @example
 * ```ts
 * const approx = chebyshevEigenvaluesSync(X, { gaussianKernelSigma: 10 });
 * ```
 */
export const chebyshevEigenvaluesSync = syncForm(CHEBYSHEV_EIGENVALUES);
