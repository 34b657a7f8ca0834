// SPDX-License-Identifier: MIT
// The Promise forms run on worker threads: the event loop keeps turning, errors keep the
// caller's stack, and native failures arrive as DseError.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AbortError,
  DseError,
  diffusionSpectralEntropy,
  diffusionSpectralEntropySync,
  adjacencySpectralEntropy,
  diffusionSpectralMutualInformation,
  diffusionSpectralMutualInformationSync,
  adjacencySpectralMutualInformation,
  diffusionSpectralEntropyDetailed,
  adjacencySpectralEntropyDetailed,
  diffusionEigenvalues,
  chebyshevEigenvalues,
  spectralClustering,
  buildInfo,
  type Matrix,
} from '../lib';
import { fromNative } from '../lib/native';
import { uniformMatrix, blobsMatrix, expectDseError, expectDseRejection, expectBlasAsConfigured } from './helpers';

describe('async execution', () => {
  it('keeps the event loop free while an N = 3000 entropy computes', async () => {
    const X = uniformMatrix(3000, 16, 7);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = Date.now();
    const value = await diffusionSpectralEntropy(X, { gaussianKernelSigma: 1 });
    const elapsed = Date.now() - started;
    clearInterval(timer);
    expect(Number.isFinite(value)).toBe(true);
    // The interval fires throughout: at least a third of the 5 ms slots of the computation.
    expect(ticks).toBeGreaterThan(Math.floor(elapsed / 5 / 3));
    expect(ticks).toBeGreaterThan(5);
  });

  it('gives the same value as the sync form, and runs concurrent calls correctly', async () => {
    const X = uniformMatrix(300, 8, 3);
    const expected = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.7 });
    const values = await Promise.all(
      Array.from({ length: 6 }, () => diffusionSpectralEntropy(X, { gaussianKernelSigma: 0.7 })),
    );
    for (const v of values) expect(v).toBe(expected);
  });

  it('rejects with a stack that names the calling file after a native round trip', async () => {
    // The eigenvalues are computed on the compute thread; only then does the cache write fail.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-stack-'));
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, 'x');
    try {
      const e: unknown = await diffusionSpectralEntropy(uniformMatrix(200, 4), {
        eigvalSavePath: path.join(blocker, 'sub', 'c.npz'),
      }).catch((err: unknown) => err);
      expect(e).toMatchObject({ name: 'DseError', code: 'ERR_DSE_CACHE' });
      expect((e as Error).stack).toContain('async.test.ts');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects with a stack that names the calling file when the plan refuses before native work', async () => {
    try {
      await adjacencySpectralEntropy(uniformMatrix(5, 2), { useKnn: true, knn: 6 });
      throw new Error('expected a rejection');
    } catch (e) {
      expect((e as Error).name).toBe('DseError');
      expect((e as Error).stack).toContain('async.test.ts');
    }
  });

  it("turns native failures into DseError with the caller's stack", () => {
    const native = Object.assign(new Error('native: dsyevd failed to converge (info = 3)'), { code: 'ERR_DSE_NATIVE' });
    const stack = new Error('here').stack;
    const e = fromNative(native, stack) as Error & { code: string };
    expect(e.name).toBe('DseError');
    expect(e.code).toBe('ERR_DSE_NATIVE');
    expect(e.message).toBe('internal: dsyevd failed to converge (info = 3)');
    expect(e.stack).toContain('async.test.ts');
    expect(
      (fromNative(Object.assign(new Error('x'), { code: 'ERR_DSE_MEMORY' })) as Error & { code: string }).code,
    ).toBe('ERR_DSE_MEMORY');
    expect(fromNative(Object.assign(new Error('x'), { code: 'ABORT_ERR' })).name).toBe('AbortError');
  });

  it('rejects a subset index out of range inside native with a DseError, not a crash', async () => {
    const { native } = await import('../lib/native');
    expect(() =>
      native().spectra(new Float64Array(4), 2, 2, [Int32Array.from([0, 5])], {
        kind: 0,
        sigma: 1,
        knn: 1,
        precision: 0,
        output: 0,
      }),
    ).toThrow(/row index out of range/);
    await expectDseRejection(
      diffusionSpectralEntropy({ data: new Float64Array([1, NaN]), rows: 2, cols: 1 }),
      'ERR_DSE_NON_FINITE',
    );
  });
});

