// SPDX-License-Identifier: MIT
// The public option types cover every option the functions take: this file must compile
// (ts-jest type-checks it, and so does `npm run lint`), and the `@ts-expect-error` lines must
// stay errors (a Sync form refuses signal and onProgress at run time, so its type must too).
import {
  diffusionSpectralMutualInformation,
  diffusionSpectralMutualInformationSync,
  diffusionSpectralEntropy,
  diffusionSpectralEntropySync,
  spectralClustering,
  DseTracker,
  type DiffusionSpectralMutualInformationOptions,
  type DiffusionSpectralMutualInformationSyncOptions,
  type AdjacencySpectralMutualInformationOptions,
  type DiffusionSpectralEntropyOptions,
  type DiffusionSpectralEntropySyncOptions,
  type AdjacencySpectralEntropyOptions,
  type DiffusionEigenvaluesOptions,
  type SpectralClusteringOptions,
  type ChebyshevEigenvaluesOptions,
  type AsyncOptions,
  type TrackerRecordInput,
  type TrackerReportOptions,
  type TrackerAsyncOptions,
  type ProgressCallback,
  type DistanceScaleOptions,
  type RenderControl,
} from '../lib';

const onProgress: ProgressCallback = () => undefined;
const signal = new AbortController().signal;

describe('the exported option types', () => {
  it('hold signal and onProgress where the Promise forms take them', async () => {
    const dsmi: DiffusionSpectralMutualInformationOptions = { onProgress, signal, numRepetitions: 2 };
    const asmi: AdjacencySpectralMutualInformationOptions = { onProgress, signal, useKnn: true };
    const dse: DiffusionSpectralEntropyOptions = { signal, t: 2 };
    const ase: AdjacencySpectralEntropyOptions = { signal };
    const eig: DiffusionEigenvaluesOptions = { signal };
    const sc: SpectralClusteringOptions = { signal, nClusters: 2 };
    const cheb: ChebyshevEigenvaluesOptions = { signal };
    const control: AsyncOptions = { signal, onProgress };
    const rec: TrackerRecordInput = { epoch: 1, embeddings: [[0], [1]], signal, onProgress };
    const report: TrackerReportOptions = { title: 't', signal, onProgress };
    const trackerControl: TrackerAsyncOptions = { signal };
    const render: RenderControl = { signal, onProgress };
    const scale: DistanceScaleOptions = { sampleSize: 10, randomSeed: 1 };
    const syncDsmi: DiffusionSpectralMutualInformationSyncOptions = { numRepetitions: 2 };
    const syncDse: DiffusionSpectralEntropySyncOptions = { t: 2 };
    // @ts-expect-error: the Sync form refuses onProgress
    const noProgress: DiffusionSpectralMutualInformationSyncOptions = { onProgress };
    // @ts-expect-error: the Sync form refuses signal
    const noSignal: DiffusionSpectralEntropySyncOptions = { signal };
    expect([dsmi, asmi, dse, ase, eig, sc, cheb, control, rec, report, trackerControl, render, scale, syncDsmi, syncDse, noProgress, noSignal]).toHaveLength(17);

    // and the calls take them, with the values the types promise
    const X = { data: Float64Array.from({ length: 40 }, (_v, i) => (i * 7919) % 13), rows: 20, cols: 2 };
    const labels = Int32Array.from({ length: 20 }, (_v, i) => i % 2);
    const calls: number[] = [];
    const r = await diffusionSpectralMutualInformation(X, labels, { ...dsmi, onProgress: (d) => calls.push(d) });
    expect(r.value).toBe(diffusionSpectralMutualInformationSync(X, labels, syncDsmi).value);
    expect(calls.length).toBeGreaterThan(0);
    expect(await diffusionSpectralEntropy(X, dse)).toBe(diffusionSpectralEntropySync(X, syncDse));
    expect(await spectralClustering(X, sc)).toHaveLength(20);
    expect(() => diffusionSpectralEntropySync(X, { signal } as never)).toThrow(/signal/);
    expect(new DseTracker({ inputClusters: labels }).rows).toBe(20);
  });
});
