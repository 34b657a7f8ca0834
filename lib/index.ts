// SPDX-License-Identifier: MIT
/**
 * dse-dsmi: Diffusion Spectral Entropy and Diffusion Spectral Mutual Information for Node.js.
 * Public exports only; see README.md for the API reference.
 */
export { DseError, AbortError, type DseErrorCode } from './errors';
export type { Matrix, MatrixLike, TensorLike } from './validate';
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
  type AdjacencySpectralEntropyOptions,
  type DiffusionEigenvaluesOptions,
  type DiffusionSpectralMutualInformationOptions,
  type AdjacencySpectralMutualInformationOptions,
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
export { spectralClustering, spectralClusteringSync, type Reference, type SpectralClusteringOptions } from './clusters';
export { chebyshevEigenvalues, chebyshevEigenvaluesSync, type ChebyshevEigenvaluesOptions } from './chebyshev';
export { readEigenvalueCache, type EigenvalueCacheFile, type CacheFingerprint, type EigvalSavePrecision } from './cache';
export { pythonRandomSample, PythonRandom } from './random';
export { buildInfo, concurrency, setConcurrency, type BuildInfo } from './info';
export { setMemoryLimit, getMemoryLimit } from './memory';
export { readNpy, type NpyArray, type NpyDtype } from './io/npy';
export { DseTracker, type DseTrackerOptions, type TrackerRecordInput, type TrackerReportOptions, type TrackerLabels } from './tracker';
export {
  traceReport,
  traceCsv,
  renderReport,
  writeReportFile,
  renderLineCharts,
  lineChartSpec,
  type TraceRecord,
  type TraceReportOptions,
  type ReportDocument,
  type ReportTable,
  type LineChart,
  type ChartPoint,
} from './report';
export { readCsv, parseCsv, writeCsv, type CsvMatrix } from './io/csv';
export { loadDigits } from './data';
