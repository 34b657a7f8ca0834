// SPDX-License-Identifier: MIT
// Bad matrices, for every function that takes one (the option checks live with each function).
import {
  diffusionSpectralEntropySync,
  diffusionSpectralEntropy,
  adjacencySpectralEntropySync,
  diffusionEigenvaluesSync,
  diffusionSpectralMutualInformationSync,
  readNpy,
  DseTracker,
} from '../lib';
import * as path from 'path';
import { expectDseError, expectDseRejection, FIXTURES, loadMatrix } from './helpers';

const fns: [string, (X: never) => unknown][] = [
  ['diffusionSpectralEntropySync', (X) => diffusionSpectralEntropySync(X)],
  ['adjacencySpectralEntropySync', (X) => adjacencySpectralEntropySync(X)],
  ['diffusionEigenvaluesSync', (X) => diffusionEigenvaluesSync(X)],
];

describe.each(fns)('matrix validation in #%s', (_name, fn) => {
  const call = (X: unknown) => () => fn(X as never);

  it('rejects data length != rows * cols with ERR_DSE_SHAPE', () => {
    expectDseError(
      call({ data: new Float64Array(5), rows: 2, cols: 3 }),
      'ERR_DSE_SHAPE',
      /rows \* cols = 2 \* 3 = 6 values for X\.data but received 5/,
    );
  });
  it('rejects zero rows or columns', () => {
    expectDseError(
      call({ data: new Float64Array(0), rows: 0, cols: 3 }),
      'ERR_DSE_SHAPE',
      /at least 1 row for X but received shape \[0, 3\]/,
    );
    expectDseError(
      call({ data: new Float64Array(0), rows: 4, cols: 0 }),
      'ERR_DSE_SHAPE',
      /at least 1 column for X but received shape \[4, 0\]/,
    );
    expectDseError(call([]), 'ERR_DSE_SHAPE', /at least 1 row/);
    expectDseError(call([[], []]), 'ERR_DSE_SHAPE', /at least 1 column/);
  });
  it('rejects non-integer, negative and non-number sizes', () => {
    expectDseError(
      call({ data: new Float64Array(6), rows: 2.5, cols: 2 }),
      'ERR_DSE_SHAPE',
      /X\.rows but received 2\.5/,
    );
    expectDseError(call({ data: new Float64Array(6), rows: -2, cols: -3 }), 'ERR_DSE_SHAPE', /X\.rows but received -2/);
    expectDseError(call({ data: new Float64Array(6), rows: '2', cols: 3 }), 'ERR_DSE_TYPE', /X\.rows but received "2"/);
    expectDseError(
      call({ data: new Float64Array(6), rows: NaN, cols: 3 }),
      'ERR_DSE_SHAPE',
      /X\.rows but received NaN/,
    );
  });
  it('rejects rows * cols beyond what fits', () => {
    expectDseError(call({ data: new Float64Array(6), rows: 2 ** 40, cols: 2 ** 20 }), 'ERR_DSE_SHAPE', /X\.data/);
  });
  it('rejects NaN and Infinity, naming the row and column', () => {
    const d = new Float64Array(6).fill(1);
    d[4] = NaN;
    expectDseError(
      call({ data: d, rows: 2, cols: 3 }),
      'ERR_DSE_NON_FINITE',
      /finite numbers in X but received NaN at row 1, column 1/,
    );
    expectDseError(
      call([
        [1, 2],
        [Infinity, 3],
      ]),
      'ERR_DSE_NON_FINITE',
      /Infinity at row 1, column 0/,
    );
    const f = new Float32Array(4).fill(0.5);
    f[3] = -Infinity;
    expectDseError(call({ data: f, rows: 2, cols: 2 }), 'ERR_DSE_NON_FINITE', /-Infinity at row 1, column 1/);
  });
  it('rejects ragged number[][]', () => {
    expectDseError(
      call([
        [1, 2, 3],
        [4, 5],
      ]),
      'ERR_DSE_SHAPE',
      /3 values like row 0 .* for X\[1\] but received 2/,
    );
  });
  it('rejects wrong types', () => {
    expectDseError(call(null), 'ERR_DSE_TYPE', /for X but received null/);
    expectDseError(call(undefined), 'ERR_DSE_TYPE', /for X but received undefined/);
    expectDseError(call('abc'), 'ERR_DSE_TYPE', /for X but received "abc"/);
    expectDseError(call(new Float64Array(4)), 'ERR_DSE_TYPE', /for X but received/);
    expectDseError(call([[1, '2']]), 'ERR_DSE_TYPE', /a number for X\[0\]\[1\] but received "2"/);
    expectDseError(call([1, 2, 3]), 'ERR_DSE_TYPE', /one row\) for X\[0\] but received 1/);
    expectDseError(
      call({ data: new Int16Array(4), rows: 2, cols: 2 }),
      'ERR_DSE_TYPE',
      /Float64Array or Float32Array for X\.data but received a Int16Array of length 4\. Convert it first/,
    );
  });
  it('rejects a view of a detached (transferred) buffer', () => {
    const data = new Float64Array(6).fill(1);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    expectDseError(call({ data, rows: 2, cols: 3 }), 'ERR_DSE_TYPE', /detached/);
  });
});

