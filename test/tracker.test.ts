// SPDX-License-Identifier: MIT
// DseTracker: the same numbers as the library's own calls, the input clustering done once,
// every matrix form (Matrix, number[][], tensor-like, TensorFlow.js tensors), reports and CSV.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as clusters from '../lib/clusters';
import { DseTracker } from '../lib/tracker';
import { diffusionSpectralEntropySync, diffusionSpectralMutualInformationSync, spectralClusteringSync } from '../lib';
import { parseCsv } from '../lib/io/csv';
import type { Matrix } from '../lib/validate';

tf.enableProdMode();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-tracker-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

/** Deterministic data: three blobs in 6-D (inputs), labels, and embeddings per epoch. */
function data(n = 120): { X: Matrix; labels: Int32Array; embeddings: (epoch: number) => Matrix } {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const labels = Int32Array.from({ length: n }, (_v, i) => i % 3);
  const X = { data: new Float64Array(n * 6), rows: n, cols: 6 };
  for (let i = 0; i < n; i++) for (let j = 0; j < 6; j++) X.data[i * 6 + j] = labels[i] * 3 * (j === labels[i] ? 1 : 0) + rand();
  const embeddings = (epoch: number) => {
    const Z = { data: new Float64Array(n * 4), rows: n, cols: 4 };
    for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) Z.data[i * 4 + j] = (epoch * labels[i] * (j + 1)) / 2 + rand() * 2;
    return Z;
  };
  return { X, labels, embeddings };
}

