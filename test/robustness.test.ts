// SPDX-License-Identifier: MIT
// Hostile input, memory limits, concurrency and cancellation: whatever a caller passes, the
// process survives, the answer is right or the error is clear.
import {
  diffusionSpectralEntropy,
  diffusionSpectralEntropySync,
  adjacencySpectralEntropy,
  adjacencySpectralEntropySync,
  diffusionSpectralMutualInformation,
  diffusionSpectralMutualInformationSync,
  diffusionEigenvaluesSync,
  spectralClusteringSync,
  setMemoryLimit,
  getMemoryLimit,
  setConcurrency,
} from '../lib';
import { expectDseError, expectDseRejection, uniformMatrix } from './helpers';

describe('hostile input', () => {
  afterEach(() => setConcurrency(0));

  it('reads a SharedArrayBuffer view like any other', () => {
    const X = uniformMatrix(60, 3);
    const shared = new Float64Array(new SharedArrayBuffer(X.data.byteLength));
    shared.set(X.data);
    expect(diffusionSpectralEntropySync({ data: shared, rows: 60, cols: 3 }, { gaussianKernelSigma: 0.5 })).toBe(
      diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.5 }),
    );
  });

  it('is unaffected by the caller mutating or transferring the buffer while an async call runs', async () => {
    // One thread: from 800 rows the eigensolver's thread count (which follows the machine's
    // load) may move the last bits, and this test compares bits.
    setConcurrency(1);
    const X = uniformMatrix(1500, 8, 9);
    const expected = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.5 });
    const copy = { data: Float64Array.from(X.data), rows: X.rows, cols: X.cols };
    const a = diffusionSpectralEntropy(copy, { gaussianKernelSigma: 0.5 });
    copy.data.fill(NaN); // after validation: the native task reads its own copy
    expect(await a).toBe(expected);
    const moved = { data: Float64Array.from(X.data), rows: X.rows, cols: X.cols };
    const b = diffusionSpectralEntropy(moved, { gaussianKernelSigma: 0.5 });
    structuredClone(moved.data.buffer, { transfer: [moved.data.buffer] });
    expect(moved.data.length).toBe(0);
    expect(await b).toBe(expected);
  });

  it('rejects null and undefined in every position with a DseError', async () => {
    const X = uniformMatrix(20, 2);
    const labels = Array.from({ length: 20 }, (_, i) => i % 2);
    expectDseError(() => diffusionSpectralEntropySync(null as never), 'ERR_DSE_TYPE', /for X but received null/);
    expectDseError(
      () => diffusionSpectralEntropySync({ data: null, rows: 2, cols: 2 } as never),
      'ERR_DSE_TYPE',
      /X\.data but received null/,
    );
    expectDseError(
      () => diffusionSpectralEntropySync({ data: new Float64Array(4), rows: undefined, cols: 2 } as never),
      'ERR_DSE_TYPE',
      /X\.rows but received undefined/,
    );
    expectDseError(
      () => diffusionSpectralEntropySync(X, { gaussianKernelSigma: null } as never),
      'ERR_DSE_OPTION',
      /gaussianKernelSigma but received null/,
    );
    expectDseError(
      () => adjacencySpectralEntropySync(X, { knn: null } as never),
      'ERR_DSE_OPTION',
      /knn but received null/,
    );
    expectDseError(
      () => diffusionSpectralMutualInformationSync(X, undefined as never),
      'ERR_DSE_TYPE',
      /reference but received undefined/,
    );
    expectDseError(
      () => diffusionSpectralMutualInformationSync(undefined as never, labels),
      'ERR_DSE_TYPE',
      /for X but received undefined/,
    );
    expectDseError(
      () => diffusionSpectralMutualInformationSync(X, [null, ...labels.slice(1)] as never),
      'ERR_DSE_TYPE',
      /reference\[0\] but received null/,
    );
    expectDseError(
      () => diffusionSpectralMutualInformationSync(X, labels, { nClusters: null } as never),
      'ERR_DSE_OPTION',
      /nClusters but received null/,
    );
    expectDseError(
      () => spectralClusteringSync(X, { nNeighbors: undefined, nClusters: null } as never),
      'ERR_DSE_OPTION',
      /nClusters but received null/,
    );
    await expectDseRejection(
      diffusionSpectralEntropy(X, { signal: null } as never),
      'ERR_DSE_OPTION',
      /AbortSignal for signal but received null/,
    );
    await expectDseRejection(
      diffusionSpectralMutualInformation(X, labels, { onProgress: null } as never),
      'ERR_DSE_OPTION',
      /function for onProgress/,
    );
  });

  it('rejects rows * cols beyond 2^53 and sizes beyond size_t before allocating', () => {
    expectDseError(
      () => diffusionEigenvaluesSync({ data: new Float64Array(1), rows: 2 ** 30, cols: 2 ** 30 }),
      'ERR_DSE_SHAPE',
      /X\.data/,
    );
    expectDseError(
      () => diffusionEigenvaluesSync({ data: new Float64Array(1), rows: 2 ** 53, cols: 1 }),
      'ERR_DSE_SHAPE',
      /X\.rows/,
    );
  });

  it('rejects NaN hidden deep in a Float32Array', () => {
    const f = new Float32Array(3000 * 4).fill(0.25);
    f[2999 * 4 + 2] = NaN;
    expectDseError(
      () => adjacencySpectralEntropySync({ data: f, rows: 3000, cols: 4 }),
      'ERR_DSE_NON_FINITE',
      /row 2999, column 2/,
    );
  });
});

