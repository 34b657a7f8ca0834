// SPDX-License-Identifier: MIT
// Bad matrices, for every function that takes one (the option checks live with each function).
import {
  diffusionSpectralEntropySync,
  diffusionSpectralEntropy,
  adjacencySpectralEntropySync,
  diffusionEigenvaluesSync,
} from '../lib';
import { expectDseError, expectDseRejection } from './helpers';

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
