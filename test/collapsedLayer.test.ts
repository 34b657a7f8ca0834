// SPDX-License-Identifier: MIT
// A collapsed layer (every row equal, or rows taking two values) gives a kernel of rank 1 or 2
// whose band reduction leaves subnormal residues; the two-stage path (1500-2999 rows) turned
// them into NaN in its reflectors and xSTERF failed. The value must be the reference's at every
// eigensolver path: below 1500 rows (xSYEVD), 1500-2999 (LAPACK's band reduction, our bulge
// chasing), from 3000 (the kernel in panels, our band reduction).
import fc from 'fast-check';
import {
  diffusionSpectralEntropySync,
  adjacencySpectralEntropySync,
  diffusionSpectralMutualInformationSync,
  adjacencySpectralMutualInformationSync,
} from '../lib';
import type { Matrix } from '../lib/validate';

const EPS = 2 ** -52;

/** Rows 0..a-1 equal to `u`, the other b rows equal to `u` plus `delta` in column 0. */
function twoValued(a: number, b: number, d: number, u: number, delta: number): Matrix {
  const data = new Float64Array((a + b) * d).fill(u);
  for (let r = a; r < a + b; r++) data[r * d] += delta;
  return { data, rows: a + b, cols: d };
}

/** -sum (p + eps) log2 (p + eps) over n entries, of which the listed ones are non-zero. */
function entropyOf(nonZero: number[], n: number): number {
  const total = nonZero.reduce((s, x) => s + Math.abs(x), 0);
  let h = 0;
  for (const x of nonZero) {
    const p = Math.abs(x) / total + EPS;
    h -= p * Math.log2(p);
  }
  return h - (n - nonZero.length) * EPS * Math.log2(EPS);
}

/**
 * The exact value for rows in two groups of a and b equal rows, g = exp(-delta^2 / (2 sigma^2))
 * the affinity between the groups. The kernel is block-constant: DSE's K has the eigenvalues of
 * the lumped 2 x 2 chain (1 and a / (a + b g) + b / (a g + b) - 1), the Gaussian adjacency those of
 * c [[a, b g], [a g, b]]; all others are 0.
 */
function expected(fn: 'dse' | 'ase', a: number, b: number, delta: number, sigma: number): number {
  const n = a + b;
  if (b === 0) return entropyOf([1], n);
  const g = Math.exp(-(delta * delta) / (2 * sigma * sigma));
  if (fn === 'dse') return entropyOf([1, a / (a + b * g) + b / (a * g + b) - 1], n);
  const c = 1 / (sigma * Math.sqrt(2 * Math.PI));
  const r = Math.sqrt(((a - b) / 2) ** 2 + a * b * g * g);
  return entropyOf([c * ((a + b) / 2 + r), c * ((a + b) / 2 - r)], n);
}

// float32's solver would leave ~3e-6 on each exact 0 (1.4e-4 to 1.1e-3 bits at 1499-3100 rows):
// collapsed rows are computed in float64 (lib/plan.ts, collapsedRows), so both meet 1e-6.
const BOUND = { float64: 1e-6, float32: 1e-6 } as const;

const PATHS = [
  ['below 1500 (xSYEVD)', 1000, 1499],
  ['1500-2999 (band reduction by LAPACK, our bulge chasing)', 1500, 2999],
  ['from 3000 (kernel in panels, our band reduction)', 3000, 3100],
] as const;

