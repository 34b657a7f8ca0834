// SPDX-License-Identifier: MIT
/**
 * The numeric range of the Gaussian kernel: which `gaussianKernelSigma` gives finite, non-zero
 * kernel constants in the precision the kernel is built in, and inputs so large that their
 * squared norms would overflow. Such inputs are scaled by a power of two (with sigma), which
 * changes no entropy and no rounding; where that is not possible the caller gets an input error,
 * never a silently wrong value.
 */
import { DseError, invalid } from './errors';
import type { Matrix } from './validate';

export type KernelPrecision = 'float64' | 'float32';

const F32_MAX = 3.4028234663852886e38;
const round = (p: KernelPrecision) => (p === 'float32' ? Math.fround : (x: number) => x);

/**
 * True when the kernel's constants are usable at this sigma, computed as the native code computes
 * them in that precision: 1 / (sigma sqrt(2 pi)) finite and > 0, and 2 sigma^2 > 0 (at 0 the
 * diagonal's 0 / 0 is NaN; the reference fails there too).
 */
export function sigmaUsable(sigma: number, precision: KernelPrecision): boolean {
  const r = round(precision);
  const s = r(sigma);
  const twoSigma2 = r(2 * r(s * s));
  const inv = r(1 / r(s * r(Math.sqrt(r(2 * r(Math.PI))))));
  return s > 0 && twoSigma2 > 0 && Number.isFinite(inv) && inv > 0;
}

const ranges = new Map<KernelPrecision, [number, number]>();

/** The smallest and largest usable sigma (the usable set is one interval). */
export function sigmaRange(precision: KernelPrecision): [number, number] {
  let range = ranges.get(precision);
  if (!range) {
    // Bisection on the exponent and mantissa alike: on doubles, between a usable sigma (1) and
    // an unusable one.
    const edge = (bad: number): number => {
      let good = 1;
      for (let i = 0; i < 2000 && good !== bad; i++) {
        const mid = Math.sqrt(good) * Math.sqrt(bad);
        if (mid === good || mid === bad) break;
        if (sigmaUsable(mid, precision)) good = mid;
        else bad = mid;
      }
      return good;
    };
    range = [edge(Number.MIN_VALUE), edge(Number.MAX_VALUE)];
    ranges.set(precision, range);
  }
  return range;
}

function rangeText(precision: KernelPrecision): string {
  const [lo, hi] = sigmaRange(precision);
  return (
    `a number from ${lo.toPrecision(3)} to ${hi.toPrecision(3)} (where 1 / (sigma sqrt(2 pi)) and 2 sigma^2 are ` +
    `finite and non-zero in ${precision})`
  );
}

/** Throws ERR_DSE_OPTION naming gaussianKernelSigma when the kernel's constants are not usable. */
export function checkSigma(sigma: number, precision: KernelPrecision): void {
  if (!sigmaUsable(sigma, precision))
    throw invalid('ERR_DSE_OPTION', 'gaussianKernelSigma', rangeText(precision), sigma);
}

/**
 * X and sigma as the kernel may use them: unchanged, or both scaled by the same power of two
 * when X's squared distances (up to 4 D max|x|^2) would overflow in `precision`, or its squares
 * underflow (max|x| below sqrt(smallest normal / epsilon)). Distances relative to sigma, the
 * kNN order and every entropy are invariant under that scaling, and a power of two rounds
 * nothing. `sigma` null: the kernel ignores it (kNN).
 */
export function fitToRange(
  X: Matrix,
  sigma: number | null,
  precision: KernelPrecision,
): { X: Matrix; sigma: number | null } {
  const { data } = X;
  let max = 0;
  let at = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (a > max) {
      max = a;
      at = i;
    }
  }
  const f32 = precision === 'float32';
  const high = Math.sqrt((f32 ? F32_MAX : Number.MAX_VALUE) / (8 * X.cols));
  const low = Math.sqrt(f32 ? 2 ** -126 / 2 ** -23 : 2 ** -1022 / 2 ** -52);
  // The smallest power of two that brings max|x| inside [low, high], plus one.
  const k =
    max > high
      ? -(Math.ceil(Math.log2(max / high)) + 1)
      : max > 0 && max < low
        ? Math.ceil(Math.log2(low / max)) + 1
        : 0;
  const scaledSigma = sigma === null ? null : sigma * 2 ** k;
  if (scaledSigma !== null && !sigmaUsable(scaledSigma, precision)) {
    if (k === 0) checkSigma(sigma!, precision);
    const r = Math.floor(at / X.cols);
    throw new DseError(
      'ERR_DSE_NON_FINITE',
      `Expected values of X whose squared distances fit in ${precision} at gaussianKernelSigma ${sigma} ` +
        `(magnitudes from ${low.toPrecision(3)} to ${high.toPrecision(3)}, or a sigma that can be scaled with them) ` +
        `but received ` +
        `a largest magnitude of ${max} at row ${r}, column ${at - r * X.cols}`,
    );
  }
  if (k === 0) return { X, sigma };
  const scale = 2 ** k;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * scale;
  return { X: { data: out, rows: X.rows, cols: X.cols }, sigma: scaledSigma };
}
