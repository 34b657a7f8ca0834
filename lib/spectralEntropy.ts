// SPDX-License-Identifier: MIT
/**
 * The reference's last step, from a spectrum to bits: p = |lambda|^t / sum |lambda|^t, then
 * -sum (p + eps) log2(p + eps).
 */
import { DseError, invalid, raw } from './errors';
import { readOptions, nonNegativeNumber } from './validate';

/** numpy's `np.finfo(float).eps`, added to every probability before the logarithm. */
export const EPS = 2 ** -52;

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

/** Options of {@link spectralEntropy}. */
export interface SpectralEntropyOptions {
  /** Power applied to |eigenvalue| before normalising. Default 1. */
  t?: number;
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
