// SPDX-License-Identifier: MIT
/**
 * DseTracker: DSE(Z), DSMI(Z;Y) and DSMI(Z;X) of a network's embeddings, recorded from inside a
 * training loop, epoch after epoch and layer by layer, then written as a CSV file or an HTML
 * report. The inputs are clustered once (spectral clustering) and the clusters are reused for
 * every DSMI(Z;X), which is what the reference's `precomputed_clusters` is for.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DseError, describe, invalid, raw } from './errors';
import { diffusionSpectralEntropy } from './entropy';
import type { Precision } from './options';
import { diffusionSpectralMutualInformation } from './mi';
import { spectralClustering, parseReference, integerLabels, classLabels, uniqueCounts } from './clusters';
import { buildInfo } from './info';
import { writeFileAtomic } from './io/atomic';
import {
  toOwnedMatrix,
  toShapedMatrix,
  ownedFiniteMatrix,
  readOptions,
  ownProperties,
  positiveNumber,
  nonNegativeNumber,
  integerAtLeast,
  integerAtLeastOrNull,
  seed,
  oneOf,
  type Matrix,
  type MatrixLike,
  type OptionRule,
} from './validate';
import { traceCsv, traceReport, sortRecords, type TraceRecord } from './report/trace';
import { writeReportFile } from './report/html';
import { METHOD_SPEC, type Method, type SlqOptions } from './slq';

export type { TraceRecord } from './report/trace';

/** Labels: one value per row (integers are classes; other numbers are binned into `nClusters`). */
export type TrackerLabels = ArrayLike<number> | BigInt64Array | BigUint64Array | { shape: number[]; dataSync(): ArrayLike<number> };

/** Options of {@link DseTracker}. */
export interface DseTrackerOptions {
  /** Y: one label per row of the embeddings. Without labels, DSMI(Z;Y) is not computed. */
  labels?: TrackerLabels | null;
  /** X: the inputs, one row per row of the embeddings. Without inputs, DSMI(Z;X) is not computed. */
  inputs?: MatrixLike | null;
  /** Cluster labels of the inputs, if already computed (otherwise spectral clustering, once). */
  inputClusters?: ArrayLike<number> | null;
  /** `gaussian_kernel_sigma` of every DSE and DSMI. Default 10. */
  gaussianKernelSigma?: number;
  /** Diffusion time `t`. Default 1. */
  t?: number;
  /** DSE(Z) subsamples more rows than this (`max_N`). Default 10000; null = no limit. */
  maxN?: number | null;
  /** `random_seed` of every call. Default 0; null = unseeded. */
  randomSeed?: number | bigint | null;
  /** `num_repetitions` of DSMI. Default 5. */
  numRepetitions?: number;
  /** Clusters of the inputs (and bins of continuous labels). Default 10. */
  nClusters?: number;
  /** Neighbours of the kNN graph used to cluster the inputs. Default 10. */
  nNeighbors?: number;
  /** Working precision. Default 'float64'. */
  precision?: Precision;
  /** `'exact'` (default) or `'slq'` for every DSE and DSMI (large N without subsampling: set `maxN: null`). */
  method?: Method;
  /** Tuning of `method: 'slq'`. */
  slq?: SlqOptions;
}

/** One call of {@link DseTracker.record}. */
export interface TrackerRecordInput {
  /** The epoch (x axis of the report). */
  epoch: number;
  /** Layer or run name (one line per name). Default 'embeddings'. */
  layer?: string;
  /** Z: a Matrix, number[][] or a 2-D tensor (`shape` + `dataSync()`), one row per sample. */
  embeddings: MatrixLike;
  /** Where the embeddings came from (shown in the results), e.g. a file path. */
  source?: string;
}

/** Options of {@link DseTracker.writeReport}. */
export interface TrackerReportOptions {
  /** Page title. Default 'DSE / DSMI during training'. */
  title?: string;
  /** A line under the title. */
  subtitle?: string;
  /** Paragraphs of text before the charts. */
  paragraphs?: string[];
  /** Extra facts shown in the report's "Run" table. */
  meta?: Record<string, unknown>;
}

