// SPDX-License-Identifier: MIT
// The kernel's numeric range (lib/kernelRange.ts): sigma must give finite, non-zero kernel
// constants in the precision the kernel is built in, and rows so large that their squared norms
// overflow are computed on X and sigma scaled by a power of two, or refused with an input error.
import {
  diffusionSpectralEntropy,
  diffusionSpectralEntropySync,
  adjacencySpectralEntropySync,
  diffusionEigenvaluesSync,
  diffusionSpectralMutualInformationSync,
} from '../lib';
import { sigmaRange, sigmaUsable } from '../lib/kernelRange';
import { blobsMatrix, expectClose, expectDseError, expectDseRejection } from './helpers';

/** Three points s to 1.4 s apart (s [1, 0], s [0, 1], s [1, 1]): far apart at sigma 1, so DSE = log2 3. */
const three = (s: number) => ({ data: Float64Array.from([s, 0, 0, s, s, s]), rows: 3, cols: 2 });

describe('gaussianKernelSigma range', () => {
  it.each([
    [1e-320, 'float64'],
    [1e-200, 'float64'],
    [1e308, 'float64'],
    [1e-30, 'float32'],
    [1e39, 'float32'],
  ] as const)('rejects sigma %s under %s with ERR_DSE_OPTION naming the usable range', async (sigma, precision) => {
    const [lo, hi] = sigmaRange(precision);
    const text = (x: number | string) => String(x).replace('+', '\\+');
    const message = new RegExp(
      `from ${text(lo.toPrecision(3))} to ${text(hi.toPrecision(3))} .*${precision}.* for gaussianKernelSigma but ` +
        `received ${text(sigma)}`,
    );
    expectDseError(
      () => diffusionSpectralEntropySync(three(1), { gaussianKernelSigma: sigma, precision }),
      'ERR_DSE_OPTION',
      message,
    );
    expectDseError(
      () => adjacencySpectralEntropySync(three(1), { gaussianKernelSigma: sigma, precision }),
      'ERR_DSE_OPTION',
      message,
    );
    expectDseError(
      () => diffusionEigenvaluesSync(three(1), { gaussianKernelSigma: sigma, precision }),
      'ERR_DSE_OPTION',
      message,
    );
    await expectDseRejection(
      diffusionSpectralEntropy(three(1), { gaussianKernelSigma: sigma, precision }),
      'ERR_DSE_OPTION',
      message,
    );
  });
  it('the range ends are usable and their neighbours outside are not', () => {
    for (const precision of ['float64', 'float32'] as const) {
      const [lo, hi] = sigmaRange(precision);
      expect(sigmaUsable(lo, precision) && sigmaUsable(hi, precision)).toBe(true);
      expect(sigmaUsable(lo * (1 - 2 ** -40), precision) && sigmaUsable(hi * (1 + 2 ** -40), precision)).toBe(false);
      // Inside the range, values come out: the kernel is the identity (tiny sigma) or constant (huge).
      expectClose(diffusionSpectralEntropySync(three(1), { gaussianKernelSigma: lo, precision }), Math.log2(3), 1e-12);
      // 0 but for the eigensolver's rounding: ~1e-7 per eigenvalue in float32, ~1e-16 in float64.
      expect(diffusionSpectralEntropySync(three(1), { gaussianKernelSigma: hi, precision })).toBeLessThan(
        precision === 'float32' ? 1e-5 : 1e-12,
      );
    }
  });
  it('does not check sigma for the kNN adjacency, which ignores it', () => {
    expectClose(
      adjacencySpectralEntropySync(three(1), { useKnn: true, knn: 1, gaussianKernelSigma: 1e-320 }),
      Math.log2(3),
      1e-12,
    );
  });
});

describe('rows whose squared norms overflow or underflow', () => {
  it.each([1e154, 1e200, 1e300])('three far-apart points at scale %s give log2 3 (float64), not 1', (s) => {
    expectClose(diffusionSpectralEntropySync(three(s), { gaussianKernelSigma: 1 }), Math.log2(3), 1e-12);
    // Two neighbours: row 2's two others tie, the rest do not (at scale 1 as at scale s).
    expectClose(
      adjacencySpectralEntropySync(three(s), { useKnn: true, knn: 2 }),
      adjacencySpectralEntropySync(three(1), { useKnn: true, knn: 2 }),
      1e-12,
    );
  });
  it.each([1.8e19, 1e30, 1e39])('and at scale %s under precision float32', (s) => {
    expectClose(
      diffusionSpectralEntropySync(three(s), { gaussianKernelSigma: 1, precision: 'float32' }),
      Math.log2(3),
      1e-6,
    );
    expectClose(
      adjacencySpectralEntropySync(three(s), { useKnn: true, knn: 2, precision: 'float32' }),
      adjacencySpectralEntropySync(three(1), { useKnn: true, knn: 2 }),
      1e-6,
    );
  });
  it.each([
    [1e-170, 'float64'],
    [1e-300, 'float64'],
    [1e-20, 'float32'],
  ] as const)('and rows of magnitude %s, whose squares underflow, with sigma as small (%s)', (s, precision) => {
    const expected = diffusionSpectralEntropySync(three(1), { gaussianKernelSigma: 1, precision });
    // In float32, s [1, 0] and sigma s round otherwise than [1, 0] and 1: 2e-8 apart at 1e-20.
    expectClose(
      diffusionSpectralEntropySync(three(s), { gaussianKernelSigma: s, precision }),
      expected,
      precision === 'float32' ? 1e-6 : 1e-12,
    );
  });
  it('gives the value of the unscaled data when X and sigma are scaled together', () => {
    const X = blobsMatrix(200, 6);
    const big = { data: X.data.map((v) => v * 1e200), rows: X.rows, cols: X.cols };
    const labels = Int32Array.from({ length: 200 }, (_, i) => i % 3);
    expectClose(
      diffusionSpectralEntropySync(big, { gaussianKernelSigma: 2e200 }),
      diffusionSpectralEntropySync(X, { gaussianKernelSigma: 2 }),
      1e-10,
    );
    expectClose(
      adjacencySpectralEntropySync(big, { useKnn: true }),
      adjacencySpectralEntropySync(X, { useKnn: true }),
      1e-10,
    );
    expectClose(
      diffusionSpectralMutualInformationSync(big, labels, { gaussianKernelSigma: 2e200 }).value,
      diffusionSpectralMutualInformationSync(X, labels, { gaussianKernelSigma: 2 }).value,
      1e-9,
    );
  });
  it('refuses, naming the largest magnitude, when sigma cannot be scaled with X', () => {
    expectDseError(
      () => diffusionSpectralEntropySync(three(1e300), { gaussianKernelSigma: 1e-150 }),
      'ERR_DSE_NON_FINITE',
      /fit in float64 at gaussianKernelSigma 1e-150 .* largest magnitude of 1e\+300 at row 0, column 0/,
    );
    expectDseError(
      () => diffusionSpectralEntropySync(three(1e150), { gaussianKernelSigma: 1, precision: 'float32' }),
      'ERR_DSE_NON_FINITE',
      /fit in float32 .* largest magnitude of 1e\+150 at row 0, column 0/,
    );
  });
});