describe('#buildInfo', () => {
  it('reports the BLAS/LAPACK in use, threads and where the addon came from', () => {
    const info = buildInfo();
    expect(typeof info.blas).toBe('string');
    expect(['OpenBLAS LAPACK', 'Eigen']).toContain(info.lapack);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(['prebuild', 'build']).toContain(info.source);
    expectBlasAsConfigured(info); // OpenBLAS, unless DSE_BLAS=none
    expect(info.platform).toBe(`${process.platform}-${process.arch}`);
    const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header
      .glibcVersionRuntime;
    expect(info.libc).toBe(glibc ? `glibc ${glibc}` : process.platform === 'linux' ? 'musl' : undefined);
  });
});

describe('the compute queue', () => {
  it(
    'holds no libuv pool thread while calls wait: a file read completes before half of 8 queued DSE ' + 'calls',
    async () => {
      const X = uniformMatrix(700, 8, 11);
      let settled = 0;
      const calls = Array.from({ length: 8 }, () =>
        diffusionSpectralEntropy(X, { gaussianKernelSigma: 1 }).then(() => settled++),
      );
      // Four pool threads held by waiting calls would queue the read behind the fifth call.
      const settledWhenRead = await fs.promises.readFile(__filename).then(() => settled);
      await Promise.all(calls);
      expect(settled).toBe(8);
      expect(settledWhenRead).toBeLessThan(4);
    },
  );

  it('runs async calls one after the other in the order they were made', async () => {
    const order: number[] = [];
    const sizes = [900, 60, 500, 30];
    await Promise.all(
      sizes.map((n, i) =>
        diffusionSpectralEntropy(uniformMatrix(n, 4, i + 1), { gaussianKernelSigma: 1 }).then(() => order.push(i)),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('takes an aborted queued call out of the queue at once', async () => {
    const { native } = await import('../lib/native');
    const running = diffusionSpectralEntropy(uniformMatrix(1500, 8, 5), { gaussianKernelSigma: 1 });
    const controller = new AbortController();
    const queued = diffusionSpectralEntropy(uniformMatrix(1000, 8, 6), {
      gaussianKernelSigma: 1,
      signal: controller.signal,
    });
    const before = native().queuedJobs();
    expect(before).toBeGreaterThanOrEqual(2);
    controller.abort();
    expect(native().queuedJobs()).toBe(before - 1);
    const order: string[] = [];
    await Promise.all([
      running.then(() => order.push('running')),
      queued.catch((e: unknown) => {
        order.push('queued');
        expect(e).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      }),
    ]);
    expect(order).toEqual(['queued', 'running']);
  });
});

describe('AbortError', () => {
  async function rejection(p: Promise<unknown>): Promise<Error & { code?: unknown; cause?: unknown }> {
    try {
      await p;
    } catch (e) {
      return e as Error & { code?: unknown; cause?: unknown };
    }
    throw new Error('expected a rejection');
  }

  function expectAbortError(e: Error & { code?: unknown; cause?: unknown }, reason: unknown): void {
    expect(e).toBeInstanceOf(AbortError);
    expect(e).toBeInstanceOf(DseError);
    expect(e.name).toBe('AbortError');
    expect(e.code).toBe('ABORT_ERR');
    expect(e.message).toBe('The operation was aborted');
    expect(e.cause).toBe(reason);
    expect(e.stack).toContain('async.test.ts');
  }

  it('is the rejection of ac.abort() before the call (code ABORT_ERR, not the DOMException code 20)', async () => {
    const controller = new AbortController();
    controller.abort();
    const e = await rejection(diffusionSpectralEntropy(uniformMatrix(50, 2), { signal: controller.signal }));
    expectAbortError(e, controller.signal.reason);
    expect((e.cause as { code?: unknown }).code).toBe(20);
  });

  it('is the rejection of ac.abort() on a running call', async () => {
    const controller = new AbortController();
    const p = diffusionSpectralEntropy(uniformMatrix(2500, 8, 3), {
      gaussianKernelSigma: 1,
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    expectAbortError(await rejection(p), controller.signal.reason);
  });

  it('is the rejection of ac.abort() on a queued call', async () => {
    const first = diffusionSpectralEntropy(uniformMatrix(1500, 8, 3), { gaussianKernelSigma: 1 });
    const controller = new AbortController();
    const p = adjacencySpectralEntropy(uniformMatrix(800, 8, 4), { signal: controller.signal });
    controller.abort();
    expectAbortError(await rejection(p), controller.signal.reason);
    await first;
  });

  it('is the rejection of AbortSignal.timeout(), with the TimeoutError as its cause', async () => {
    const signal = AbortSignal.timeout(1);
    const e = await rejection(
      diffusionSpectralMutualInformation(
        uniformMatrix(2000, 8, 2),
        Array.from({ length: 2000 }, (_, i) => i % 2),
        { signal },
      ),
    );
    expectAbortError(e, signal.reason);
    expect((e.cause as Error).name).toBe('TimeoutError');
  });
});

describe('classic Shannon entropy', () => {
  it('runs on the compute queue behind earlier calls (not on the main thread) and gives the sync value', async () => {
    const X = uniformMatrix(4000, 6, 8);
    const order: string[] = [];
    const dse = diffusionSpectralEntropy(uniformMatrix(1200, 8, 1), { gaussianKernelSigma: 1 }).then(() =>
      order.push('dse'),
    );
    const cse = diffusionSpectralEntropy(X, { classicShannonEntropy: true, numBinsPerDim: 3 }).then((v) => {
      order.push('cse');
      return v;
    });
    const labels = Array.from({ length: 4000 }, (_, i) => i % 3);
    const csmi = diffusionSpectralMutualInformation(X, labels, { classicShannonEntropy: true }).then((r) => {
      order.push('csmi');
      return r.value;
    });
    const [, h, mi] = await Promise.all([dse, cse, csmi]);
    expect(order).toEqual(['dse', 'cse', 'csmi']);
    expect(h).toBe(diffusionSpectralEntropySync(X, { classicShannonEntropy: true, numBinsPerDim: 3 }));
    expect(mi).toBe(diffusionSpectralMutualInformationSync(X, labels, { classicShannonEntropy: true }).value);
  });

  it('can be aborted (CSE and CSMI)', async () => {
    const first = diffusionSpectralEntropy(uniformMatrix(1200, 8, 1), { gaussianKernelSigma: 1 });
    const controller = new AbortController();
    const X = uniformMatrix(3000, 4, 2);
    const cse = diffusionSpectralEntropy(X, { classicShannonEntropy: true, signal: controller.signal });
    const csmi = diffusionSpectralMutualInformation(
      X,
      Array.from({ length: 3000 }, (_, i) => i % 4),
      { classicShannonEntropy: true, signal: controller.signal },
    );
    controller.abort();
    await expect(cse).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await expect(csmi).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await first;
  });
});

describe('inputs of async calls', () => {
  type Call = (X: Matrix, reference: Matrix) => Promise<unknown>;
  const sigma = { gaussianKernelSigma: 1 };
  // Every async entry point; the MI ones with a matrix reference, which is clustered first.
  const entries: [string, Call][] = [
    ['diffusionSpectralEntropy', (X) => diffusionSpectralEntropy(X, sigma)],
    ['diffusionSpectralEntropy (classic Shannon)', (X) => diffusionSpectralEntropy(X, { classicShannonEntropy: true })],
    ['adjacencySpectralEntropy', (X) => adjacencySpectralEntropy(X, sigma)],
    ['diffusionSpectralEntropyDetailed', (X) => diffusionSpectralEntropyDetailed(X, sigma).then((r) => r.value)],
    ['adjacencySpectralEntropyDetailed', (X) => adjacencySpectralEntropyDetailed(X, sigma).then((r) => r.value)],
    ['diffusionEigenvalues', (X) => diffusionEigenvalues(X, sigma)],
    ['chebyshevEigenvalues', (X) => chebyshevEigenvalues(X, { gaussianKernelSigma: 1, randomSeed: 1 })],
    ['spectralClustering', (X) => spectralClustering(X, { nClusters: 3 })],
    [
      'diffusionSpectralMutualInformation',
      (X, Y) => diffusionSpectralMutualInformation(X, Y, { ...sigma, nClusters: 3 }).then((r) => r.value),
    ],
    [
      'diffusionSpectralMutualInformation (CSMI)',
      (X, Y) =>
        diffusionSpectralMutualInformation(X, Y, { classicShannonEntropy: true, nClusters: 3 }).then((r) => r.value),
    ],
    [
      'adjacencySpectralMutualInformation',
      (X, Y) => adjacencySpectralMutualInformation(X, Y, { ...sigma, nClusters: 3 }).then((r) => r.value),
    ],
  ];
  const copy = (m: Matrix): Matrix => ({ data: Float64Array.from(m.data), rows: m.rows, cols: m.cols });
  const X0 = uniformMatrix(240, 4, 21);
  const Y0 = blobsMatrix(240, 3, 22);

  it.each(entries)('%s: mutating X and the reference during the call changes nothing', async (_, call) => {
    const expected = await call(copy(X0), copy(Y0));
    const X = copy(X0);
    const Y = copy(Y0);
    const p = call(X, Y);
    X.data.fill(0.25);
    Y.data.reverse();
    expect(await p).toEqual(expected);
  });

  it.each(entries)(
    '%s: transferring the buffers of X and the reference during the call changes nothing',
    async (_, call) => {
      const expected = await call(copy(X0), copy(Y0));
      const X = copy(X0);
      const Y = copy(Y0);
      const p = call(X, Y);
      const buffers = [X.data.buffer, Y.data.buffer] as ArrayBuffer[];
      structuredClone(buffers, { transfer: buffers });
      expect(X.data.length).toBe(0);
      expect(await p).toEqual(expected);
    },
  );

  it('precomputedClusters: mutating or transferring them during a DSMI call changes nothing', async () => {
    const labels = Int32Array.from({ length: 240 }, (_, i) => i % 3);
    const run = (clusters: Int32Array) =>
      diffusionSpectralMutualInformation(copy(X0), copy(Y0), {
        ...sigma,
        referenceDiscrete: false,
        precomputedClusters: clusters,
      });
    const expected = (await run(Int32Array.from(labels))).value;
    const mutated = Int32Array.from(labels);
    const p = run(mutated);
    mutated.fill(0);
    expect((await p).value).toBe(expected);
    const moved = Int32Array.from(labels);
    const q = run(moved);
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    expect((await q).value).toBe(expected);
  });

  it('the eigenvalue cache fingerprints X as it was at the call, mutated or transferred after', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-async-'));
    try {
      for (const [i, disturb] of [
        (m: Matrix) => m.data.fill(0.25),
        (m: Matrix) => structuredClone(m.data.buffer, { transfer: [m.data.buffer as ArrayBuffer] }),
      ].entries()) {
        const file = path.join(dir, `${i}.npz`);
        const X = copy(X0);
        const p = diffusionSpectralEntropy(X, { ...sigma, eigvalSavePath: file });
        disturb(X);
        const value = await p;
        // The file belongs to the X of the call: the same X is served from it, another is refused.
        expect(diffusionSpectralEntropySync(copy(X0), { ...sigma, eigvalSavePath: file })).toBe(value);
        expectDseError(
          () => diffusionSpectralEntropySync(uniformMatrix(240, 4, 5), { ...sigma, eigvalSavePath: file }),
          'ERR_DSE_CACHE_STALE',
        );
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Promise forms, derived from one definition each', () => {
  const X = blobsMatrix(120, 4);
  const labels = Int32Array.from({ length: 120 }, (_, i) => i % 3);
  // Every public Promise form, with the inputs and options that make it run one native batch.
  const forms: [
    string,
    (o: { signal?: AbortSignal; onProgress?: (d: number, t: number) => void }) => Promise<unknown>,
  ][] = [
    ['diffusionSpectralEntropy', (o) => diffusionSpectralEntropy(X, { gaussianKernelSigma: 2, ...o })],
    ['adjacencySpectralEntropy', (o) => adjacencySpectralEntropy(X, { gaussianKernelSigma: 2, ...o })],
    ['diffusionSpectralEntropyDetailed', (o) => diffusionSpectralEntropyDetailed(X, { gaussianKernelSigma: 2, ...o })],
    ['adjacencySpectralEntropyDetailed', (o) => adjacencySpectralEntropyDetailed(X, { gaussianKernelSigma: 2, ...o })],
    ['diffusionEigenvalues', (o) => diffusionEigenvalues(X, { gaussianKernelSigma: 2, ...o })],
    ['chebyshevEigenvalues', (o) => chebyshevEigenvalues(X, { gaussianKernelSigma: 2, ...o })],
    ['spectralClustering', (o) => spectralClustering(X, { nClusters: 3, ...o })],
    [
      'diffusionSpectralMutualInformation',
      (o) => diffusionSpectralMutualInformation(X, labels, { gaussianKernelSigma: 2, ...o }),
    ],
    [
      'adjacencySpectralMutualInformation',
      (o) => adjacencySpectralMutualInformation(X, labels, { gaussianKernelSigma: 2, ...o }),
    ],
  ];

  it.each(forms)('%s takes signal and onProgress', async (_name, call) => {
    const seen: [number, number][] = [];
    const controller = new AbortController();
    await call({ signal: controller.signal, onProgress: (d, t) => seen.push([d, t]) });
    // onProgress is called on native batches that report progress; where it is, the last call says done.
    if (seen.length > 0) expect(seen[seen.length - 1][0]).toBe(seen[seen.length - 1][1]);
    controller.abort();
    await expect(call({ signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
  });

  it.each(forms)('%s names itself in option errors', async (name, call) => {
    await expectDseRejection(call({ onProgress: 1 } as never), 'ERR_DSE_OPTION', new RegExp(`function for onProgress`));
    await expect(call({ nope: 1 } as never)).rejects.toThrow(new RegExp(`Unknown option "nope" for ${name}\\.`));
  });

  it('the Sync forms refuse signal and onProgress by name', () => {
    expectDseError(
      () => diffusionSpectralEntropySync(X, { signal: new AbortController().signal } as never),
      'ERR_DSE_OPTION',
      /Unknown option "signal" for diffusionSpectralEntropySync/,
    );
    expectDseError(
      () => diffusionSpectralMutualInformationSync(X, labels, { onProgress: () => undefined } as never),
      'ERR_DSE_OPTION',
      /Unknown option "onProgress" for diffusionSpectralMutualInformationSync/,
    );
  });

  it('keeps the function names', () => {
    for (const [name] of forms)
      expect(
        (
          {
            diffusionSpectralEntropy,
            adjacencySpectralEntropy,
            diffusionSpectralEntropyDetailed,
            adjacencySpectralEntropyDetailed,
            diffusionEigenvalues,
            chebyshevEigenvalues,
            spectralClustering,
            diffusionSpectralMutualInformation,
            adjacencySpectralMutualInformation,
          } as Record<string, { name: string }>
        )[name].name,
      ).toBe(name);
  });
});