type Resolved = {
  gaussianKernelSigma: number;
  t: number;
  maxN: number | null;
  randomSeed: number | bigint | null;
  numRepetitions: number;
  nClusters: number;
  nNeighbors: number;
  precision: Precision;
  method: Method;
  slq: Required<SlqOptions>;
};

const any: OptionRule<unknown> = { default: null, parse: (v) => v };

const SPEC = {
  labels: any,
  inputs: any,
  inputClusters: any,
  gaussianKernelSigma: positiveNumber(10),
  t: nonNegativeNumber(1),
  maxN: integerAtLeastOrNull(10000, 1),
  randomSeed: seed(0),
  numRepetitions: integerAtLeast(5, 1),
  nClusters: integerAtLeast(10, 1),
  nNeighbors: integerAtLeast(10, 1),
  precision: oneOf<Precision>('float64', ['float64', 'float32']),
  ...METHOD_SPEC,
};

/** A private copy of a checked matrix, so the caller may reuse or dispose its buffer at once. */
function snapshot(X: MatrixLike, name: string): Matrix {
  return toOwnedMatrix(X, name);
}

function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

/**
 * Records DSE(Z), DSMI(Z;Y) and DSMI(Z;X) during training and writes them as a report.
 *
 * @example
 * ```ts
 * const tracker = new DseTracker({ labels: yTrain, inputs: xTrain, gaussianKernelSigma: 10 });
 * for (let epoch = 1; epoch <= 20; epoch++) {
 *   await model.fit(x, y, { epochs: 1 });
 *   await tracker.record({ epoch, layer: 'penultimate', embeddings: penultimate.predict(x) });
 * }
 * await tracker.writeReport('training-report.html');
 * ```
 */
export class DseTracker {
  private readonly o: Resolved;
  private readonly labels: Int32Array | Float64Array | null;
  private readonly labelsDiscrete: boolean;
  private readonly inputs: Matrix | null;
  private readonly givenInputClusters: Int32Array | null;
  private inputClustersPromise: Promise<Int32Array> | null = null;
  private readonly records: TraceRecord[] = [];
  private readonly pending = new Set<string>();
  /** The embeddings' copy of the last record that succeeded: no call reads it any more, and the
   * next record of the same shape copies into it (warm pages; see ownedFiniteMatrix). */
  private spare: Float64Array | Float32Array | null = null;

  constructor(options: DseTrackerOptions = {}) {
    const o = readOptions(options, SPEC, 'DseTracker');
    const { labels, inputs, inputClusters, ...rest } = o;
    this.o = rest;
    if (labels !== null && labels !== undefined) {
      const ref = parseReference(labels, 'labels');
      if (ref.values.cols !== 1)
        throw invalid('ERR_DSE_SHAPE', 'labels', 'one label per row (shape [N] or [N, 1]); pass vectors as inputs', raw(`shape [${ref.values.rows}, ${ref.values.cols}]`));
      this.labelsDiscrete = ref.integer;
      this.labels = ref.integer ? classLabels(ref.column ?? ref.values.data) : Float64Array.from(ref.values.data);
    } else {
      this.labels = null;
      this.labelsDiscrete = false;
    }
    this.inputs = inputs !== null && inputs !== undefined ? snapshot(inputs as MatrixLike, 'inputs') : null;
    if (this.labels && this.inputs && this.labels.length !== this.inputs.rows)
      throw invalid('ERR_DSE_SHAPE', 'labels', `one label per row of inputs (${this.inputs.rows})`, raw(`${this.labels.length} labels`));
    if (inputClusters !== null && inputClusters !== undefined) {
      if (!this.inputs) throw new DseError('ERR_DSE_OPTION', 'Expected inputs together with inputClusters (the clusters are those of the inputs) but received no inputs');
      if (typeof inputClusters !== 'object' || typeof (inputClusters as ArrayLike<number>).length !== 'number')
        throw invalid('ERR_DSE_OPTION', 'inputClusters', 'an array of integer cluster labels, one per row of inputs', inputClusters);
      const c = integerLabels(inputClusters as ArrayLike<number>, 'inputClusters', 'cluster labels');
      if (c.length !== this.inputs.rows)
        throw invalid('ERR_DSE_SHAPE', 'inputClusters', `one label per row of inputs (${this.inputs.rows})`, raw(`${c.length} labels`));
      this.givenInputClusters = c;
    } else this.givenInputClusters = null;
  }

