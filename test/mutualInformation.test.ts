// SPDX-License-Identifier: MIT
import * as fs from 'fs';
import * as path from 'path';
import {
  diffusionSpectralMutualInformation,
  diffusionSpectralMutualInformationSync,
  adjacencySpectralMutualInformation,
  adjacencySpectralMutualInformationSync,
  spectralClustering,
  spectralClusteringSync,
  diffusionSpectralEntropySync,
} from '../lib';
import { subsetPlan } from '../lib/mi';
import {
  FIXTURES,
  golden,
  goldenFloat32,
  loadMatrix,
  loadValues,
  toFloat32,
  expectClose,
  expectDseError,
  expectDseRejection,
  samePartition,
  separatedBlobs,
  uniformMatrix,
  loadReference,
  optionsOf,
  type GoldenCase,
} from './helpers';

const cases = golden.cases.filter((c) => c.fn.endsWith('MutualInformation'));

// The kNN adjacency's eigenvalues are ill-conditioned (see adjacencySpectralEntropy.test.ts), and
// MI is a difference of entropies: numpy's own ASMI value moves by 2.1e-5 (relative) when each
// subset's eigenvalues come from A.T instead of A. That is how far the golden value is defined.
const KNN_MI_RTOL = 5e-5;
const rtolOf = (c: GoldenCase) => (c.options.useKnn ? Math.max(c.rtol, KNN_MI_RTOL) : c.rtol);

const fns = {
  diffusionSpectralMutualInformation: [diffusionSpectralMutualInformation, diffusionSpectralMutualInformationSync],
  adjacencySpectralMutualInformation: [adjacencySpectralMutualInformation, adjacencySpectralMutualInformationSync],
} as const;