describe('#diffusionSpectralEntropy options object', () => {
  it('turns a throwing getter into ERR_DSE_OPTION', async () => {
    const options = {
      get t(): number {
        throw new Error('boom');
      },
    };
    expectDseError(() => diffusionSpectralEntropySync([[1], [2]], options), 'ERR_DSE_OPTION', /option t .*boom/);
    await expectDseRejection(diffusionSpectralEntropy([[1], [2]], options), 'ERR_DSE_OPTION', /boom/);
  });
  it('treats undefined values as defaults and null options as none', () => {
    const X = [[0], [1], [3]];
    const base = diffusionSpectralEntropySync(X);
    expect(diffusionSpectralEntropySync(X, { t: undefined })).toBe(base);
    expect(diffusionSpectralEntropySync(X, null as never)).toBe(base);
  });
});

describe('{ data, shape }: what readNpy returns, passed as it is', () => {
  const X = loadMatrix('blobs.npy');
  const npy = () => readNpy(path.join(FIXTURES, 'blobs.npy'));

  it('gives the value of the same data as { data, rows, cols }, in both forms', async () => {
    const expected = diffusionSpectralEntropySync(X, { gaussianKernelSigma: 1 });
    expect(diffusionSpectralEntropySync(npy(), { gaussianKernelSigma: 1 })).toBe(expected);
    expect(await diffusionSpectralEntropy(npy(), { gaussianKernelSigma: 1 })).toBe(expected);
  });

  it('reads integer arrays (int64 as BigInt64Array) as float64, as numpy would', () => {
    const ints = { data: BigInt64Array.from(X.data, (v) => BigInt(Math.round(v * 10))), shape: [500, 16] };
    const asFloats = { data: Float64Array.from(ints.data, Number), rows: 500, cols: 16 };
    expect(diffusionSpectralEntropySync(ints, { gaussianKernelSigma: 10 })).toBe(
      diffusionSpectralEntropySync(asFloats, { gaussianKernelSigma: 10 }),
    );
  });

  it('takes labels and vectors of .npy files as the reference of DSMI', () => {
    const labels = readNpy(path.join(FIXTURES, 'clusters_dsmi_labels.npy'));
    const int32 = Int32Array.from(labels.data as BigInt64Array, Number);
    const expected = diffusionSpectralMutualInformationSync(X, int32, { gaussianKernelSigma: 1 }).value;
    expect(labels.shape).toEqual([500]);
    expect(diffusionSpectralMutualInformationSync(X, labels, { gaussianKernelSigma: 1 }).value).toBe(expected);
    const vectors = { data: X.data.slice(0, 500 * 2), shape: [500, 2] };
    expect(diffusionSpectralMutualInformationSync(X, vectors, { gaussianKernelSigma: 1, nClusters: 3 }).value).toBe(
      diffusionSpectralMutualInformationSync(
        X,
        { data: vectors.data, rows: 500, cols: 2 },
        { gaussianKernelSigma: 1, nClusters: 3 },
      ).value,
    );
  });

  it('serves DseTracker as labels and embeddings, with the values of the plain forms', async () => {
    const labels = readNpy(path.join(FIXTURES, 'clusters_dsmi_labels.npy'));
    const fromNpy = await new DseTracker({ labels, gaussianKernelSigma: 1 }).record({ epoch: 1, embeddings: npy() });
    const int32 = Int32Array.from(labels.data as BigInt64Array, Number);
    const plain = await new DseTracker({ labels: int32, gaussianKernelSigma: 1 }).record({ epoch: 1, embeddings: X });
    expect([fromNpy.dse, fromNpy.dsmiY]).toEqual([plain.dse, plain.dsmiY]);
  });

  it('refuses a shape that is not 2-D, or that does not match the data, naming the field', () => {
    expectDseError(
      () => diffusionSpectralEntropySync({ data: new Float64Array(6), shape: [6] }),
      'ERR_DSE_SHAPE',
      /a 2-D shape \[rows, cols\] for X\.shape but received \[6\]/,
    );
    expectDseError(
      () => diffusionSpectralEntropySync({ data: new Float64Array(5), shape: [2, 3] }),
      'ERR_DSE_SHAPE',
      /6 values for X\.data but received 5/,
    );
    expectDseError(
      () => diffusionSpectralEntropySync({ data: ['a', 'b'], shape: [1, 2] } as never),
      'ERR_DSE_TYPE',
      /a number for X\.data\[0\]/,
    );
  });
});
