// SPDX-License-Identifier: MIT
// method: 'slq' (lib/slq.ts, native/core/slq.h): accuracy against the exact eigendecomposition on
// flat and steep spectra, the golden cases, determinism, the standard error's coverage, option
// checks, the memory guard and cancellation.
import {
  diffusionSpectralEntropy,
  diffusionSpectralEntropySync,
  diffusionSpectralEntropyDetailed,
  diffusionSpectralEntropyDetailedSync,
  adjacencySpectralEntropySync,
  adjacencySpectralEntropyDetailedSync,
  diffusionSpectralMutualInformationSync,
  adjacencySpectralMutualInformationSync,
  diffusionEigenvaluesSync,
  spectralEntropy,
  SLQ_DEFAULTS,
} from '../lib';
import { native, type NativeSlqOptions } from '../lib/native';
import type { Matrix } from '../lib/validate';
import {
  golden,
  loadMatrix,
  expectDseError,
  expectDseRejection,
  uniformMatrix,
  blobsMatrix as blobs,
  loadReference,
  optionsOf,
} from './helpers';

/** The exact DSE for several t from one eigendecomposition. */
function exactFor(X: Matrix, sigma: number, ts: number[]): Record<number, number> {
  const ev = diffusionEigenvaluesSync(X, { gaussianKernelSigma: sigma });
  return Object.fromEntries(ts.map((t) => [t, spectralEntropy(ev, { t })]));
}

/** The native method-'slq' options of the diffusion kernel at `sigma`, 16 probes and steps, probe seed `seedLo`. */
function nativeSlqOptions(sigma: number, seedLo: number): NativeSlqOptions {
  return { kind: 0, sigma, t: 1, probes: 16, steps: 16, blockSize: 32, blockIterations: 8, seedHi: 0, seedLo };
}

const TOLERANCE = 0.02; // bits: the accuracy target

