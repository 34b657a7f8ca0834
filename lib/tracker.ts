// SPDX-License-Identifier: MIT
/**
 * DseTracker: DSE(Z), DSMI(Z;Y) and DSMI(Z;X) of a network's embeddings, recorded from inside a
 * training loop, epoch after epoch and layer by layer, then written as a CSV file or an HTML
 * report. The inputs are clustered once (spectral clustering) and the clusters are reused for
 * every DSMI(Z;X), which is what the reference's `precomputed_clusters` is for.
 */
import * as fs from 'fs';
import { DseError, describe, invalid, raw } from './errors';
import { diffusionSpectralEntropy } from './entropy';
import type { Precision } from './options';
import { diffusionSpectralMutualInformation } from './mi';
import { spectralClustering, parseReference, integerLabels, classLabels, uniqueCounts } from './clusters';
import { createHash } from 'crypto';
import { writeFileAtomic, ioError } from './io/atomic';
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
  optionalSignal,
  optionalFunction,
  type Matrix,
  type MatrixLike,
  type OptionRule,
} from './validate';
import { traceCsv, traceReport, sortRecords, parseTraceCsv, type TraceRecord, type TraceFailure, type TraceFileStamp } from './report/trace';
import { abortError, raceAbort } from './native';
import { writeReportFile } from './report/html';
import { METHOD_SPEC, type Method, type SlqOptions } from './slq';

export type { TraceRecord, TraceFailure, TraceFileStamp } from './report/trace';

/** Progress of a long call: `done` of `total` units (entropies computed, charts drawn). */
export type ProgressCallback = (done: number, total: number) => void;

/** What every async method of {@link DseTracker} takes, as the library's other async calls do. */
export interface TrackerAsyncOptions {
  /** Aborts the call: the promise rejects with an `AbortError`; nothing is recorded or written. */
  signal?: AbortSignal;
  /** Called on the main thread as the work advances. */
  onProgress?: ProgressCallback;
}

/** Labels: one value per row (integers are classes; other numbers are binned into `nClusters`). */
export type TrackerLabels = ArrayLike<number> | BigInt64Array | BigUint64Array | { shape: number[]; dataSync(): ArrayLike<number> };