describe('a collapsed layer (kernel of rank 1 or 2)', () => {
  describe.each(PATHS.map((p) => [p[0], p] as const))('%s', (_name, [, lo, hi]) => {
    it.each(['float64', 'float32'] as const)(
      '%s: DSE and ASE equal the exact value, at the thresholds and between',
      (precision) => {
        const property = fc.property(
          fc.integer({ min: lo, max: hi }),
          fc.integer({ min: 1, max: 8 }),
          fc.constantFrom(0.1, 1, 5, 10),
          fc.constantFrom(0, 0.25, 0.5),
          fc.constantFrom('dse', 'ase') as fc.Arbitrary<'dse' | 'ase'>,
          (n, d, sigma, split, fn) => {
            const b = Math.floor(n * split);
            const delta = b ? sigma : 0;
            const X = twoValued(n - b, b, d, 0.3, delta);
            const run = fn === 'dse' ? diffusionSpectralEntropySync : adjacencySpectralEntropySync;
            const value = run(X, { gaussianKernelSigma: sigma, precision });
            const want = expected(fn, n - b, b, delta, sigma);
            if (!(Math.abs(value - want) <= BOUND[precision]))
              throw new Error(`${fn} ${n} x ${d}, sigma ${sigma}, groups ${n - b}/${b}: ${value}, expected ${want}`);
          },
        );
        // The thresholds themselves, then two random draws in the path's range.
        fc.assert(property, {
          numRuns: 2,
          seed: 17,
          examples: [
            [lo, 8, 10, 0, 'dse'],
            [hi, 2, 0.1, 0.5, 'ase'],
          ],
        });
      },
    );
  });

  // No closed form for these: float32 must give float64's value, which is the reference's to ~1e-11.
  it('float32: the anisotropic ASE, the matrix-entry DSE and the DSMI / ASMI subsets equal float64', () => {
    const X = twoValued(600, 600, 4, 0.3, 1);
    const labels = Int32Array.from({ length: 1200 }, (_, i) => (i < 600 ? 0 : 1));
    const runs: [string, (precision: 'float64' | 'float32') => number][] = [
      [
        'anisotropic ASE',
        (precision) => adjacencySpectralEntropySync(X, { gaussianKernelSigma: 1, anisotropic: true, precision }),
      ],
      [
        'matrix-entry DSE',
        (precision) => diffusionSpectralEntropySync(X, { gaussianKernelSigma: 1, matrixEntryEntropy: true, precision }),
      ],
      [
        'DSMI',
        (precision) =>
          diffusionSpectralMutualInformationSync(X, labels, { gaussianKernelSigma: 1, numRepetitions: 1, precision })
            .value,
      ],
      [
        'ASMI',
        (precision) =>
          adjacencySpectralMutualInformationSync(X, labels, { gaussianKernelSigma: 1, numRepetitions: 1, precision })
            .value,
      ],
    ];
    for (const [name, run] of runs) {
      const wide = run('float64');
      const narrow = run('float32');
      if (!(Math.abs(narrow - wide) <= 1e-6)) throw new Error(`${name}: float32 ${narrow}, float64 ${wide}`);
    }
  });

  it('float32: DSMI with one collapsed class and one spread class keeps each subset in its place', () => {
    // Class 0: 500 equal rows (float64 batch); class 1 and the random subsets: distinct rows (float32 batch).
    const n = 1000;
    const d = 3;
    const data = new Float64Array(n * d).fill(0.3);
    for (let i = 500 * d; i < n * d; i++) data[i] = Math.sin(i * 12.9898) * 2;
    const X = { data, rows: n, cols: d };
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 500 ? 0 : 1));
    const o = { gaussianKernelSigma: 1, numRepetitions: 2 };
    const wide = diffusionSpectralMutualInformationSync(X, labels, { ...o, precision: 'float64' }).value;
    const narrow = diffusionSpectralMutualInformationSync(X, labels, { ...o, precision: 'float32' }).value;
    // Subsets out of place would move the value by bits; float32 on the spread ones by far less.
    expect(Math.abs(narrow - wide)).toBeLessThan(1e-4);
    expect(wide).toBeGreaterThan(0.5);
  });

  it('float32: the memory guard counts a collapsed request in float64 and says why', () => {
    const X = twoValued(1000, 0, 4, 0.3, 0);
    const limit = { memoryLimitBytes: 6e6 };
    // The float32 solve needs ~4.1 MB, the float64 one ~8.1 MB.
    expect(() => diffusionSpectralEntropySync(X, { precision: 'float32', ...limit })).toThrow(
      /float64.*'float32' was asked.*64 distinct/,
    );
    expect(() => diffusionSpectralEntropySync(X, { precision: 'float32', ...limit })).not.toThrow(
      /use precision: 'float32'/,
    );
  });
});
