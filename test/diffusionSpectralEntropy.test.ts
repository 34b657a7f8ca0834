// SPDX-License-Identifier: MIT
import {
  diffusionSpectralEntropy,
  diffusionSpectralEntropySync,
  pythonRandomSample,
} from '../lib';
import { golden, goldenFloat32, loadMatrix, loadValues, toFloat32, expectClose, expectDseError, expectDseRejection, uniformMatrix } from './helpers';

const cases = golden.cases.filter((c) => c.fn === 'diffusionSpectralEntropy');

describe('#diffusionSpectralEntropy', () => {
  it('has golden cases to check', () => {
    expect(cases.length).toBeGreaterThanOrEqual(16);
  });

  // Each golden case runs once per input precision, through one of the two forms in turn (the
  // forms share one plan; 'gives the same value through both forms' checks that bit for bit).
  describe.each(cases.map((c, i) => [c.name, c, i % 2 === 0] as const))('golden case %s', (_name, c, viaPromise) => {
    const X = loadMatrix(c.args.embeddingVectors);
    const run = async (M: typeof X) => (viaPromise ? await diffusionSpectralEntropy(M, c.options) : diffusionSpectralEntropySync(M, c.options));

    it('matches the reference (Float64Array)', async () => {
      expectClose(await run(X), c.expected.value, c.rtol);
    });

    it('matches the reference run on float32-rounded data (Float32Array)', async () => {
      expectClose(await run(toFloat32(X)), goldenFloat32[c.name], c.rtol);
    });

    if (c.expected.sampledIndices) {
      it('draws the same rows as the reference', () => {
        const n = X.rows;
        const idx = pythonRandomSample(c.options.randomSeed as number, n, c.options.maxN as number);
        expect(idx).toEqual(loadValues(c.expected.sampledIndices!));
      });
    }
  });

  it('accepts number[][] and a subarray view with a byteOffset, giving the same value', () => {
    const X = loadMatrix('blobs.npy');
    const expected = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 2 });
    const rows: number[][] = [];
    for (let r = 0; r < X.rows; r++) rows.push(Array.from(X.data.subarray(r * X.cols, (r + 1) * X.cols)));
    expect(diffusionSpectralEntropySync(rows, { gaussianKernelSigma: 2 })).toBe(expected);
    const padded = new Float64Array(X.data.length + 7);
    padded.set(X.data, 5);
    const view = padded.subarray(5, 5 + X.data.length);
    expect(view.byteOffset).toBe(40);
    expect(diffusionSpectralEntropySync({ data: view, rows: X.rows, cols: X.cols }, { gaussianKernelSigma: 2 })).toBe(expected);
  });

  it('does not modify the caller\'s matrix', () => {
    const X = uniformMatrix(50, 4);
    const before = Float64Array.from(X.data);
    diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.5 });
    expect(X.data).toEqual(before);
  });

  it('gives ~0 bits for a single row and log2(N) for points far apart at t = 0', () => {
    expect(Math.abs(diffusionSpectralEntropySync([[1, 2, 3]]))).toBeLessThan(1e-12);
    // t = 0: every |lambda|^0 = 1, so p is uniform over N eigenvalues.
    const X = uniformMatrix(64, 3);
    expectClose(diffusionSpectralEntropySync(X, { t: 0 }), Math.log2(64), 1e-12);
  });

  it('grows with resolution: smaller sigma spreads the spectrum (more bits)', () => {
    const X = loadMatrix('uniform.npy');
    const h = [10, 2, 1, 0.5].map((s) => diffusionSpectralEntropySync(X, { gaussianKernelSigma: s }));
    for (let i = 1; i < h.length; i++) expect(h[i]).toBeGreaterThan(h[i - 1]);
  });

  it('with maxN: null uses every row (no subsampling), unlike the default cap', () => {
    const X = uniformMatrix(120, 3);
    const all = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.3, maxN: null });
    const capped = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.3, maxN: 60 });
    expect(diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.3, maxN: 120 })).toBe(all);
    expect(capped).not.toBe(all);
  });

  it('with randomSeed: null draws a different subsample on (almost) every call', () => {
    const X = uniformMatrix(400, 3);
    const values = new Set<number>();
    for (let i = 0; i < 4; i++) values.add(diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.3, maxN: 50, randomSeed: null }));
    expect(values.size).toBeGreaterThan(1);
  });

  it('accepts a bigint seed above 2^53 and gives the same rows as Python', () => {
    const X = loadMatrix('normal.npy');
    const a = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 3, maxN: 650, randomSeed: 1099511627779n });
    const case650 = cases.find((c) => c.name === 'dse_maxN650_seed1099511627779')!;
    expectClose(a, case650.expected.value, 1e-9);
  });

  it('gives the same value through both forms, bit for bit', async () => {
    const c = cases.find((k) => k.expected.sampledIndices) ?? cases[0];
    const X = loadMatrix(c.args.embeddingVectors);
    expect(await diffusionSpectralEntropy(X, c.options)).toBe(diffusionSpectralEntropySync(X, c.options));
  });

  describe('bad input', () => {
    const X = uniformMatrix(20, 3);
    it('rejects gaussianKernelSigma <= 0 or not finite with ERR_DSE_OPTION', () => {
      for (const s of [0, -1, NaN, Infinity]) {
        expectDseError(() => diffusionSpectralEntropySync(X, { gaussianKernelSigma: s }), 'ERR_DSE_OPTION', /gaussianKernelSigma/);
      }
      expectDseError(() => diffusionSpectralEntropySync(X, { gaussianKernelSigma: '1' as unknown as number }), 'ERR_DSE_OPTION', /finite number > 0 for gaussianKernelSigma but received "1"/);
    });
    it('rejects t < 0 or not finite', () => {
      for (const t of [-0.5, NaN, Infinity]) expectDseError(() => diffusionSpectralEntropySync(X, { t }), 'ERR_DSE_OPTION', /for t but received/);
    });
    it('rejects maxN < 1 and non-integers', () => {
      for (const maxN of [0, -3, 2.5]) expectDseError(() => diffusionSpectralEntropySync(X, { maxN }), 'ERR_DSE_OPTION', /maxN/);
    });
    it('rejects numBinsPerDim < 1', () => {
      expectDseError(() => diffusionSpectralEntropySync(X, { classicShannonEntropy: true, numBinsPerDim: 0 }), 'ERR_DSE_OPTION', /integer >= 1 for numBinsPerDim but received 0/);
    });
    it('rejects unknown options, naming them', () => {
      expectDseError(() => diffusionSpectralEntropySync(X, { sigma: 1 } as never), 'ERR_DSE_OPTION', /Unknown option "sigma".*gaussianKernelSigma/);
      expectDseError(() => diffusionSpectralEntropySync(X, { knn: 3 } as never), 'ERR_DSE_OPTION', /Unknown option "knn"/);
    });
    it('rejects a non-integer seed', () => {
      expectDseError(() => diffusionSpectralEntropySync(X, { randomSeed: 1.5 }), 'ERR_DSE_OPTION', /randomSeed/);
    });
    it('rejects an options value that is not an object', () => {
      expectDseError(() => diffusionSpectralEntropySync(X, 5 as never), 'ERR_DSE_TYPE', /options/);
    });
    it('rejects in the async form (a rejection, not a synchronous throw)', async () => {
      let p: Promise<number> | undefined;
      expect(() => {
        p = diffusionSpectralEntropy(X, { t: -1 });
      }).not.toThrow();
      await expectDseRejection(p!, 'ERR_DSE_OPTION', /for t but received -1/);
    });
  });
});

describe('#diffusionSpectralEntropy of a Float32Array', () => {
  it('is the value of its float64 widening, at every sigma (README, "Float32Array input")', () => {
    const X32 = toFloat32(uniformMatrix(300, 16));
    const X64 = { data: Float64Array.from(X32.data), rows: X32.rows, cols: X32.cols };
    for (const sigma of [3, 10]) expect(diffusionSpectralEntropySync(X32, { gaussianKernelSigma: sigma })).toBe(diffusionSpectralEntropySync(X64, { gaussianKernelSigma: sigma }));
  });
});