/** Options of {@link DseTracker}. */
export interface DseTrackerOptions {
  /** Y: one label per row of the embeddings. Without labels, DSMI(Z;Y) is not computed. */
  labels?: TrackerLabels | null;
  /** X: the inputs, one row per row of the embeddings. Without inputs, DSMI(Z;X) is not computed. */
  inputs?: MatrixLike | null;
  /**
   * Cluster labels of the inputs, if already computed (otherwise spectral clustering, once).
   * Enough on their own for DSMI(Z;X) (the reference's `precomputed_clusters`: the inputs are
   * then not read), so `inputs` may be left out.
   */
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
export interface TrackerRecordInput extends TrackerAsyncOptions {
  /** The epoch (x axis of the report). */
  epoch: number;
  /** Layer or run name (one line per name). Default 'embeddings'. */
  layer?: string;
  /** Z: a Matrix, number[][] or a 2-D tensor (`shape` + `dataSync()`), one row per sample. */
  embeddings: MatrixLike;
  /** Where the embeddings came from (shown in the results), e.g. a file path. */
  source?: string;
  /** The source file's size and modification time, kept with the record (resuming `dse trace`). */
  file?: TraceFileStamp;
}

/** Options of {@link DseTracker.writeReport}. */
export interface TrackerReportOptions extends TrackerAsyncOptions {
  /** Page title. Default 'DSE / DSMI during training'. */
  title?: string;
  /** A line under the title. */
  subtitle?: string;
  /** Paragraphs of text before the charts. */
  paragraphs?: string[];
  /** Extra facts shown in the report's "Run" table. */
  meta?: Record<string, unknown>;
  /** Entries that could not be computed, shown with their error in the table. */
  failures?: readonly TraceFailure[];
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

const ASYNC_RULES = { signal: optionalSignal(), onProgress: optionalFunction<ProgressCallback>() };

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
  private fingerprintValue: string | null = null;
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
      if (typeof inputClusters !== 'object' || typeof (inputClusters as ArrayLike<number>).length !== 'number')
        throw invalid('ERR_DSE_OPTION', 'inputClusters', 'an array of integer cluster labels, one per row of the embeddings', inputClusters);
      const c = integerLabels(inputClusters as ArrayLike<number>, 'inputClusters', 'cluster labels');
      const rows = this.inputs?.rows ?? this.labels?.length;
      if (rows !== undefined && c.length !== rows)
        throw invalid('ERR_DSE_SHAPE', 'inputClusters', `one label per row of ${this.inputs ? 'inputs' : 'labels'} (${rows})`, raw(`${c.length} labels`));
      if (c.length === 0) throw invalid('ERR_DSE_SHAPE', 'inputClusters', 'at least 1 cluster label', raw('0 labels'));
      this.givenInputClusters = c;
    } else this.givenInputClusters = null;
  }

  /** Rows every embedding must have (from labels, inputs or inputClusters), or null when none was given. */
  get rows(): number | null {
    return this.labels?.length ?? this.inputs?.rows ?? this.givenInputClusters?.length ?? null;
  }

  /** Whether DSMI(Z;X) is computed: inputs or their clusters were given. */
  private get hasX(): boolean {
    return this.inputs !== null || this.givenInputClusters !== null;
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
    if (!this.hasX) return Promise.reject(new DseError('ERR_DSE_OPTION', 'Expected inputs or inputClusters in the DseTracker options to cluster but received neither'));
    if (!this.inputClustersPromise) {
      this.inputClustersPromise = this.givenInputClusters
        ? Promise.resolve(this.givenInputClusters)
        : spectralClustering(this.inputs!, { nClusters: this.o.nClusters, nNeighbors: this.o.nNeighbors });
      // A failed clustering is retried on the next call rather than cached.
      this.inputClustersPromise.catch(() => {
        this.inputClustersPromise = null;
      });
    }
    return this.inputClustersPromise;
  }

  /**
   * A short digest (16 hex digits) of everything the values depend on besides the embeddings:
   * the options, the labels and the inputs (or their given clusters). Kept with every record
   * (`options`), so that saved records are only reused by a tracker that would compute the same.
   *
   * @example
   * ```ts
   * tracker.fingerprint(); // 'a3f09c1e5b7d2e40'
   * ```
   */
  fingerprint(): string {
    if (this.fingerprintValue === null) {
      const h = createHash('sha256');
      const o = { ...this.o, randomSeed: this.o.randomSeed === null ? null : String(this.o.randomSeed), slq: this.o.method === 'slq' ? this.o.slq : null };
      h.update(JSON.stringify(o));
      const bytes = (a: ArrayBufferView | null) => (a ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : new Uint8Array(0));
      h.update(`labels:${this.labels ? (this.labelsDiscrete ? 'classes' : 'values') : 'none'}:`).update(bytes(this.labels));
      h.update(`inputs:${this.inputs ? `${this.inputs.rows}x${this.inputs.cols}:${this.inputs.data.constructor.name}` : 'none'}:`).update(bytes(this.inputs?.data ?? null));
      h.update('clusters:').update(bytes(this.givenInputClusters));
      this.fingerprintValue = h.digest('hex').slice(0, 16);
    }
    return this.fingerprintValue;
  }

  /**
   * Whether a (layer, epoch) is already recorded (or being recorded): a restarted training loop
   * skips those after {@link load}.
   *
   * @example
   * ```ts
   * if (!tracker.has('fc2', epoch)) await tracker.record({ epoch, layer: 'fc2', embeddings });
   * ```
   */
  has(layer: string, epoch: number): boolean {
    return this.pending.has(`${layer}\u0000${epoch}`) || this.records.some((r) => r.layer === layer && r.epoch === epoch);
  }

  /**
   * Drops the record of a (layer, epoch), e.g. to record it again from a changed file.
   *
   * @returns whether there was one
   * @example
   * ```ts
   * tracker.remove('fc2', 3);
   * ```
   */
  remove(layer: string, epoch: number): boolean {
    const i = this.records.findIndex((r) => r.layer === layer && r.epoch === epoch);
    if (i < 0) return false;
    this.records.splice(i, 1);
    return true;
  }

  /**
   * Computes DSE(Z), and DSMI(Z;Y) / DSMI(Z;X) when labels / inputs (or inputClusters) were
   * given, for the embeddings of one layer at one epoch, and keeps the result. The embeddings are
   * copied before this returns, so a tensor may be disposed right after the call. `signal` aborts
   * it (nothing is recorded); `onProgress(done, total)` counts the entropies computed (1 for
   * DSE(Z), then each DSMI's clusters x (numRepetitions + 1)).
   *
   * @returns the record, also kept for {@link results} and the report
   * @example
   * ```ts
   * const r = await tracker.record({ epoch: 3, layer: 'fc2', embeddings: activations, signal });
   * console.log(r.dse, r.dsmiY, r.rowsUsed);
   * ```
   */
  async record(input: TrackerRecordInput): Promise<TraceRecord> {
    if (input === null || typeof input !== 'object')
      throw invalid('ERR_DSE_TYPE', 'record input', 'an object { epoch, layer, embeddings }', input);
    const own = ownProperties(input) as TrackerRecordInput;
    const { epoch, embeddings, source, signal, onProgress, file } = own;
    const layer = own.layer ?? 'embeddings';
    if (typeof epoch !== 'number' || !Number.isFinite(epoch)) throw invalid('ERR_DSE_OPTION', 'epoch', 'a finite number', epoch);
    if (typeof layer !== 'string' || layer.length === 0) throw invalid('ERR_DSE_OPTION', 'layer', 'a non-empty string', layer);
    // The same checks as every other async call (a signal of another realm is fine).
    if (signal !== undefined) ASYNC_RULES.signal.parse(signal, 'signal');
    if (onProgress !== undefined) ASYNC_RULES.onProgress.parse(onProgress, 'onProgress');
    if (source !== undefined && typeof source !== 'string') throw invalid('ERR_DSE_OPTION', 'source', 'a string', source);
    if (file !== undefined) checkStamp(file, 'file');
    if (signal?.aborted) throw abortError(signal);
    const key = `${layer}\u0000${epoch}`;
    if (this.has(layer, epoch))
      throw new DseError('ERR_DSE_OPTION', `Expected each (layer, epoch) to be recorded once but received layer ${describe(layer)}, epoch ${epoch} again`);
    const shaped = toShapedMatrix(embeddings, 'embeddings');
    const expected = this.rows;
    if (expected !== null && shaped.rows !== expected)
      throw invalid(
        'ERR_DSE_SHAPE',
        'embeddings',
        `${expected} rows (one per ${this.labels ? 'label' : this.inputs ? 'input row' : 'input cluster label'})`,
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
      const progress = new StageProgress(onProgress, [1, this.labels ? this.labelStages() : 0, this.hasX ? this.clusterStages() : 0]);
      const dse = await diffusionSpectralEntropy(Z, { gaussianKernelSigma, t, maxN, randomSeed, precision, method, slq, signal });
      progress.finish(0);
      const mi = { gaussianKernelSigma, t, randomSeed, numRepetitions, nClusters, precision, method, slq, signal };
      const dsmiY = this.labels
        ? (await diffusionSpectralMutualInformation(Z, this.labels, { ...mi, referenceDiscrete: this.labelsDiscrete, onProgress: progress.stage(1) })).value
        : null;
      progress.finish(1);
      let dsmiX: number | null = null;
      if (this.hasX) {
        const clusters = await raceAbort(this.inputClusters(), signal);
        progress.resize(2, uniqueCounts(clusters).values.length * (numRepetitions + 1));
        // With precomputed clusters the reference reads only their labels, not the inputs.
        const reference = this.inputs ?? Float64Array.from(clusters);
        dsmiX = (await diffusionSpectralMutualInformation(Z, reference, { ...mi, referenceDiscrete: false, precomputedClusters: clusters, onProgress: progress.stage(2) })).value;
        progress.finish(2);
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const rowsUsed = maxN === null ? Z.rows : Math.min(Z.rows, maxN);
      const record: TraceRecord = { layer, epoch, rows: Z.rows, cols: Z.cols, dse, dsmiY, dsmiX, seconds, rowsUsed, options: this.fingerprint() };
      if (source !== undefined) record.source = source;
      if (file !== undefined) record.file = { size: file.size, mtimeMs: file.mtimeMs };
      this.records.push(record);
      // Every call that read Z has settled, so its native work is over: the copy can be reused.
      this.spare = Z.data;
      return copyRecord(record);
    } finally {
      this.pending.delete(key);
    }
  }

  /** Entropies of DSMI(Z;Y): classes (or bins) x (numRepetitions + 1). */
  private labelStages(): number {
    const k = this.labelsDiscrete ? uniqueCounts(this.labels as Int32Array).values.length : this.o.nClusters;
    return k * (this.o.numRepetitions + 1);
  }

  /** Entropies of DSMI(Z;X), as far as known before the clustering. */
  private clusterStages(): number {
    const k = this.givenInputClusters ? uniqueCounts(this.givenInputClusters).values.length : this.o.nClusters;
    return k * (this.o.numRepetitions + 1);
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
    return sortRecords(this.records).map(copyRecord);
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
    if (this.inputs) out.inputs = `${this.inputs.rows} x ${this.inputs.cols}`;
    if (this.hasX)
      out.inputClusters = this.givenInputClusters
        ? `given (${uniqueCounts(this.givenInputClusters).values.length} clusters)`
        : `spectral clustering into ${this.o.nClusters} (nNeighbors ${this.o.nNeighbors}), computed once`;
    out.fingerprint = this.fingerprint();
    return out;
  }

  /**
   * The results as CSV text (columns layer, epoch, rows, cols, dse, dsmi_zy, dsmi_zx, seconds,
   * rows_used, source, size, mtime_ms, options, error; see the README's "Trace CSV").
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
   * Saves the records (atomically) so that a restarted run can {@link load} them: JSON for a
   * `.json` file (`{ format: 'dse-tracker', version: 1, fingerprint, options, records }`), else
   * the CSV of {@link toCsv}.
   *
   * @example
   * ```ts
   * await tracker.record({ epoch, embeddings }); tracker.save('trace.json');
   * ```
   */
  save(file: string): void {
    const text = /\.json$/i.test(file)
      ? `${JSON.stringify({ format: 'dse-tracker', version: 1, fingerprint: this.fingerprint(), options: this.options(), records: this.results() }, null, 1)}\n`
      : this.toCsv();
    writeFileAtomic(file, new TextEncoder().encode(text));
  }

  /**
   * Takes back records saved by {@link save} or {@link writeCsv} (or written by `dse trace --csv`)
   * into this tracker, so that a restarted training run continues its trace. Every record must
   * carry this tracker's {@link fingerprint} (same options, labels and inputs); a (layer, epoch)
   * already recorded is an error. Failure rows of a `dse trace` CSV are skipped.
   *
   * @returns the number of records taken
   * @example
   * ```ts
   * const tracker = new DseTracker(sameOptions);
   * if (fs.existsSync('trace.json')) tracker.load('trace.json');
   * for (let epoch = 1; epoch <= 30; epoch++) { ...; if (!tracker.has('fc', epoch)) await tracker.record(...); tracker.save('trace.json'); }
   * ```
   */
  load(file: string): number {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw ioError('read', file, e);
    }
    let records: TraceRecord[];
    if (/\.json$/i.test(file)) {
      let doc: { format?: unknown; records?: unknown };
      try {
        doc = JSON.parse(text);
      } catch (e) {
        throw new DseError('ERR_DSE_FORMAT', `Expected JSON saved by DseTracker#save in ${JSON.stringify(file)} but it does not parse: ${(e as Error).message}`);
      }
      if (doc?.format !== 'dse-tracker' || !Array.isArray(doc.records))
        throw new DseError('ERR_DSE_FORMAT', `Expected JSON saved by DseTracker#save ({ format: "dse-tracker", records }) in ${JSON.stringify(file)} but received ${describe(doc)}`);
      records = doc.records.map((r, i) => checkRecord(r, `records[${i}] of ${JSON.stringify(file)}`));
    } else records = parseTraceCsv(text, JSON.stringify(file)).records;
    return this.restore(records, JSON.stringify(file));
  }

  /**
   * Takes records computed earlier (e.g. read with `parseTraceCsv`) into this tracker; see {@link load}.
   *
   * @returns the number of records taken
   * @example
   * ```ts
   * tracker.restore(earlier.results());
   * ```
   */
  restore(records: readonly TraceRecord[], where = 'the records'): number {
    if (!Array.isArray(records)) throw invalid('ERR_DSE_TYPE', 'records', 'an array of trace records', records);
    const checked = records.map((r, i) => checkRecord(r, `records[${i}]`));
    const mine = this.fingerprint();
    const seen = new Set<string>();
    for (const r of checked) {
      if (r.options !== mine)
        throw new DseError(
          'ERR_DSE_OPTION',
          `Expected records computed with this tracker's options, labels and inputs (fingerprint ${mine}) in ${where} but layer ${describe(r.layer)}, epoch ${r.epoch} has ${r.options === undefined ? 'no fingerprint' : `fingerprint ${r.options}`}`,
        );
      const key = `${r.layer}\u0000${r.epoch}`;
      if (seen.has(key) || this.has(r.layer, r.epoch))
        throw new DseError('ERR_DSE_OPTION', `Expected each (layer, epoch) to be recorded once but ${where} has layer ${describe(r.layer)}, epoch ${r.epoch} again`);
      seen.add(key);
    }
    for (const r of checked) this.records.push(copyRecord(r));
    return checked.length;
  }

  /**
   * Writes the self-contained HTML report: DSE(Z), DSMI(Z;Y), DSMI(Z;X) against the epoch, one
   * line per layer, the table of values, the options used and the "Run" section. `signal` aborts
   * the drawing (nothing is written); `onProgress(done, total)` counts the charts drawn.
   *
   * @returns the number of bytes written
   * @example
   * ```ts
   * await tracker.writeReport('report.html', { title: 'MLP on digits' });
   * ```
   */
  async writeReport(file: string, reportOptions: TrackerReportOptions = {}): Promise<number> {
    const options = ownProperties(reportOptions);
    if (options.signal !== undefined) ASYNC_RULES.signal.parse(options.signal, 'signal');
    if (options.onProgress !== undefined) ASYNC_RULES.onProgress.parse(options.onProgress, 'onProgress');
    if (this.records.length === 0 && !(options.failures?.length))
      throw new DseError('ERR_DSE_SHAPE', 'Expected at least 1 record before writing a report but received none (call record() first)');
    const doc = traceReport(this.records, {
      title: options.title,
      subtitle: options.subtitle,
      paragraphs: options.paragraphs,
      options: this.options(),
      meta: options.meta,
      failures: options.failures,
    });
    return writeReportFile(file, doc, { signal: options.signal, onProgress: options.onProgress });
  }
}