  /** Rows every embedding must have (from labels or inputs), or null when neither was given. */
  get rows(): number | null {
    return this.labels?.length ?? this.inputs?.rows ?? null;
  }

  /**
   * The cluster label of each input row: the given `inputClusters`, or spectral clustering of
   * the inputs into `nClusters`, computed on first use and then reused.
   *
   * @example
   * ```ts
   * const clusters = await tracker.inputClusters(); // Int32Array, one label per input row
   * ```
   */
  inputClusters(): Promise<Int32Array> {
    if (!this.inputs) return Promise.reject(new DseError('ERR_DSE_OPTION', 'Expected inputs in the DseTracker options to cluster but received none'));
    if (!this.inputClustersPromise) {
      this.inputClustersPromise = this.givenInputClusters
        ? Promise.resolve(this.givenInputClusters)
        : spectralClustering(this.inputs, { nClusters: this.o.nClusters, nNeighbors: this.o.nNeighbors });
      // A failed clustering is retried on the next call rather than cached.
      this.inputClustersPromise.catch(() => {
        this.inputClustersPromise = null;
      });
    }
    return this.inputClustersPromise;
  }

  /**
   * Computes DSE(Z), and DSMI(Z;Y) / DSMI(Z;X) when labels / inputs were given, for the
   * embeddings of one layer at one epoch, and keeps the result. The embeddings are copied
   * before this returns, so a tensor may be disposed right after the call.
   *
   * @returns the record, also kept for {@link results} and the report
   * @example
   * ```ts
   * const r = await tracker.record({ epoch: 3, layer: 'fc2', embeddings: activations });
   * console.log(r.dse, r.dsmiY);
   * ```
   */
  async record(input: TrackerRecordInput): Promise<TraceRecord> {
    if (input === null || typeof input !== 'object')
      throw invalid('ERR_DSE_TYPE', 'record input', 'an object { epoch, layer, embeddings }', input);
    const own = ownProperties(input) as TrackerRecordInput;
    const { epoch, embeddings, source } = own;
    const layer = own.layer ?? 'embeddings';
    if (typeof epoch !== 'number' || !Number.isFinite(epoch)) throw invalid('ERR_DSE_OPTION', 'epoch', 'a finite number', epoch);
    if (typeof layer !== 'string' || layer.length === 0) throw invalid('ERR_DSE_OPTION', 'layer', 'a non-empty string', layer);
    const key = `${layer}\u0000${epoch}`;
    if (this.pending.has(key) || this.records.some((r) => r.layer === layer && r.epoch === epoch))
      throw new DseError('ERR_DSE_OPTION', `Expected each (layer, epoch) to be recorded once but received layer ${describe(layer)}, epoch ${epoch} again`);
    const shaped = toShapedMatrix(embeddings, 'embeddings');
    const expected = this.rows;
    if (expected !== null && shaped.rows !== expected)
      throw invalid(
        'ERR_DSE_SHAPE',
        'embeddings',
        `${expected} rows (one per ${this.labels ? 'label' : 'input row'})`,
        raw(`shape [${shaped.rows}, ${shaped.cols}] (layer ${describe(layer)}, epoch ${epoch}${source ? `, ${source}` : ''})`),
      );
    // Copied before the first await (the caller may dispose a tensor at once), then checked for
    // finiteness a slice at a time, so that a large Z never holds the event loop for one long scan.
    const copying = ownedFiniteMatrix(shaped, 'embeddings', this.spare);
    this.spare = null;
    this.pending.add(key);
    try {
      const Z = await copying;
      const start = process.hrtime.bigint();
      const { gaussianKernelSigma, t, maxN, randomSeed, numRepetitions, nClusters, precision, method, slq } = this.o;
      const dse = await diffusionSpectralEntropy(Z, { gaussianKernelSigma, t, maxN, randomSeed, precision, method, slq });
      const mi = { gaussianKernelSigma, t, randomSeed, numRepetitions, nClusters, precision, method, slq };
      const dsmiY = this.labels
        ? (await diffusionSpectralMutualInformation(Z, this.labels, { ...mi, referenceDiscrete: this.labelsDiscrete })).value
        : null;
      const dsmiX = this.inputs
        ? (
            await diffusionSpectralMutualInformation(Z, this.inputs, {
              ...mi,
              referenceDiscrete: false,
              precomputedClusters: await this.inputClusters(),
            })
          ).value
        : null;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const record: TraceRecord = { layer, epoch, rows: Z.rows, cols: Z.cols, dse, dsmiY, dsmiX, seconds };
      if (source !== undefined) record.source = source;
      this.records.push(record);
      // Every call that read Z has settled, so its native work is over: the copy can be reused.
      this.spare = Z.data;
      return { ...record };
    } finally {
      this.pending.delete(key);
    }
  }