describe('memory guard', () => {
  afterEach(() => setMemoryLimit(null));

  it('refuses 300000 x 2 with maxN: null at once, saying how much it needs and how to proceed', async () => {
    const X = { data: new Float64Array(600000).fill(1), rows: 300000, cols: 2 };
    const started = Date.now();
    expectDseError(
      () => diffusionSpectralEntropySync(X, { maxN: null }),
      'ERR_DSE_MEMORY',
      /needs about 336 GiB .* 300000 x 300000 float64 kernel .* Lower maxN .*float32/,
    );
    await expectDseRejection(diffusionSpectralEntropy(X, { maxN: null }), 'ERR_DSE_MEMORY', /336 GiB/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('applies the per-call option and the process-wide setting', () => {
    const X = uniformMatrix(500, 3);
    expectDseError(
      () => diffusionSpectralEntropySync(X, { memoryLimitBytes: 100000 }),
      'ERR_DSE_MEMORY',
      /the memoryLimitBytes option/,
    );
    setMemoryLimit(100000);
    expect(getMemoryLimit()).toBe(100000);
    expectDseError(() => adjacencySpectralEntropySync(X), 'ERR_DSE_MEMORY', /setMemoryLimit/);
    expect(Number.isFinite(diffusionSpectralEntropySync(X, { memoryLimitBytes: 1e9 }))).toBe(true);
    setMemoryLimit(null);
    expect(getMemoryLimit()).toBeGreaterThan(1e8);
    expectDseError(() => setMemoryLimit(-1), 'ERR_DSE_OPTION', /setMemoryLimit/);
    expectDseError(
      () => diffusionSpectralEntropySync(X, { memoryLimitBytes: 0 }),
      'ERR_DSE_OPTION',
      /memoryLimitBytes/,
    );
  });

  it('estimates spectral clustering without an n x n matrix (its sparse path never holds one)', () => {
    // 20000 rows: an n x n float64 matrix alone would be 3.2 GB; the sparse path needs ~0.2 GB.
    const Y = uniformMatrix(20000, 3, 5);
    const labels = spectralClusteringSync(Y, { nClusters: 10, memoryLimitBytes: 1e9 });
    expect(labels.length).toBe(20000);
    expect(new Set(labels).size).toBe(10);
    expectDseError(
      () => spectralClusteringSync(Y, { nClusters: 10, memoryLimitBytes: 1e7 }),
      'ERR_DSE_MEMORY',
      /spectral clustering of 20000 rows.*Cluster a random subset of the rows/,
    );
    // Small inputs take the dense path, whose two n x n float64 matrices (here 0.36 MB) count.
    const small = uniformMatrix(150, 3);
    expectDseError(
      () => spectralClusteringSync(small, { nClusters: 3, memoryLimitBytes: 7e5 }),
      'ERR_DSE_MEMORY',
      /\(dense\)/,
    );
    expect(spectralClusteringSync(small, { nClusters: 3, memoryLimitBytes: 2e6 }).length).toBe(150);
  });

  it('counts float32 as half the memory', () => {
    const X = uniformMatrix(2000, 3);
    // float64 needs ~32 MB here, float32 ~16 MB
    expectDseError(() => diffusionSpectralEntropySync(X, { memoryLimitBytes: 24e6 }), 'ERR_DSE_MEMORY');
    expect(Number.isFinite(diffusionSpectralEntropySync(X, { memoryLimitBytes: 24e6, precision: 'float32' }))).toBe(
      true,
    );
  });
});

describe('concurrency', () => {
  it('gives exactly the one-by-one values for 16 simultaneous async calls mixing DSE, ASE and DSMI', async () => {
    const inputs = Array.from({ length: 16 }, (_, i) => uniformMatrix(150 + 10 * i, 4, i + 1));
    const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 3);
    const run = (i: number, sync: boolean) => {
      const X = inputs[i];
      switch (i % 3) {
        case 0:
          return sync
            ? diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.4, t: 2 })
            : diffusionSpectralEntropy(X, { gaussianKernelSigma: 0.4, t: 2 });
        case 1:
          return sync
            ? adjacencySpectralEntropySync(X, { useKnn: true, knn: 5 })
            : adjacencySpectralEntropy(X, { useKnn: true, knn: 5 });
        default:
          return sync
            ? diffusionSpectralMutualInformationSync(X, labels(X.rows), { gaussianKernelSigma: 0.4 }).value
            : diffusionSpectralMutualInformation(X, labels(X.rows), { gaussianKernelSigma: 0.4 }).then((r) => r.value);
      }
    };
    const expected = inputs.map((_, i) => run(i, true) as number);
    const got = await Promise.all(inputs.map((_, i) => run(i, false)));
    expect(got).toEqual(expected);
  });
});

