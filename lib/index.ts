// SPDX-License-Identifier: MIT
/**
 * dse-dsmi: Diffusion Spectral Entropy and Diffusion Spectral Mutual Information for Node.js.
 * Public exports only; see README.md for the API reference.
 */
export { DseError, AbortError, type DseErrorCode } from './errors';
export type { Matrix, MatrixLike, TensorLike, ShapedArray } from './validate';
export {
  diffusionSpectralEntropy,
  diffusionSpectralEntropySync,
  adjacencySpectralEntropy,
  adjacencySpectralEntropySync,
  diffusionEigenvalues,
  diffusionEigenvaluesSync,
  diffusionSpectralEntropyDetailed,
  diffusionSpectralEntropyDetailedSync,
  adjacencySpectralEntropyDetailed,
  adjacencySpectralEntropyDetailedSync,
} from './entropy';
export {
  type DiffusionSpectralEntropyOptions,
  type DiffusionSpectralEntropySyncOptions,
  type AdjacencySpectralEntropyOptions,
  type AdjacencySpectralEntropySyncOptions,
  type DiffusionEigenvaluesOptions,
  type DiffusionEigenvaluesSyncOptions,
  type DiffusionSpectralMutualInformationOptions,
  type DiffusionSpectralMutualInformationSyncOptions,
  type AdjacencySpectralMutualInformationOptions,
  type AdjacencySpectralMutualInformationSyncOptions,
  type KernelOptions,
  type EntropyOptions,
  type DiffusionOptions,
  type AdjacencyOptions,
  type MutualInformationOptions,
  type Precision,
} from './options';
export { spectralEntropy, type SpectralEntropyOptions } from './spectralEntropy';
export type { AsyncOptions } from './plan';
export {
  diffusionSpectralMutualInformation,
  diffusionSpectralMutualInformationSync,
  adjacencySpectralMutualInformation,
  adjacencySpectralMutualInformationSync,
  type MutualInformationResult,
} from './mi';
export { SLQ_DEFAULTS, type Method, type SlqOptions, type EntropyEstimate, type SlqDiagnostics } from './slq';
export {
  spectralClustering,
  spectralClusteringSync,
  type Reference,
  type SpectralClusteringOptions,
  type SpectralClusteringSyncOptions,
} from './clusters';
export {
  chebyshevEigenvalues,
  chebyshevEigenvaluesSync,
  type ChebyshevEigenvaluesOptions,
  type ChebyshevEigenvaluesSyncOptions,
} from './chebyshev';
export {
  readEigenvalueCache,
  type EigenvalueCacheFile,
  type CacheFingerprint,
  type EigvalSavePrecision,
} from './cache';
export { pythonRandomSample, PythonRandom } from './random';
export { buildInfo, concurrency, setConcurrency, packageVersion, type BuildInfo } from './info';
export { setMemoryLimit, getMemoryLimit } from './memory';
export { readNpy, type NpyArray, type NpyDtype } from './io/npy';
export { distanceScale, type DistanceScale, type DistanceScaleOptions } from './scale';
export {
  DseTracker,
  type DseTrackerOptions,
  type TrackerRecordInput,
  type TrackerReportOptions,
  type TrackerAsyncOptions,
  type TrackerLabels,
  type ProgressCallback,
} from './tracker';
export {
  traceReport,
  traceCsv,
  traceCsvLine,
  parseTraceCsv,
  bitsAxisSpan,
  renderReport,
  writeReportFile,
  renderLineCharts,
  lineChartSpec,
  type TraceRecord,
  type TraceFailure,
  type TraceFileStamp,
  type TraceReportOptions,
  type RenderControl,
  type ReportDocument,
  type ReportTable,
  type LineChart,
  type ChartPoint,
} from './report';
export { readCsv, parseCsv, writeCsv, type CsvMatrix } from './io/csv';
export { loadDigits } from './data';