/** A copy of a record (its file stamp too), so callers cannot change the tracker's. */
function copyRecord(r: TraceRecord): TraceRecord {
  return r.file ? { ...r, file: { ...r.file } } : { ...r };
}

function checkStamp(file: unknown, name: string): TraceFileStamp {
  const f = file as TraceFileStamp;
  if (typeof f !== 'object' || f === null || !Number.isFinite(f.size) || !Number.isFinite(f.mtimeMs))
    throw invalid('ERR_DSE_OPTION', name, 'an object { size, mtimeMs } of finite numbers', file);
  return f;
}

/** A record read from a file or given by a caller, checked field by field. */
function checkRecord(value: unknown, where: string): TraceRecord {
  const r = value as TraceRecord;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const bad = (field: string, expected: string, got: unknown) => invalid('ERR_DSE_FORMAT', `${field} of ${where}`, expected, got);
  if (typeof r !== 'object' || r === null) throw bad('the record', 'an object', r);
  if (typeof r.layer !== 'string' || r.layer.length === 0) throw bad('layer', 'a non-empty string', r.layer);
  for (const k of ['epoch', 'rows', 'cols', 'dse', 'seconds'] as const) if (!finite(r[k])) throw bad(k, 'a finite number', r[k]);
  for (const k of ['dsmiY', 'dsmiX'] as const) if (r[k] !== null && !finite(r[k])) throw bad(k, 'a finite number or null', r[k]);
  if (r.rowsUsed !== undefined && !finite(r.rowsUsed)) throw bad('rowsUsed', 'a finite number', r.rowsUsed);
  if (r.file !== undefined) checkStamp(r.file, `file of ${where}`);
  return copyRecord(r);
}

/** One progress count over several stages whose sizes are known (or estimated) up front. */
class StageProgress {
  private readonly done: number[];
  constructor(
    private readonly onProgress: ProgressCallback | undefined,
    private readonly sizes: number[],
  ) {
    this.done = sizes.map(() => 0);
  }

  private report(): void {
    if (!this.onProgress) return;
    const total = this.sizes.reduce((a, b) => a + b, 0);
    try {
      this.onProgress(Math.min(total, this.done.reduce((a, b) => a + b, 0)), total);
    } catch {
      // A throwing progress callback must not take the computation down with it (as natively).
    }
  }

  /** The native progress of stage `k` (its own batch total replaces the estimate). */
  stage(k: number): ProgressCallback | undefined {
    if (!this.onProgress) return undefined;
    return (done, total) => {
      this.sizes[k] = total;
      this.done[k] = done;
      this.report();
    };
  }

  resize(k: number, size: number): void {
    this.sizes[k] = size;
  }

  finish(k: number): void {
    if (this.sizes[k] === 0) return;
    this.done[k] = this.sizes[k];
    this.report();
  }
}
