// SPDX-License-Identifier: MIT
// From n = 1500 rows the symmetric eigenvalues take the two-stage path (native/core/linalg.cc):
// a band reduction, then our own bulge-chasing tasks (native/core/bulge.cc), then xSTERF. Below
// 3000 rows the band is 32 wide and LAPACK reduces the full-storage kernel to it; from 3000 the
// band is 64 wide and the kernel is built in panels (native/core/layout.h) that our own
// reduction (panelsToBand) works on, with a float32 kernel of a float64 X built from float64
// Gram products. The golden cases are all smaller, so this checks the path against numpy's
// eigvalsh of the same kernels (test/fixtures/gen_two_stage.py), in both precisions, and with X
// as a Float32Array too.
import { diffusionEigenvaluesSync } from '../lib';
import { loadMatrix, loadValues } from './helpers';

// Measured: float64 within 1.1e-15 of numpy; float32 within 6.0e-6 at 1600 rows and 3.6e-7 at
// 3100 (its kernel is built in single precision too).
const TOLERANCE: Record<string, { float64: number; float32: number }> = {
  two_stage_1600x8: { float64: 1e-13, float32: 5e-5 },
  two_stage_3100x4: { float64: 1e-13, float32: 5e-6 },
};

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('eigenvalues on the two-stage path (n >= 1500)', () => {
  for (const name of ['two_stage_1600x8', 'two_stage_3100x4']) {
    const X = loadMatrix(`${name}.npy`);
    const X32 = { data: Float32Array.from(X.data), rows: X.rows, cols: X.cols };
    for (const sigma of [0.3, 2]) {
      const expected = loadValues(`${name}_s${sigma.toFixed(1)}_eig.npy`);
      const cases = [
        ['float64', 'Float64Array', X],
        ['float32', 'Float64Array', X],
        ['float32', 'Float32Array', X32],
      ] as const;
      for (const [precision, kind, input] of cases) {
        const tolerance = TOLERANCE[name][precision];
        it(
          `${precision} of a ${kind}, ${X.rows} x ${X.cols}, sigma ${sigma}: numpy's eigenvalues within ` +
            `${tolerance}`,
          () => {
            const ev = Array.from(diffusionEigenvaluesSync(input, { gaussianKernelSigma: sigma, precision })).sort(
              (a, b) => a - b,
            );
            expect(ev).toHaveLength(X.rows);
            expect(maxAbsDifference(ev, expected)).toBeLessThan(tolerance);
            // The top eigenvalue of a diffusion operator is 1.
            expect(Math.abs(ev[ev.length - 1] - 1)).toBeLessThan(tolerance);
          },
        );
      }
    }
  }
});
