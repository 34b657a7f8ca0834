// SPDX-License-Identifier: MIT
// From n = 1500 rows the symmetric eigenvalues take the two-stage path (native/core/linalg.cc:
// LAPACK's band reduction, then our own bulge-chasing tasks in native/core/bulge.cc, then
// xSTERF), with a band of width 32 below 3000 rows and 64 from there. The golden cases are all
// smaller, so this checks the path against numpy's eigvalsh of the same kernels
// (test/fixtures/gen_two_stage.py), in both precisions.
import { diffusionEigenvaluesSync } from '../lib';
import { loadMatrix, loadValues } from './helpers';

// Measured: float64 within 1.1e-15 of numpy, float32 within 6.0e-6 (its kernel is built in
// single precision too).
const TOLERANCE = { float64: 1e-13, float32: 5e-5 } as const;

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('eigenvalues on the two-stage path (n >= 1500)', () => {
  for (const name of ['two_stage_1600x8', 'two_stage_3100x4']) {
    const X = loadMatrix(`${name}.npy`);
    for (const sigma of [0.3, 2]) {
      const expected = loadValues(`${name}_s${sigma.toFixed(1)}_eig.npy`);
      for (const precision of ['float64', 'float32'] as const) {
        it(`${precision}, ${X.rows} x ${X.cols}, sigma ${sigma}: numpy's eigenvalues within ${TOLERANCE[precision]}`, () => {
          const ev = Array.from(diffusionEigenvaluesSync(X, { gaussianKernelSigma: sigma, precision })).sort((a, b) => a - b);
          expect(ev).toHaveLength(X.rows);
          expect(maxAbsDifference(ev, expected)).toBeLessThan(TOLERANCE[precision]);
          // The top eigenvalue of a diffusion operator is 1.
          expect(Math.abs(ev[ev.length - 1] - 1)).toBeLessThan(TOLERANCE[precision]);
        });
      }
    }
  }
});