describe('DseTracker#record', () => {
  it('computes DSE(Z), DSMI(Z;Y) and DSMI(Z;X) exactly as the library calls do', async () => {
    const { X, labels, embeddings } = data();
    const options = { gaussianKernelSigma: 2, t: 2, numRepetitions: 3, nClusters: 3, randomSeed: 5 };
    const tracker = new DseTracker({ labels, inputs: X, ...options });
    const Z = embeddings(2);
    const r = await tracker.record({ epoch: 2, layer: 'fc', embeddings: Z });
    const { gaussianKernelSigma, t, randomSeed, numRepetitions, nClusters } = options;
    expect(r.dse).toBe(diffusionSpectralEntropySync(Z, { gaussianKernelSigma, t, randomSeed }));
    expect(r.dsmiY).toBe(diffusionSpectralMutualInformationSync(Z, labels, { gaussianKernelSigma, t, randomSeed, numRepetitions }).value);
    const inputClusters = spectralClusteringSync(X, { nClusters });
    expect(Array.from(await tracker.inputClusters())).toEqual(Array.from(inputClusters));
    // with precomputed clusters, and also what DSMI computes when it clusters the inputs itself
    const direct = diffusionSpectralMutualInformationSync(Z, X, { gaussianKernelSigma, t, randomSeed, numRepetitions, nClusters });
    expect(r.dsmiX).toBe(direct.value);
    expect(r).toMatchObject({ layer: 'fc', epoch: 2, rows: 120, cols: 4 });
    expect(r.seconds).toBeGreaterThan(0);
  });

  it('takes int64 class labels beyond the int32 range and 2^53, as DSMI does', async () => {
    const { labels, embeddings } = data();
    const wide = BigInt64Array.from(labels, (l) => 2n ** 60n + BigInt(l));
    const Z = embeddings(2);
    const r = await new DseTracker({ labels: wide, gaussianKernelSigma: 2, numRepetitions: 2 }).record({ epoch: 1, embeddings: Z });
    expect(r.dsmiY).toBe(diffusionSpectralMutualInformationSync(Z, labels, { gaussianKernelSigma: 2, numRepetitions: 2 }).value);
  });

  it("passes method 'slq' and its tuning to every DSE and DSMI", async () => {
    const { X, labels, embeddings } = data();
    const options = { gaussianKernelSigma: 2, numRepetitions: 2, nClusters: 3, randomSeed: 9, method: 'slq' as const, slq: { probes: 8 } };
    const tracker = new DseTracker({ labels, inputs: X, ...options });
    const Z = embeddings(3);
    const r = await tracker.record({ epoch: 3, embeddings: Z });
    const { gaussianKernelSigma, randomSeed, numRepetitions, nClusters, method, slq } = options;
    expect(r.dse).toBe(diffusionSpectralEntropySync(Z, { gaussianKernelSigma, randomSeed, method, slq }));
    expect(r.dse).not.toBe(diffusionSpectralEntropySync(Z, { gaussianKernelSigma, randomSeed })); // an estimate, not the exact path
    expect(Math.abs(r.dse - diffusionSpectralEntropySync(Z, { gaussianKernelSigma, randomSeed }))).toBeLessThan(0.02);
    expect(r.dsmiY).toBe(diffusionSpectralMutualInformationSync(Z, labels, { gaussianKernelSigma, randomSeed, numRepetitions, method, slq }).value);
    expect(r.dsmiX).toBe(diffusionSpectralMutualInformationSync(Z, X, { gaussianKernelSigma, randomSeed, numRepetitions, nClusters, method, slq }).value);
    expect(() => new DseTracker({ method: 'fast' as never })).toThrow(/method/);
  });

  it('clusters the inputs once, however many records (also concurrent ones)', async () => {
    const { X, labels, embeddings } = data();
    const spy = jest.spyOn(clusters, 'spectralClustering');
    const tracker = new DseTracker({ labels, inputs: X, nClusters: 3 });
    await Promise.all([1, 2, 3].map((epoch) => tracker.record({ epoch, layer: 'a', embeddings: embeddings(epoch) })));
    await tracker.record({ epoch: 1, layer: 'b', embeddings: embeddings(1) });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(tracker.results().map((r) => `${r.layer}${r.epoch}`)).toEqual(['a1', 'a2', 'a3', 'b1']);
  });

  it('uses given inputClusters without clustering', async () => {
    const { X, labels, embeddings } = data();
    const spy = jest.spyOn(clusters, 'spectralClustering');
    const given = Int32Array.from(labels, (l) => 2 - l);
    const tracker = new DseTracker({ labels, inputs: X, inputClusters: given, numRepetitions: 2 });
    const Z = embeddings(3);
    const r = await tracker.record({ epoch: 3, embeddings: Z });
    expect(spy).not.toHaveBeenCalled();
    expect(r.layer).toBe('embeddings');
    expect(r.dsmiX).toBe(
      diffusionSpectralMutualInformationSync(Z, X, { referenceDiscrete: false, precomputedClusters: given, numRepetitions: 2 }).value,
    );
  });

  it('takes a Matrix, number[][], a tensor-like object and a TensorFlow.js tensor alike', async () => {
    const { labels, embeddings } = data(90);
    const Z = embeddings(1);
    const rows = Array.from({ length: Z.rows }, (_v, i) => Array.from(Z.data.subarray(i * 4, i * 4 + 4)));
    const tracker = new DseTracker({ labels, gaussianKernelSigma: 3 });
    const a = await tracker.record({ epoch: 1, layer: 'matrix', embeddings: Z });
    const b = await tracker.record({ epoch: 1, layer: 'rows', embeddings: rows });
    const c = await tracker.record({ epoch: 1, layer: 'tensor-like', embeddings: { shape: [Z.rows, Z.cols], dataSync: () => Z.data } });
    const tensor = tf.tensor2d(Float32Array.from(Z.data), [Z.rows, Z.cols], 'float32');
    const d = await tracker.record({ epoch: 1, layer: 'tfjs', embeddings: tensor });
    tensor.dispose();
    expect(b.dse).toBe(a.dse);
    expect(c.dse).toBe(a.dse);
    expect(b.dsmiY).toBe(a.dsmiY);
    expect(d.dse).toBeCloseTo(a.dse, 4); // float32 values
    expect(d.dsmiX).toBeNull();
    // 1-D tensors as labels too
    const labelTensor = tf.tensor1d(labels, 'int32');
    const t2 = new DseTracker({ labels: labelTensor, gaussianKernelSigma: 3 });
    labelTensor.dispose();
    expect((await t2.record({ epoch: 1, embeddings: Z })).dsmiY).toBe(a.dsmiY);
  });

  it('copies the embeddings, so the caller may reuse or dispose them at once', async () => {
    const { labels, embeddings } = data(60);
    const Z = embeddings(1);
    const expected = diffusionSpectralEntropySync(Z);
    const tracker = new DseTracker({ labels });
    const pending = tracker.record({ epoch: 1, embeddings: Z });
    Z.data.fill(0);
    const tensor = tf.tensor2d(Float32Array.from(embeddings(1).data), [60, 4]);
    const pending2 = tracker.record({ epoch: 2, embeddings: tensor });
    tensor.dispose();
    expect((await pending).dse).toBe(expected);
    await expect(pending2).resolves.toMatchObject({ epoch: 2 });
  });

  it('rejects embeddings with another number of rows, naming the layer and epoch', async () => {
    const { labels, embeddings } = data(60);
    const tracker = new DseTracker({ labels });
    const Z = embeddings(1);
    await expect(tracker.record({ epoch: 4, layer: 'fc2', embeddings: { data: Z.data.subarray(0, 40), rows: 10, cols: 4 } })).rejects.toMatchObject({
      code: 'ERR_DSE_SHAPE',
      message: 'Expected 60 rows (one per label) for embeddings but received shape [10, 4] (layer "fc2", epoch 4)',
    });
  });

  it('rejects the same layer and epoch twice, bad epochs and bad options', async () => {
    const { labels, embeddings } = data(60);
    const tracker = new DseTracker({ labels });
    await tracker.record({ epoch: 1, embeddings: embeddings(1) });
    await expect(tracker.record({ epoch: 1, embeddings: embeddings(1) })).rejects.toMatchObject({ code: 'ERR_DSE_OPTION' });
    await expect(tracker.record({ epoch: Number.NaN, embeddings: embeddings(1) })).rejects.toMatchObject({ code: 'ERR_DSE_OPTION' });
    expect(() => new DseTracker({ labels, sigma: 3 } as never)).toThrow(/Unknown option "sigma" for DseTracker/);
    expect(() => new DseTracker({ labels: [[1, 2], [3, 4]] as never })).toThrow(/one label per row/);
    expect(() => new DseTracker({ labels, inputs: { data: new Float64Array(10), rows: 5, cols: 2 } })).toThrow(/one label per row of inputs \(5\)/);
    expect(() => new DseTracker({ inputClusters: [1, 2] })).toThrow(/inputs together with inputClusters/);
    await expect(new DseTracker({}).writeReport(path.join(tmp, 'none.html'))).rejects.toMatchObject({ code: 'ERR_DSE_SHAPE' });
  });

  it('without labels or inputs computes DSE(Z) only', async () => {
    const { embeddings } = data(50);
    const tracker = new DseTracker({ gaussianKernelSigma: 4, maxN: 30, randomSeed: 1 });
    const Z = embeddings(1);
    const r = await tracker.record({ epoch: 0, embeddings: Z });
    expect(r.dse).toBe(diffusionSpectralEntropySync(Z, { gaussianKernelSigma: 4, maxN: 30, randomSeed: 1 }));
    expect(r.dsmiY).toBeNull();
    expect(r.dsmiX).toBeNull();
  });
});

