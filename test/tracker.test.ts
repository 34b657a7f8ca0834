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
import { native } from '../lib/native';
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
  it('sends DSE(Z), DSMI(Z;Y) and DSMI(Z;X) to native as one batch of Z', async () => {
    const { labels, embeddings } = data();
    const inputClusters = Int32Array.from(labels, (l, i) => (l + (i % 2)) % 3);
    const tracker = new DseTracker({ labels, inputClusters, gaussianKernelSigma: 2, numRepetitions: 2 });
    const spectra = jest.spyOn(native(), 'spectraAsync');
    const Z = embeddings(3);
    const r = await tracker.record({ epoch: 1, embeddings: Z });
    expect(spectra).toHaveBeenCalledTimes(1);
    // 1 subset for DSE, 3 classes x (2 + 1) for each DSMI
    expect((spectra.mock.calls[0][3] as Int32Array[]).length).toBe(1 + 9 + 9);
    expect(r.dse).toBe(diffusionSpectralEntropySync(Z, { gaussianKernelSigma: 2 }));
    expect(r.dsmiX).toBe(diffusionSpectralMutualInformationSync(Z, Float64Array.from(inputClusters), { gaussianKernelSigma: 2, numRepetitions: 2, referenceDiscrete: false, precomputedClusters: inputClusters }).value);
  });

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
    expect(() => new DseTracker({ labels, inputClusters: [1, 2] })).toThrow('Expected one label per row of labels (60) for inputClusters but received 2 labels');
    expect(() => new DseTracker({ inputClusters: [1, 2.5] })).toThrow(/inputClusters\[1\]/);
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
    // the numeric columns (epoch .. rows_used) parse as numbers, each record's at full precision
    const numbers = parseCsv(lines.map((l) => l.split(',').slice(1, 9).join(',')).join('\n'));
    expect(numbers.header).toEqual(['epoch', 'rows', 'cols', 'dse', 'dsmi_zy', 'dsmi_zx', 'seconds', 'rows_used']);
    const results = tracker.results();
    for (let i = 0; i < results.length; i++) expect(numbers.data[i * numbers.cols + 3]).toBe(results[i].dse);
    expect(lines[1].split(',')[12]).toBe(tracker.fingerprint());
  });
});

describe('DseTracker options', () => {
  it('takes inputClusters alone for DSMI(Z;X), as precomputed_clusters: the same value as with the inputs', async () => {
    const { X, labels, embeddings } = data();
    const clusters = spectralClusteringSync(X, { nClusters: 3 });
    const withInputs = new DseTracker({ labels, inputs: X, inputClusters: clusters, numRepetitions: 2 });
    const alone = new DseTracker({ labels, inputClusters: clusters, numRepetitions: 2 });
    const Z = embeddings(2);
    const a = await withInputs.record({ epoch: 1, embeddings: Z });
    const b = await alone.record({ epoch: 1, embeddings: Z });
    expect(b.dsmiX).toBe(a.dsmiX);
    expect(b.dsmiX).toBe(diffusionSpectralMutualInformationSync(Z, X, { precomputedClusters: clusters, referenceDiscrete: false, numRepetitions: 2 }).value);
    expect(alone.options().inputClusters).toBe('given (3 clusters)');
    // the clusters alone set the rows the embeddings must have
    const onlyClusters = new DseTracker({ inputClusters: clusters });
    expect(onlyClusters.rows).toBe(120);
    await expect(onlyClusters.record({ epoch: 1, embeddings: { data: new Float64Array(8), rows: 4, cols: 2 } })).rejects.toThrow(
      'Expected 120 rows (one per input cluster label) for embeddings but received shape [4, 2] (layer "embeddings", epoch 1)',
    );
  });

  it('checks everything in the constructor, before any training', () => {
    const { X, labels } = data(60);
    expect(() => new DseTracker({ labels, inputs: X, inputClusters: new Int32Array(59) })).toThrow('Expected one label per row of inputs (60) for inputClusters but received 59 labels');
    expect(() => new DseTracker({ inputClusters: 'abc' as never })).toThrow(/Expected an array of integer cluster labels/);
    expect(() => new DseTracker({ inputClusters: [] })).toThrow(/at least 1 cluster label/);
    expect(() => new DseTracker({ gaussianKernelSigma: -1 })).toThrow(/gaussianKernelSigma/);
  });
});

