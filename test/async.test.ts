// SPDX-License-Identifier: MIT
// The Promise forms run on worker threads: the event loop keeps turning, errors keep the
// caller's stack, and native failures arrive as DseError.
import { diffusionSpectralEntropy, diffusionSpectralEntropySync, adjacencySpectralEntropy, buildInfo } from '../lib';
import { fromNative } from '../lib/native';
import { uniformMatrix, expectDseRejection, expectBlasAsConfigured } from './helpers';

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
    const values = await Promise.all(Array.from({ length: 6 }, () => diffusionSpectralEntropy(X, { gaussianKernelSigma: 0.7 })));
    for (const v of values) expect(v).toBe(expected);
  });

  it('rejects with a stack that names the calling file', async () => {
    try {
      await adjacencySpectralEntropy(uniformMatrix(5, 2), { useKnn: true, knn: 6 });
      throw new Error('expected a rejection');
    } catch (e) {
      expect((e as Error).name).toBe('DseError');
      expect((e as Error).stack).toContain('async.test.ts');
    }
  });

  it('turns native failures into DseError with the caller\'s stack', () => {
    const native = Object.assign(new Error('native: dsyevd failed to converge (info = 3)'), { code: 'ERR_DSE_NATIVE' });
    const stack = new Error('here').stack;
    const e = fromNative(native, stack) as Error & { code: string };
    expect(e.name).toBe('DseError');
    expect(e.code).toBe('ERR_DSE_NATIVE');
    expect(e.message).toBe('internal: dsyevd failed to converge (info = 3)');
    expect(e.stack).toContain('async.test.ts');
    expect((fromNative(Object.assign(new Error('x'), { code: 'ERR_DSE_MEMORY' })) as Error & { code: string }).code).toBe('ERR_DSE_MEMORY');
    expect(fromNative(Object.assign(new Error('x'), { code: 'ABORT_ERR' })).name).toBe('AbortError');
  });

  it('rejects a subset index out of range inside native with a DseError, not a crash', async () => {
    const { native } = await import('../lib/native');
    expect(() =>
      native().spectra(new Float64Array(4), 2, 2, [Int32Array.from([0, 5])], { kind: 0, sigma: 1, knn: 1, precision: 0, output: 0 }),
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
  });
});