describe('DseTracker#record on the event loop', () => {
  it('checks the embeddings for non-finite values a slice at a time, letting the event loop turn between slices', async () => {
    // 1200 x 512 values: three slices of 2^18; the NaN is in the third.
    const Z = { data: new Float64Array(1200 * 512).fill(0.5), rows: 1200, cols: 512 };
    Z.data[1199 * 512 + 7] = NaN;
    const events: string[] = [];
    const p = new DseTracker().record({ epoch: 1, embeddings: Z }).catch((e: unknown) => {
      events.push('rejected');
      return e;
    });
    Z.data.fill(0.5); // copied at the call: this changes nothing
    setImmediate(() => events.push('event loop turned'));
    const e = (await p) as Error & { code: string };
    expect(events).toEqual(['event loop turned', 'rejected']);
    expect(e.code).toBe('ERR_DSE_NON_FINITE');
    expect(e.message).toBe('Expected finite numbers in embeddings but received NaN at row 1199, column 7');
  });

  it('reuses the copy of a finished record for the next of the same shape, with the right values', async () => {
    const { labels, embeddings } = data();
    const tracker = new DseTracker({ labels, gaussianKernelSigma: 2, numRepetitions: 2 });
    const slice = jest.spyOn(Float64Array.prototype, 'slice');
    const Zs = [1, 2, 3].map((epoch) => embeddings(epoch));
    const results = [];
    for (const [i, Z] of Zs.entries()) results.push(await tracker.record({ epoch: i + 1, embeddings: Z }));
    expect(slice).toHaveBeenCalledTimes(1); // the first record's copy serves the later ones
    for (const [i, Z] of Zs.entries()) {
      expect(results[i].dse).toBe(diffusionSpectralEntropySync(Z, { gaussianKernelSigma: 2 }));
      expect(results[i].dsmiY).toBe(diffusionSpectralMutualInformationSync(Z, labels, { gaussianKernelSigma: 2, numRepetitions: 2 }).value);
    }
  });
});

describe('DseTracker#writeReport / #writeCsv', () => {
  it('writes the report with the three charts and a CSV with every record', async () => {
    const { X, labels, embeddings } = data();
    const tracker = new DseTracker({ labels, inputs: X, nClusters: 3, numRepetitions: 2 });
    for (const layer of ['L1', 'L2']) for (const epoch of [10, 2, 1]) await tracker.record({ epoch, layer, embeddings: embeddings(epoch) });
    const html = path.join(tmp, 'r.html');
    const bytes = await tracker.writeReport(html, { title: 'Tracker test' });
    const page = fs.readFileSync(html, 'utf8');
    expect(page.length).toBe(bytes);
    expect(page.split('<figure class="chart"').length - 1).toBe(3);
    expect(page.split('aria-roledescription="line mark"').length - 1).toBe(6);
    expect(page).toContain('<title>Tracker test</title>');
    expect(page).toContain('spectral clustering into 3');
    const csvFile = path.join(tmp, 'r.csv');
    tracker.writeCsv(csvFile);
    const lines = fs.readFileSync(csvFile, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 2).join(':'))).toEqual(['L1:1', 'L1:2', 'L1:10', 'L2:1', 'L2:2', 'L2:10']);
    const numbers = parseCsv(lines.map((l) => l.split(',').slice(1).join(',')).join('\n'));
    const results = tracker.results();
    for (let i = 0; i < results.length; i++) expect(numbers.data[i * numbers.cols + 3]).toBe(results[i].dse);
  });
});