  /**
   * Every record so far, sorted by layer (first appearance) then epoch.
   *
   * @example
   * ```ts
   * for (const r of tracker.results()) console.log(r.layer, r.epoch, r.dse.toFixed(3));
   * ```
   */
  results(): TraceRecord[] {
    return sortRecords(this.records).map((r) => ({ ...r }));
  }

  /**
   * The options the values are computed with, for reports and logs.
   *
   * @example
   * ```ts
   * tracker.options(); // { gaussianKernelSigma: 10, t: 1, ... }
   * ```
   */
  options(): Record<string, unknown> {
    const { randomSeed, slq, ...rest } = this.o;
    const out: Record<string, unknown> = { ...rest, randomSeed: typeof randomSeed === 'bigint' ? randomSeed.toString() : randomSeed };
    if (this.o.method === 'slq') out.slq = slq; // the tuning means nothing to the exact method
    if (this.labels) {
      out.labels = this.labelsDiscrete
        ? `${this.labels.length} labels, ${uniqueCounts(this.labels as Int32Array).values.length} classes`
        : `${this.labels.length} continuous values, binned into ${this.o.nClusters}`;
    }
    if (this.inputs) {
      out.inputs = `${this.inputs.rows} x ${this.inputs.cols}`;
      out.inputClusters = this.givenInputClusters ? 'given' : `spectral clustering into ${this.o.nClusters} (nNeighbors ${this.o.nNeighbors}), computed once`;
    }
    return out;
  }

  /**
   * The results as CSV text (columns layer, epoch, rows, cols, dse, dsmi_zy, dsmi_zx, seconds).
   *
   * @example
   * ```ts
   * fs.writeFileSync('trace.csv', tracker.toCsv());
   * ```
   */
  toCsv(): string {
    return traceCsv(this.records);
  }

  /**
   * Writes the results as a CSV file (atomically).
   *
   * @example
   * ```ts
   * tracker.writeCsv('trace.csv');
   * ```
   */
  writeCsv(file: string): void {
    writeFileAtomic(file, new TextEncoder().encode(this.toCsv()));
  }

  /**
   * Writes the self-contained HTML report: DSE(Z), DSMI(Z;Y), DSMI(Z;X) against the epoch, one
   * line per layer, the table of values and the options used.
   *
   * @returns the number of bytes written
   * @example
   * ```ts
   * await tracker.writeReport('report.html', { title: 'MLP on digits' });
   * ```
   */
  async writeReport(file: string, reportOptions: TrackerReportOptions = {}): Promise<number> {
    const options = ownProperties(reportOptions);
    if (this.records.length === 0)
      throw new DseError('ERR_DSE_SHAPE', 'Expected at least 1 record before writing a report but received none (call record() first)');
    const info = buildInfo();
    const meta: Record<string, unknown> = {
      generated: new Date().toISOString(),
      'dse-dsmi': packageVersion(),
      node: process.version,
      blas: `${info.blas}, ${info.threads} threads`,
      records: this.records.length,
      ...options.meta,
    };
    return writeReportFile(
      file,
      traceReport(this.records, { title: options.title, subtitle: options.subtitle, paragraphs: options.paragraphs, options: this.options(), meta }),
    );
  }
}
