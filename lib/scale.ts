// SPDX-License-Identifier: MIT
/**
 * The typical distance scale of a matrix: quantiles of the Euclidean distances between its rows
 * on a seeded random sample, to choose `gaussianKernelSigma` against (guidance, not a default).
 */
import { DseError, invalid } from './errors';
import { PythonRandom } from './random';
import { readOptions, integerAtLeast, seed, toMatrix, type MatrixLike } from './validate';

/** Options of {@link distanceScale}. */
export interface DistanceScaleOptions {
  /** Rows drawn at random (Python's `random.sample`, as the reference subsamples); all rows when fewer. Default 1000. */
  sampleSize?: number;
  /** Seed of the sample. Default 0; null = unseeded. */
  randomSeed?: number | bigint | null;
}

/** What {@link distanceScale} returns. */
export interface DistanceScale {
  /** Rows of the matrix. */
  rows: number;
  /** Columns of the matrix. */
  cols: number;
  /** The sampled row indices, ascending. */
  sample: number[];
  /** Pairwise distances measured: sample x (sample - 1) / 2. */
  pairs: number;
  /** Smallest and largest distance. */
  min: number;
  max: number;
  /** The median distance: the scale to set sigma against. */
  median: number;
  /** Quantiles of the distances (linear interpolation, numpy's default), keyed by percent: 5, 25, 50, 75, 95. */
  quantiles: Record<'5' | '25' | '50' | '75' | '95', number>;
}

const SPEC = { sampleSize: integerAtLeast(1000, 2), randomSeed: seed(0) };

/** The q-quantile (0..1) of sorted values, interpolated linearly between neighbours. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Quantiles of the Euclidean distances between the rows of X, on a seeded sample of
 * `sampleSize` rows (all pairs of the sample). The kernel of DSE is exp(-d^2 / (2 sigma^2)), so a
 * sigma well below the median distance leaves every row on its own (DSE near log2 N) and one
 * well above merges them all (DSE near 0): see the README's "Choosing sigma".
 *
 * @example
 * ```ts
 * const s = distanceScale(X); // { median: 24.3, quantiles: { '5': 12.1, ... }, ... }
 * await diffusionSpectralEntropy(X, { gaussianKernelSigma: s.median });
 * ```
 */
export function distanceScale(X: MatrixLike, options?: DistanceScaleOptions): DistanceScale {
  const o = readOptions(options, SPEC, 'distanceScale');
  const m = toMatrix(X, 'X');
  if (m.rows < 2) throw invalid('ERR_DSE_SHAPE', 'X', 'at least 2 rows to measure distances between', `\u0000shape [${m.rows}, ${m.cols}]`);
  const k = Math.min(m.rows, o.sampleSize);
  const sample = k < m.rows ? new PythonRandom(o.randomSeed).sample(m.rows, k).sort((a, b) => a - b) : Array.from({ length: k }, (_v, i) => i);
  const pairs = (k * (k - 1)) / 2;
  const d = new Float64Array(pairs);
  const { data, cols } = m;
  let p = 0;
  for (let a = 0; a < k; a++) {
    const ra = sample[a] * cols;
    for (let b = a + 1; b < k; b++) {
      const rb = sample[b] * cols;
      let s = 0;
      for (let c = 0; c < cols; c++) {
        const diff = data[ra + c] - data[rb + c];
        s += diff * diff;
      }
      d[p++] = Math.sqrt(s);
    }
  }
  d.sort();
  const median = quantile(d, 0.5);
  if (!Number.isFinite(d[pairs - 1])) throw new DseError('ERR_DSE_NON_FINITE', 'Expected finite distances between the rows of X but received an overflow (values too large)');
  return {
    rows: m.rows,
    cols: m.cols,
    sample,
    pairs,
    min: d[0],
    max: d[pairs - 1],
    median,
    quantiles: { '5': quantile(d, 0.05), '25': quantile(d, 0.25), '50': median, '75': quantile(d, 0.75), '95': quantile(d, 0.95) },
  };
}