describe('cancellation', () => {
  it('rejects an aborted N = 6000 DSE promptly with an AbortError, and the addon stays usable', async () => {
    const X = uniformMatrix(6000, 8, 4);
    const controller = new AbortController();
    const p = diffusionSpectralEntropy(X, { gaussianKernelSigma: 0.5, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    const aborted = Date.now();
    controller.abort();
    let error: unknown;
    try {
      await p;
    } catch (e) {
      error = e;
    }
    expect(Date.now() - aborted).toBeLessThan(2000);
    expect((error as Error).name).toBe('AbortError');
    // Later calls still work (they wait for the aborted task to reach its next checkpoint).
    expect(Number.isFinite(await diffusionSpectralEntropy(uniformMatrix(50, 2)))).toBe(true);
  });

  it('rejects at once when the signal is already aborted, and in DSMI batches', async () => {
    const X = uniformMatrix(200, 3);
    const done = new AbortController();
    done.abort();
    await expect(diffusionSpectralEntropy(X, { signal: done.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const c = new AbortController();
    const p = diffusionSpectralMutualInformation(
      uniformMatrix(3000, 4),
      Array.from({ length: 3000 }, (_, i) => i % 2),
      {
        signal: c.signal,
        onProgress: () => c.abort(),
      },
    );
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });
});