describe("method: 'slq'", () => {
  describe('accuracy against the exact eigendecomposition (N = 1500)', () => {
    // flat: small sigma, K close to I (entropy ~ log2 N); steep: large sigma, K close to rank one
    // (entropy << 1 bit); in between: clustered data with a slowly decaying spectrum.
    const cases: [string, Matrix, number][] = [
      ['flat (uniform D = 64, sigma 0.5)', uniformMatrix(1500, 64, 5), 0.5],
      ['steep (uniform D = 16, sigma 10)', uniformMatrix(1500, 16, 5), 10],
      ['steep (uniform D = 256, sigma 10)', uniformMatrix(1500, 256, 5), 10],
      ['decaying (blobs D = 16, sigma 2)', blobs(1500, 16), 2],
      ['decaying (blobs D = 16, sigma 5)', blobs(1500, 16), 5],
    ];
    it.each(cases)('%s, t = 1, 2, 5: within 0.02 bits and within 4 standard errors', (_name, X, sigma) => {
      const exact = exactFor(X, sigma, [1, 2, 5]);
      for (const t of [1, 2, 5]) {
        const r = diffusionSpectralEntropyDetailedSync(X, {
          gaussianKernelSigma: sigma,
          t,
          method: 'slq',
          randomSeed: 1,
        });
        const err = Math.abs(r.value - exact[t]);
        expect(err).toBeLessThan(TOLERANCE);
        expect(err).toBeLessThanOrEqual(4 * r.standardError);
        expect(r.method).toBe('slq');
        expect(r.n).toBe(1500);
      }
    });

    it('t = 0 gives the exact uniform-spectrum entropy', () => {
      const X = uniformMatrix(300, 4);
      const exact = diffusionSpectralEntropySync(X, { t: 0 });
      expect(diffusionSpectralEntropySync(X, { t: 0, method: 'slq' })).toBeCloseTo(exact, 12);
    });

    it('the adjacency entropies (Gaussian and anisotropic kernels) agree with exact', () => {
      const X = blobs(1200, 8, 9);
      for (const anisotropic of [false, true]) {
        const exact = adjacencySpectralEntropySync(X, { gaussianKernelSigma: 3, anisotropic });
        const r = adjacencySpectralEntropyDetailedSync(X, { gaussianKernelSigma: 3, anisotropic, method: 'slq' });
        expect(Math.abs(r.value - exact)).toBeLessThan(TOLERANCE);
        expect(Math.abs(r.value - exact)).toBeLessThanOrEqual(4 * r.standardError);
      }
    });
  });

  describe('golden cases (the Python reference) within 0.02 bits', () => {
    const supported = golden.cases.filter(
      (c) => !c.options.classicShannonEntropy && !c.options.matrixEntryEntropy && !c.options.useKnn,
    );
    it('has cases to check', () => expect(supported.length).toBeGreaterThanOrEqual(15));
    it.each(supported.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const X = loadMatrix(c.args.embeddingVectors);
      const options = { ...optionsOf(c), method: 'slq' as const };
      let value: number;
      if (c.fn === 'diffusionSpectralEntropy') value = diffusionSpectralEntropySync(X, options);
      else if (c.fn === 'adjacencySpectralEntropy') value = adjacencySpectralEntropySync(X, options);
      else {
        const labels = loadReference(c.args.referenceVectors!);
        value =
          c.fn === 'diffusionSpectralMutualInformation'
            ? diffusionSpectralMutualInformationSync(X, labels, options).value
            : adjacencySpectralMutualInformationSync(X, labels, options).value;
      }
      expect(Math.abs(value - c.expected.value)).toBeLessThan(TOLERANCE);
    });
  });

  describe('randomSeed', () => {
    const X = blobs(1200, 16);
    const options = { gaussianKernelSigma: 2, t: 2, method: 'slq' as const };

    it('the same seed gives the same bits, sync and async', async () => {
      const a = diffusionSpectralEntropyDetailedSync(X, { ...options, randomSeed: 42 });
      const b = diffusionSpectralEntropyDetailedSync(X, { ...options, randomSeed: 42 });
      const c = await diffusionSpectralEntropyDetailed(X, { ...options, randomSeed: 42 });
      expect(b.value).toBe(a.value);
      expect(b.standardError).toBe(a.standardError);
      expect(c.value).toBe(a.value);
      expect(c.standardError).toBe(a.standardError);
      expect(await diffusionSpectralEntropy(X, { ...options, randomSeed: 42n })).toBe(a.value);
    });

    it('another seed draws other probes', () => {
      const a = diffusionSpectralEntropySync(X, { ...options, randomSeed: 1 });
      const b = diffusionSpectralEntropySync(X, { ...options, randomSeed: 2 });
      expect(b).not.toBe(a);
      expect(Math.abs(a - b)).toBeLessThan(TOLERANCE);
    });

    it('the bits do not depend on the number of threads', () => {
      const opts = nativeSlqOptions(2, 7);
      const one = native().slqEntropy(X.data, X.rows, X.cols, null, { ...opts, maxThreads: 1 })[0];
      const all = native().slqEntropy(X.data, X.rows, X.cols, null, { ...opts, maxThreads: 0 })[0];
      expect(Array.from(all.subarray(0, 6))).toEqual(Array.from(one.subarray(0, 6)));
    });

    it('null seeds the probes at random', () => {
      const a = diffusionSpectralEntropySync(X, { ...options, randomSeed: null });
      const b = diffusionSpectralEntropySync(X, { ...options, randomSeed: null });
      expect(a).not.toBe(b);
      expect(Math.abs(a - b)).toBeLessThan(TOLERANCE);
    });

    it('the generator is the documented SplitMix64 + Box-Muller stream', () => {
      // stream key = SplitMix64 output `stream` from the seed; value i = output i from the key
      const mask = (1n << 64n) - 1n;
      const mix = (z: bigint) => {
        z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
        z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
        return z ^ (z >> 31n);
      };
      const golden = 0x9e3779b97f4a7c15n;
      const out = (state: bigint, i: bigint) => mix((state + (i + 1n) * golden) & mask);
      const seed = 12345n;
      const key = out(seed, 1n);
      for (const index of [0n, 1n, 17n]) {
        const u1 = (Number(out(key, 2n * index) >> 11n) + 1) * 2 ** -53;
        const u2 = Number(out(key, 2n * index + 1n) >> 11n) * 2 ** -53;
        const expected = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        expect(native().slqNormal(0, 12345, 1, Number(index))).toBeCloseTo(expected, 14);
      }
    });
  });

  it('the standard error covers the true error: |error| <= 2 SE for >= 90% of 30 seeds (N = 1500)', () => {
    const X = uniformMatrix(1500, 256, 5);
    const exact = exactFor(X, 10, [1])[1];
    let within1 = 0;
    let within2 = 0;
    let sumErr2 = 0;
    let sumSe2 = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const r = diffusionSpectralEntropyDetailedSync(X, { gaussianKernelSigma: 10, method: 'slq', randomSeed: seed });
      const err = Math.abs(r.value - exact);
      if (err <= r.standardError) within1++;
      if (err <= 2 * r.standardError) within2++;
      sumErr2 += err * err;
      sumSe2 += r.standardError ** 2;
    }
    expect(within2).toBeGreaterThanOrEqual(27);
    // and it is an estimate, not a loose bound: about 68% within one standard error
    expect(within1).toBeGreaterThanOrEqual(15);
    expect(Math.sqrt(sumErr2 / sumSe2)).toBeGreaterThan(0.4);
  });

  describe('the Detailed functions', () => {
    const X = uniformMatrix(700, 8, 3);
    it('report the exact method with a zero standard error', () => {
      const r = diffusionSpectralEntropyDetailedSync(X, { gaussianKernelSigma: 1 });
      expect(r).toEqual({
        value: diffusionSpectralEntropySync(X, { gaussianKernelSigma: 1 }),
        standardError: 0,
        method: 'exact',
        n: 700,
        seconds: expect.any(Number),
      });
    });
    it('report n after the maxN subsample and the slq diagnostics', async () => {
      const r = await diffusionSpectralEntropyDetailed(X, { gaussianKernelSigma: 1, method: 'slq', maxN: 500 });
      expect(r.n).toBe(500);
      expect(r.seconds).toBeGreaterThan(0);
      expect(r.slq).toMatchObject({ probes: SLQ_DEFAULTS.probes, lanczosSteps: SLQ_DEFAULTS.lanczosSteps });
      expect(r.standardError).toBeGreaterThan(0);
      expect(r.value).toBeCloseTo(diffusionSpectralEntropySync(X, { gaussianKernelSigma: 1, maxN: 500 }), 1);
    });
    it('take slq tuning options', () => {
      const r = diffusionSpectralEntropyDetailedSync(X, {
        method: 'slq',
        slq: { probes: 8, lanczosSteps: 10, blockSize: 0, blockIterations: 0 },
      });
      expect(r.slq).toMatchObject({ probes: 8, lanczosSteps: 10, deflated: 1 }); // only the exact top pair
    });
  });

  describe('options it cannot honour are refused', () => {
    const X = uniformMatrix(50, 3);
    it.each([
      [
        'useKnn (not symmetric)',
        () => adjacencySpectralEntropySync(X, { useKnn: true, method: 'slq' }),
        /kNN adjacency is not symmetric/,
      ],
      [
        'classicShannonEntropy',
        () => diffusionSpectralEntropySync(X, { classicShannonEntropy: true, method: 'slq' }),
        /classicShannonEntropy/,
      ],
      [
        'matrixEntryEntropy',
        () => diffusionSpectralEntropySync(X, { matrixEntryEntropy: true, method: 'slq' }),
        /matrixEntryEntropy/,
      ],
      [
        'chebyshevApprox',
        () => diffusionSpectralEntropySync(X, { chebyshevApprox: true, method: 'slq' }),
        /chebyshevApprox/,
      ],
      ['an unknown method', () => diffusionSpectralEntropySync(X, { method: 'lanczos' as never }), /'exact', 'slq'/],
      ['too few probes', () => diffusionSpectralEntropySync(X, { method: 'slq', slq: { probes: 2 } }), /slq.probes/],
      [
        'an unknown slq option',
        () => diffusionSpectralEntropySync(X, { method: 'slq', slq: { steps: 3 } as never }),
        /slq.steps/,
      ],
      [
        'kNN ASMI',
        () => adjacencySpectralMutualInformationSync(X, new Int32Array(50), { useKnn: true, method: 'slq' }),
        /not symmetric/,
      ],
    ])('%s', (_name, fn, message) => expectDseError(fn, 'ERR_DSE_OPTION', message));
  });

  describe('memory', () => {
    it('the guard knows the peak: about half of a float32 kernel, below the exact float64 one', () => {
      const n = 40000;
      const X = new Float64Array(n * 256);
      const opts = nativeSlqOptions(1, 0);
      const slq = native().slqBytes(X, n, 256, null, opts);
      expect(slq).toBeGreaterThan((n * n * 4) / 2);
      expect(slq).toBeLessThan(5e9); // measured peak RSS of a whole process at N = 40000: 3.7 GB
      const exact = native().spectraBytes(X, n, 256, null, { kind: 0, sigma: 1, knn: 1, precision: 0, output: 0 });
      // The exact path's float64 kernel: its lower triangle in panels, n (n + 64) / 2 entries.
      expect(exact).toBeGreaterThan((n * (n + 64) * 8) / 2);
      expect(exact).toBeGreaterThan(slq * 1.3);
    });
    it('refuses a call above memoryLimitBytes before allocating', async () => {
      const X = uniformMatrix(3000, 2);
      await expectDseRejection(
        diffusionSpectralEntropy(X, { method: 'slq', memoryLimitBytes: 1e6 }),
        'ERR_DSE_MEMORY',
        /float32 kernel matrix \(method 'slq'\)/,
      );
    });
  });

  it('an AbortSignal stops it', async () => {
    const X = uniformMatrix(6000, 64);
    const controller = new AbortController();
    const p = diffusionSpectralEntropy(X, { method: 'slq', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});