describe('#diffusionSpectralMutualInformation / #adjacencySpectralMutualInformation', () => {
  it('has the golden MI cases', () => {
    expect(cases.length).toBe(11);
  });

  // Once per input precision, through one of the two forms in turn (see diffusionSpectralEntropy.test.ts).
  describe.each(cases.map((c, i) => [c.name, c, i % 2 === 0] as const))('golden case %s', (_name, c, viaPromise) => {
    const X = loadMatrix(c.args.embeddingVectors);
    const ref = loadReference(c.args.referenceVectors!);
    const [asyncFn, syncFn] = fns[c.fn as keyof typeof fns];
    const run = async (M: typeof X) => (viaPromise ? await asyncFn(M, ref, optionsOf(c) as never) : syncFn(M, ref, optionsOf(c) as never));

    it('matches the value and the partition of the reference', async () => {
      const r = await run(X);
      expectClose(r.value, c.expected.value, rtolOf(c));
      expect(Object.prototype.toString.call(r.clusters)).toBe('[object Int32Array]');
      expect(r.clusters.length).toBe(X.rows);
      if (c.expected.clusters) expect(samePartition(r.clusters, loadValues(c.expected.clusters))).toBe(true);
    });

    it('matches the reference run on float32-rounded X (Float32Array)', async () => {
      expectClose((await run(toFloat32(X))).value, goldenFloat32[c.name], rtolOf(c));
    });
  });

  it('gives the same value and partition through both forms, bit for bit', async () => {
    for (const fn of Object.keys(fns) as (keyof typeof fns)[]) {
      const c = cases.find((k) => k.fn === fn)!;
      const X = loadMatrix(c.args.embeddingVectors);
      const ref = loadReference(c.args.referenceVectors!);
      const [asyncFn, syncFn] = fns[fn];
      const a = await asyncFn(X, ref, optionsOf(c) as never);
      const s = syncFn(X, ref, optionsOf(c) as never);
      expect(s.value).toBe(a.value);
      expect(s.clusters).toEqual(a.clusters);
    }
  });

  it('draws the same subsets as the reference, including the re-seed of inner calls above 10000 rows', () => {
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'mi_subsets.json'), 'utf8'));
    for (const c of expected) {
      const labels: number[] = [];
      for (const [l, count] of c.labels.runs) for (let i = 0; i < count; i++) labels.push(l);
      const plan = subsetPlan(Int32Array.from(labels), c.seed, c.reps);
      expect(plan.subsets.length).toBe(c.subsets.length);
      plan.subsets.forEach((s, i) => {
        const e = c.subsets[i];
        const arr = Array.from(s);
        expect(arr.length).toBe(e.length);
        expect(arr.slice(0, 5)).toEqual(e.head);
        expect(arr.slice(-5)).toEqual(e.tail);
        expect(arr.reduce((a, b) => a + b, 0)).toBe(e.sum);
        let w = 0;
        arr.forEach((v, j) => (w = (w + (j + 1) * v) % 1000000007));
        expect(w).toBe(e.weighted);
      });
    }
  });

  describe("the paper's claims", () => {
    // Four well-separated blobs in 8-D, 60 points each.
    const k = 4;
    const { X, labels } = separatedBlobs(k, 60);

    it('DSMI with the true labels approaches log2(k) as t grows', () => {
      const values = [1, 4, 16, 64].map((t) => diffusionSpectralMutualInformationSync(X, labels, { gaussianKernelSigma: 2, t }).value);
      for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1] - 1e-5);
      expect(values[values.length - 1]).toBeGreaterThan(values[0]);
      expect(Math.abs(values[values.length - 1] - Math.log2(k))).toBeLessThan(0.05);
    });

    it('DSMI with shuffled labels is about 0', () => {
      const shuffled = Int32Array.from(labels);
      // a fixed permutation (deterministic LCG Fisher-Yates)
      let s = 12345;
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        const j = s % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const { value } = diffusionSpectralMutualInformationSync(X, shuffled, { gaussianKernelSigma: 2, t: 16 });
      expect(Math.abs(value)).toBeLessThan(0.1);
    });
  });

  describe('reference kinds', () => {
    const X = loadMatrix('blobs.npy');
    const labels = loadValues('labels_u8.npy');
    it('infers discrete labels from number[] of integers and from integer typed arrays alike', () => {
      const a = diffusionSpectralMutualInformationSync(X, labels, { gaussianKernelSigma: 2 });
      const b = diffusionSpectralMutualInformationSync(X, Int32Array.from(labels), { gaussianKernelSigma: 2 });
      const c = diffusionSpectralMutualInformationSync(X, labels.map((l) => [l]), { gaussianKernelSigma: 2 });
      expect(b.value).toBe(a.value);
      expect(c.value).toBe(a.value);
      expect(Array.from(a.clusters)).toEqual(labels);
    });
    it('treats a Float64Array of integer values as continuous (as numpy would), unless referenceDiscrete', () => {
      const f = Float64Array.from(labels);
      const binned = diffusionSpectralMutualInformationSync(X, f, { gaussianKernelSigma: 2 });
      const discrete = diffusionSpectralMutualInformationSync(X, f, { gaussianKernelSigma: 2, referenceDiscrete: true });
      expect(Array.from(discrete.clusters)).toEqual(labels);
      expect(Math.max(...binned.clusters)).toBe(10);
      expect(Math.min(...binned.clusters)).toBe(1);
    });
    it('returns exactly 0 for a single class or a single cluster (zero by construction)', () => {
      const { value } = diffusionSpectralMutualInformationSync(X, new Int32Array(X.rows).fill(3), { gaussianKernelSigma: 2 });
      expect(value).toBe(0);
      const constant = diffusionSpectralMutualInformationSync(X, new Float64Array(X.rows).fill(0.5), { gaussianKernelSigma: 2 });
      expect(constant.value).toBe(0);
      expect(new Set(constant.clusters).size).toBe(1);
      const asmi = adjacencySpectralMutualInformationSync(X, new Int32Array(X.rows).fill(1), { useKnn: true });
      expect(asmi.value).toBe(0);
      // Computed, these two were 2.0e-15 and -1.7e-15: the permuted rows round differently.
      const U = uniformMatrix(40, 3);
      expect(diffusionSpectralMutualInformationSync(U, new Int32Array(40), { gaussianKernelSigma: 2 }).value).toBe(0);
      expect(adjacencySpectralMutualInformationSync(U, new Int32Array(40), { gaussianKernelSigma: 2 }).value).toBe(0);
      // The Chebyshev estimate draws random probes: a permutation of the rows changes it, so it is computed.
      const approx = diffusionSpectralMutualInformationSync(X, new Int32Array(X.rows).fill(3), { gaussianKernelSigma: 2, chebyshevApprox: true, numRepetitions: 1 });
      expect(Number.isFinite(approx.value)).toBe(true);
    });
    it('takes any distinct values as classes with referenceDiscrete: true (floats, int64 beyond int32 and 2^53)', () => {
      const base = diffusionSpectralMutualInformationSync(X, labels, { gaussianKernelSigma: 2 });
      const floats = diffusionSpectralMutualInformationSync(X, labels.map((l) => l * 0.5 + 0.25), { gaussianKernelSigma: 2, referenceDiscrete: true });
      expect(floats.value).toBe(base.value);
      expect(samePartition(floats.clusters, labels)).toBe(true);
      const wide = BigInt64Array.from(labels, (l) => 2n ** 40n * BigInt(l) - 2n ** 35n);
      expect(diffusionSpectralMutualInformationSync(X, wide, { gaussianKernelSigma: 2 }).value).toBe(base.value);
      // Distinct as int64, equal once converted to float64: still distinct classes.
      const huge = BigInt64Array.from(labels, (l) => 2n ** 60n + BigInt(l));
      const h = diffusionSpectralMutualInformationSync(X, huge, { gaussianKernelSigma: 2 });
      expect(h.value).toBe(base.value);
      expect(samePartition(h.clusters, labels)).toBe(true);
    });
    it('handles a cluster of one row: its entropy and its random subsets\' are ~0, so it adds nothing', () => {
      const l = Int32Array.from(labels);
      l[7] = 99;
      const rest = Int32Array.from(labels);
      const { value } = diffusionSpectralMutualInformationSync(X, l, { gaussianKernelSigma: 2 });
      expect(Number.isFinite(value)).toBe(true);
      expect(diffusionSpectralEntropySync(X.data.subarray(7 * X.cols, 8 * X.cols).length ? { data: X.data.slice(7 * X.cols, 8 * X.cols), rows: 1, cols: X.cols } : X)).toBeLessThan(1e-12);
      expect(Math.abs(value - diffusionSpectralMutualInformationSync(X, rest, { gaussianKernelSigma: 2 }).value)).toBeLessThan(0.05);
    });
    it('rejects ASMI with useKnn when a cluster has fewer rows than knn (the reference crashes there)', () => {
      const l = Int32Array.from(labels);
      l[0] = 77;
      expectDseError(() => adjacencySpectralMutualInformationSync(X, l, { useKnn: true }), 'ERR_DSE_OPTION', /at least knn = 10 rows .* smallest has 1/);
    });
    it('reports progress on the main thread, ending at the total', async () => {
      const seen: [number, number][] = [];
      await diffusionSpectralMutualInformation(X, labels, { gaussianKernelSigma: 2, onProgress: (d, t) => seen.push([d, t]) });
      const total = new Set(labels).size * 6; // each label: 1 conditional + 5 random subsets
      expect(seen.length).toBe(total);
      expect(seen[seen.length - 1]).toEqual([total, total]);
      seen.forEach(([d], i) => expect(d).toBe(i + 1));
    });
  });

  describe('bad input', () => {
    const X = uniformMatrix(40, 3);
    const labels = Array.from({ length: 40 }, (_, i) => i % 4);
    it('rejects a reference whose length differs from N', async () => {
      expectDseError(() => diffusionSpectralMutualInformationSync(X, labels.slice(1)), 'ERR_DSE_SHAPE', /one row per row of X \(40\) for reference but received 39 rows/);
      await expectDseRejection(adjacencySpectralMutualInformation(X, labels.slice(2)), 'ERR_DSE_SHAPE', /received 38 rows/);
    });
    it('rejects NaN in labels or in a reference matrix', () => {
      const l = [...labels];
      l[5] = NaN;
      expectDseError(() => diffusionSpectralMutualInformationSync(X, l), 'ERR_DSE_NON_FINITE', /reference but received NaN at index 5/);
      const R = uniformMatrix(40, 2);
      R.data[3] = NaN;
      expectDseError(() => diffusionSpectralMutualInformationSync(X, R), 'ERR_DSE_NON_FINITE', /row 1, column 1/);
    });
    it('rejects nClusters < 1, nClusters > N and numRepetitions < 1', () => {
      const scalars = Float64Array.from(labels, (v, i) => v + i / 100);
      expectDseError(() => diffusionSpectralMutualInformationSync(X, scalars, { nClusters: 0 }), 'ERR_DSE_OPTION', /integer >= 1 for nClusters but received 0/);
      expectDseError(() => diffusionSpectralMutualInformationSync(X, scalars, { nClusters: 41 }), 'ERR_DSE_OPTION', /<= the number of rows \(40\) for nClusters but received 41/);
      expectDseError(() => diffusionSpectralMutualInformationSync(X, labels, { numRepetitions: 0 }), 'ERR_DSE_OPTION', /integer >= 1 for numRepetitions but received 0/);
      expectDseError(() => spectralClusteringSync(uniformMatrix(5, 2), { nClusters: 5 }), 'ERR_DSE_OPTION', /< the number of rows of Y \(5\) for nClusters but received 5/);
    });
    it('rejects precomputedClusters of the wrong length or non-integer', () => {
      const scalars = Float64Array.from(labels, (v) => v + 0.5);
      expectDseError(() => diffusionSpectralMutualInformationSync(X, scalars, { precomputedClusters: [1, 2] }), 'ERR_DSE_SHAPE', /one label per row of X \(40\) for precomputedClusters but received 2 labels/);
      expectDseError(() => diffusionSpectralMutualInformationSync(X, scalars, { precomputedClusters: labels.map((v) => v + 0.5) }), 'ERR_DSE_TYPE', /precomputedClusters\[0\]/);
    });
    it('rejects a multi-column discrete reference', () => {
      expectDseError(() => diffusionSpectralMutualInformationSync(X, uniformMatrix(40, 2), { referenceDiscrete: true }), 'ERR_DSE_SHAPE', /one label per row/);
    });
    it('rejects unknown options and wrong reference types', () => {
      expectDseError(() => diffusionSpectralMutualInformationSync(X, labels, { maxN: 10 } as never), 'ERR_DSE_OPTION', /Unknown option "maxN"/);
      expectDseError(() => adjacencySpectralMutualInformationSync(X, labels, { t: 2 } as never), 'ERR_DSE_OPTION', /Unknown option "t"/);
      expectDseError(() => diffusionSpectralMutualInformationSync(X, null as never), 'ERR_DSE_TYPE', /for reference but received null/);
      expectDseError(() => diffusionSpectralMutualInformationSync(X, 'abc' as never), 'ERR_DSE_TYPE', /for reference/);
    });
  });
});
