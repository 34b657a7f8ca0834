// SPDX-License-Identifier: MIT
import { spectralEntropy, diffusionEigenvalues, diffusionEigenvaluesSync, diffusionSpectralEntropySync } from '../lib';
import { golden, loadMatrix, loadValues, expectClose, expectDseError } from './helpers';

const EPS = 2 ** -52;

describe('#spectralEntropy', () => {
  it('computes -sum (p + eps) log2(p + eps) with p = |lambda|^t / sum', () => {
    const p = [0.5, 0.5];
    const expected = -p.reduce((s, x) => s + (x + EPS) * Math.log2(x + EPS), 0);
    expect(spectralEntropy(new Float64Array([1, 1]))).toBe(expected);
    expect(spectralEntropy([1, -1])).toBe(expected);
    // t = 2 on [1, 0.5]: p = [0.8, 0.2]
    expectClose(spectralEntropy([1, 0.5], { t: 2 }), -(0.8 * Math.log2(0.8) + 0.2 * Math.log2(0.2)), 1e-14);
  });
  it('equals DSE when given the diffusion eigenvalues', () => {
    const X = loadMatrix('blobs.npy');
    const ev = diffusionEigenvaluesSync(X, { gaussianKernelSigma: 2 });
    expect(spectralEntropy(ev, { t: 3 })).toBeCloseTo(
      diffusionSpectralEntropySync(X, { gaussianKernelSigma: 2, t: 3 }),
      12,
    );
  });
  it('stays finite when |lambda|^t overflows', () => {
    const h = spectralEntropy([1e200, 1e200], { t: 2 });
    expectClose(h, 1, 1e-12);
  });
  it('rejects empty, non-finite and all-zero spectra, and bad t', () => {
    expectDseError(() => spectralEntropy([]), 'ERR_DSE_SHAPE', /at least 1 value for eigenvalues/);
    expectDseError(() => spectralEntropy([1, NaN]), 'ERR_DSE_NON_FINITE', /eigenvalues\[1\] but received NaN/);
    expectDseError(() => spectralEntropy([0, 0]), 'ERR_DSE_NON_FINITE', /positive sum/);
    expectDseError(() => spectralEntropy([1], { t: -1 }), 'ERR_DSE_OPTION', /for t but received -1/);
    expectDseError(() => spectralEntropy('x' as never), 'ERR_DSE_TYPE', /eigenvalues/);
  });
});

describe('#diffusionEigenvalues', () => {
  describe.each(golden.kernelEigenvalues.map((k) => [k.X, k] as const))('golden kernel of %s', (_x, k) => {
    it('returns the eigenvalues of K ascending, as numpy eigvalsh does (async and sync)', async () => {
      const X = loadMatrix(k.X);
      const expected = loadValues(k.eigenvalues);
      for (const ev of [
        await diffusionEigenvalues(X, { gaussianKernelSigma: k.gaussianKernelSigma }),
        diffusionEigenvaluesSync(X, { gaussianKernelSigma: k.gaussianKernelSigma }),
      ]) {
        expect(Object.prototype.toString.call(ev)).toBe('[object Float64Array]');
        expect(ev.length).toBe(expected.length);
        for (let i = 0; i < ev.length; i++) {
          expect(Math.abs(ev[i] - expected[i])).toBeLessThan(1e-10);
          if (i > 0) expect(ev[i]).toBeGreaterThanOrEqual(ev[i - 1]);
        }
        expectClose(ev[ev.length - 1], 1, 1e-12);
      }
    });
  });
  it('rejects options it does not know', () => {
    expectDseError(
      () => diffusionEigenvaluesSync([[1], [2]], { t: 2 } as never),
      'ERR_DSE_OPTION',
      /Unknown option "t"/,
    );
  });
});