describe('DseTracker signal and onProgress', () => {
  it('reports the entropies computed (1 for DSE, then classes x (numRepetitions + 1) per DSMI) and ends at the total', async () => {
    const { X, labels, embeddings } = data();
    const tracker = new DseTracker({ labels, inputs: X, nClusters: 3, numRepetitions: 2 });
    const calls: [number, number][] = [];
    await tracker.record({ epoch: 1, embeddings: embeddings(1), onProgress: (d, t) => calls.push([d, t]) });
    expect(calls[0]).toEqual([1, 1 + 9 + 9]);
    expect(calls.at(-1)).toEqual([19, 19]);
    for (let i = 1; i < calls.length; i++) expect(calls[i][0]).toBeGreaterThanOrEqual(calls[i - 1][0]);
    // a throwing callback does not take the record down
    await expect(tracker.record({ epoch: 2, embeddings: embeddings(2), onProgress: () => { throw new Error('x'); } })).resolves.toMatchObject({ epoch: 2 });
  });

  it('aborts a record (nothing kept) and a report (nothing written) with an AbortError', async () => {
    const { labels, embeddings } = data();
    const tracker = new DseTracker({ labels, numRepetitions: 2 });
    const ac = new AbortController();
    const p = tracker.record({ epoch: 1, embeddings: embeddings(1), signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(tracker.results()).toHaveLength(0);
    expect(tracker.has('embeddings', 1)).toBe(false);
    await expect(tracker.record({ epoch: 1, embeddings: embeddings(1), signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await tracker.record({ epoch: 1, embeddings: embeddings(1) });
    const file = path.join(tmp, 'aborted.html');
    const ac2 = new AbortController();
    const drawing = tracker.writeReport(file, { signal: ac2.signal });
    ac2.abort();
    await expect(drawing).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(fs.existsSync(file)).toBe(false);
    const progress: [number, number][] = [];
    await tracker.writeReport(file, { onProgress: (d, t) => progress.push([d, t]) });
    expect(progress).toEqual([[1, 2], [2, 2]]); // DSE(Z) and DSMI(Z;Y)
    await expect(tracker.record({ epoch: 3, embeddings: embeddings(1), signal: 'no' as never })).rejects.toThrow('Expected an AbortSignal for signal but received "no"');
    await expect(tracker.writeReport(file, { signal: {} as never })).rejects.toThrow('Expected an AbortSignal for signal but received an object');
    await expect(tracker.writeReport(file, { onProgress: 1 as never })).rejects.toThrow('Expected a function for onProgress but received 1');
  });
});

describe('DseTracker#save / #load', () => {
  it('saves records as JSON or CSV and a new tracker with the same options continues from them', async () => {
    const { X, labels, embeddings } = data();
    const options = { labels, inputs: X, nClusters: 3, numRepetitions: 2, gaussianKernelSigma: 3 };
    const first = new DseTracker(options);
    await first.record({ epoch: 1, layer: '-fc', embeddings: embeddings(1) });
    await first.record({ epoch: 2, layer: '-fc', embeddings: embeddings(2) });
    for (const name of ['state.json', 'state.csv']) {
      const file = path.join(tmp, name);
      first.save(file);
      const restarted = new DseTracker(options);
      expect(restarted.load(file)).toBe(2);
      expect(restarted.results()).toEqual(first.results());
      expect(restarted.has('-fc', 2)).toBe(true);
      await restarted.record({ epoch: 3, layer: '-fc', embeddings: embeddings(3) });
      expect(restarted.results().map((r) => r.epoch)).toEqual([1, 2, 3]);
      // the same (layer, epoch) twice, and records of other options or data, are refused
      expect(() => restarted.load(file)).toThrow(/recorded once/);
      expect(() => new DseTracker({ ...options, gaussianKernelSigma: 4 }).load(file)).toThrow(/fingerprint/);
      expect(() => new DseTracker({ ...options, labels: Int32Array.from(labels).reverse() }).load(file)).toThrow(/fingerprint/);
    }
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"records": 1}');
    expect(() => first.load(bad)).toThrow(/Expected JSON saved by DseTracker#save/);
    expect(() => first.load(path.join(tmp, 'missing.json'))).toThrow(/Could not read/);
    fs.writeFileSync(bad, JSON.stringify({ format: 'dse-tracker', version: 1, records: [{ layer: 'x', epoch: 1, rows: 3, cols: 2, dse: 'NaN', dsmiY: null, dsmiX: null, seconds: 0 }] }));
    expect(() => new DseTracker().load(bad)).toThrow(/Expected a finite number for dse of records\[0\]/);
  });

  it('fingerprints the options, labels and inputs, not the embeddings', async () => {
    const { X, labels } = data();
    const a = new DseTracker({ labels, inputs: X });
    expect(a.fingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(new DseTracker({ labels, inputs: X }).fingerprint()).toBe(a.fingerprint());
    expect(new DseTracker({ labels, inputs: X, t: 2 }).fingerprint()).not.toBe(a.fingerprint());
    expect(new DseTracker({ labels }).fingerprint()).not.toBe(a.fingerprint());
    const X2 = { ...X, data: X.data.map((v, i) => (i === 5 ? v + 1 : v)) };
    expect(new DseTracker({ labels, inputs: X2 }).fingerprint()).not.toBe(a.fingerprint());
    expect(a.options().fingerprint).toBe(a.fingerprint());
  });
});

describe('DseTracker rowsUsed', () => {
  it('says how many rows DSE(Z) used when maxN subsamples', async () => {
    const { embeddings } = data(80);
    const tracker = new DseTracker({ maxN: 50 });
    const r = await tracker.record({ epoch: 1, embeddings: embeddings(1) });
    expect([r.rows, r.rowsUsed]).toEqual([80, 50]);
    expect((await new DseTracker().record({ epoch: 1, embeddings: embeddings(1) })).rowsUsed).toBe(80);
  });
});
