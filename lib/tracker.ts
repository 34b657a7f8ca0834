// SPDX-License-Identifier: MIT
/**
 * DseTracker: DSE(Z), DSMI(Z;Y) and DSMI(Z;X) of a network's embeddings, recorded from inside a
 * training loop, epoch after epoch and layer by layer, then written as a CSV file or an HTML
 * report. The inputs are clustered once (spectral clustering) and the clusters are reused for
 * every DSMI(Z;X), which is what the reference's `precomputed_clusters` is for.
 */
import * as fs from 'fs';
import { DseError, describe, invalid, raw } from './errors';
import { dsePlan } from './entropy';
import { DSE_SPEC, DSMI_SPEC, type DseResolved, type DsmiResolved } from './options';
import { dsmiPlan } from './mi';
import {
  spectralClustering,
  parseReference,
  ownedReference,
  integerLabels,
  classLabels,
  uniqueCounts,
  CLUSTER_SPEC,
  type ParsedReference,
} from './clusters';
import { runAsync, together, type Plan } from './plan';
import { CONTROL_SPEC } from './operation';
import { createHash } from 'crypto';
import { writeFileAtomic, ioError } from './io/atomic';
import {
  toOwnedMatrix,
  toShapedMatrix,
  ownedFiniteMatrix,
  readOptions,
  ownProperties,
  type Matrix,
  type MatrixLike,
  type OptionRule,
  type Parsed,
  type ShapedArray,
} from './validate';
import {
  traceCsv,
  traceReport,
  sortRecords,
  parseTraceCsv,
  type TraceRecord,
  type TraceFailure,
  type TraceFileStamp,
} from './report/trace';
import { abortError, raceAbort } from './native';
import { writeReportFile } from './report/html';
import type { Method, SlqOptions } from './slq';
import type { Precision } from './options';

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
export type TrackerLabels =
  ArrayLike<number> | BigInt64Array | BigUint64Array | { shape: number[]; dataSync(): ArrayLike<number> } | ShapedArray;

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
  /** Z: a Matrix, number[][], a 2-D tensor (`shape` + `dataSync()`) or `{ data, shape }`, one row per sample. */
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

const any: OptionRule<unknown> = { default: null, parse: (v) => v };

const ASYNC_RULES = CONTROL_SPEC;

// The measures' own rules: the tracker's options are those of DSE and DSMI.
const SPEC = {
  labels: any,
  inputs: any,
  inputClusters: any,
  gaussianKernelSigma: DSE_SPEC.gaussianKernelSigma,
  t: DSE_SPEC.t,
  maxN: DSE_SPEC.maxN,
  randomSeed: DSE_SPEC.randomSeed,
  numRepetitions: DSMI_SPEC.numRepetitions,
  nClusters: DSMI_SPEC.nClusters,
  nNeighbors: CLUSTER_SPEC.nNeighbors,
  precision: DSE_SPEC.precision,
  method: DSE_SPEC.method,
  slq: DSE_SPEC.slq,
};
type Resolved = Omit<Parsed<typeof SPEC>, 'labels' | 'inputs' | 'inputClusters'>;

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
  /** The labels as DSMI reads them, parsed once. */
  private labelsReference: ParsedReference | null = null;
  /** The reference of DSMI(Z;X) for the input clusters, parsed once. */
  private inputsReference: { clusters: Int32Array; reference: ParsedReference } | null = null;
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
        throw invalid(
          'ERR_DSE_SHAPE',
          'labels',
          'one label per row (shape [N] or [N, 1]); pass vectors as inputs',
          raw(`shape [${ref.values.rows}, ${ref.values.cols}]`),
        );
      this.labelsDiscrete = ref.integer;
      this.labels = ref.integer ? classLabels(ref.column ?? ref.values.data) : Float64Array.from(ref.values.data);
    } else {
      this.labels = null;
      this.labelsDiscrete = false;
    }
    this.inputs = inputs !== null && inputs !== undefined ? snapshot(inputs as MatrixLike, 'inputs') : null;
    if (this.labels && this.inputs && this.labels.length !== this.inputs.rows)
      throw invalid(
        'ERR_DSE_SHAPE',
        'labels',
        `one label per row of inputs (${this.inputs.rows})`,
        raw(`${this.labels.length} labels`),
      );
    if (inputClusters !== null && inputClusters !== undefined) {
      if (typeof inputClusters !== 'object' || typeof (inputClusters as ArrayLike<number>).length !== 'number')
        throw invalid(
          'ERR_DSE_OPTION',
          'inputClusters',
          'an array of integer cluster labels, one per row of the embeddings',
          inputClusters,
        );
      const c = integerLabels(inputClusters as ArrayLike<number>, 'inputClusters', 'cluster labels');
      const rows = this.inputs?.rows ?? this.labels?.length;
      if (rows !== undefined && c.length !== rows)
        throw invalid(
          'ERR_DSE_SHAPE',
          'inputClusters',
          `one label per row of ${this.inputs ? 'inputs' : 'labels'} (${rows})`,
          raw(`${c.length} labels`),
        );
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
    if (!this.hasX)
      return Promise.reject(
        new DseError(
          'ERR_DSE_OPTION',
          'Expected inputs or inputClusters in the DseTracker options to cluster but received neither',
        ),
      );
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
      const o = {
        ...this.o,
        randomSeed: this.o.randomSeed === null ? null : String(this.o.randomSeed),
        slq: this.o.method === 'slq' ? this.o.slq : null,
      };
      h.update(JSON.stringify(o));
      const bytes = (a: ArrayBufferView | null) =>
        a ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : new Uint8Array(0);
      h.update(`labels:${this.labels ? (this.labelsDiscrete ? 'classes' : 'values') : 'none'}:`).update(
        bytes(this.labels),
      );
      h.update(
        `inputs:${
          this.inputs ? `${this.inputs.rows}x${this.inputs.cols}:${this.inputs.data.constructor.name}` : 'none'
        }:`,
      ).update(bytes(this.inputs?.data ?? null));
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
    return (
      this.pending.has(`${layer}\u0000${epoch}`) || this.records.some((r) => r.layer === layer && r.epoch === epoch)
    );
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
    if (typeof epoch !== 'number' || !Number.isFinite(epoch))
      throw invalid('ERR_DSE_OPTION', 'epoch', 'a finite number', epoch);
    if (typeof layer !== 'string' || layer.length === 0)
      throw invalid('ERR_DSE_OPTION', 'layer', 'a non-empty string', layer);
    // The same checks as every other async call (a signal of another realm is fine).
    if (signal !== undefined) ASYNC_RULES.signal.parse(signal, 'signal');
    if (onProgress !== undefined) ASYNC_RULES.onProgress.parse(onProgress, 'onProgress');
    if (source !== undefined && typeof source !== 'string')
      throw invalid('ERR_DSE_OPTION', 'source', 'a string', source);
    if (file !== undefined) checkStamp(file, 'file');
    if (signal?.aborted) throw abortError(signal);
    const key = `${layer}\u0000${epoch}`;
    if (this.has(layer, epoch))
      throw new DseError(
        'ERR_DSE_OPTION',
        `Expected each (layer, epoch) to be recorded once but received layer ${describe(layer)}, epoch ${epoch} again`,
      );
    const shaped = toShapedMatrix(embeddings, 'embeddings');
    const expected = this.rows;
    if (expected !== null && shaped.rows !== expected)
      throw invalid(
        'ERR_DSE_SHAPE',
        'embeddings',
        `${expected} rows (one per ${this.labels ? 'label' : this.inputs ? 'input row' : 'input cluster label'})`,
        raw(
          `shape [${shaped.rows}, ${shaped.cols}] (layer ${describe(layer)}, epoch ` +
            `${epoch}${source ? `, ${source}` : ''})`,
        ),
      );
    // Copied before the first await (the caller may dispose a tensor at once), then checked for
    // finiteness a slice at a time, so that a large Z never holds the event loop for one long scan.
    const copying = ownedFiniteMatrix(shaped, 'embeddings', this.spare);
    this.spare = null;
    this.pending.add(key);
    try {
      const Z = await copying;
      const start = process.hrtime.bigint();
      const { maxN } = this.o;
      // One plan per measure, run together: their subsets of Z go to native as one batch.
      const plans: Plan<number>[] = [dsePlan(Z, this.dseOptions())];
      let total = 1;
      if (this.labels) {
        plans.push(valueOf(dsmiPlan(Z, this.labelsRef(), this.dsmiOptions(this.labelsDiscrete, null))));
        total += this.labelStages();
      }
      if (this.hasX) {
        const clusters = await raceAbort(this.inputClusters(), signal);
        plans.push(valueOf(dsmiPlan(Z, this.inputsRef(clusters), this.dsmiOptions(false, clusters))));
        total += uniqueCounts(clusters).values.length * (this.o.numRepetitions + 1);
      }
      const values = await runAsync(
        () => together(...plans),
        { signal, onProgress: cumulative(onProgress, total), memoryLimitBytes: null },
        undefined,
      );
      const dse = values[0];
      const dsmiY = this.labels ? values[1] : null;
      const dsmiX = this.hasX ? values[values.length - 1] : null;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const rowsUsed = maxN === null ? Z.rows : Math.min(Z.rows, maxN);
      const record: TraceRecord = {
        layer,
        epoch,
        rows: Z.rows,
        cols: Z.cols,
        dse,
        dsmiY,
        dsmiX,
        seconds,
        rowsUsed,
        options: this.fingerprint(),
      };
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

  /** DSE's options, as diffusionSpectralEntropy reads them. */
  private dseOptions(): DseResolved {
    const { gaussianKernelSigma, t, maxN, randomSeed, precision, method, slq } = this.o;
    return readOptions({ gaussianKernelSigma, t, maxN, randomSeed, precision, method, slq }, DSE_SPEC, 'DseTracker');
  }

  /** DSMI's options, as diffusionSpectralMutualInformation reads them. */
  private dsmiOptions(referenceDiscrete: boolean, clusters: Int32Array | null): DsmiResolved {
    const { gaussianKernelSigma, t, randomSeed, numRepetitions, nClusters, precision, method, slq } = this.o;
    const o = {
      gaussianKernelSigma,
      t,
      randomSeed,
      numRepetitions,
      nClusters,
      precision,
      method,
      slq,
      referenceDiscrete,
    };
    return readOptions(clusters ? { ...o, precomputedClusters: clusters } : o, DSMI_SPEC, 'DseTracker');
  }

  /** The labels as DSMI's reference, parsed once. */
  private labelsRef(): ParsedReference {
    return (this.labelsReference ??= ownedReference(parseReference(this.labels!)));
  }

  /** DSMI(Z;X)'s reference: with precomputed clusters the reference reads only their labels, not the inputs. */
  private inputsRef(clusters: Int32Array): ParsedReference {
    if (this.inputsReference?.clusters !== clusters)
      this.inputsReference = {
        clusters,
        reference: ownedReference(parseReference(this.inputs ?? Float64Array.from(clusters))),
      };
    return this.inputsReference.reference;
  }

  /** Entropies of DSMI(Z;Y): classes (or bins) x (numRepetitions + 1). */
  private labelStages(): number {
    const k = this.labelsDiscrete ? uniqueCounts(this.labels as Int32Array).values.length : this.o.nClusters;
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
    const out: Record<string, unknown> = {
      ...rest,
      randomSeed: typeof randomSeed === 'bigint' ? randomSeed.toString() : randomSeed,
    };
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
      ? `${JSON.stringify(
          {
            format: 'dse-tracker',
            version: 1,
            fingerprint: this.fingerprint(),
            options: this.options(),
            records: this.results(),
          },
          null,
          1,
        )}\n`
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
   * for (let epoch = 1; epoch <= 30; epoch++) { ...; if (!tracker.has('fc', epoch)) await tracker.record(...);
   * tracker.save('trace.json'); }
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
        throw new DseError(
          'ERR_DSE_FORMAT',
          `Expected JSON saved by DseTracker#save in ${JSON.stringify(file)} but it does not parse: ` +
            `${(e as Error).message}`,
        );
      }
      if (doc?.format !== 'dse-tracker' || !Array.isArray(doc.records))
        throw new DseError(
          'ERR_DSE_FORMAT',
          `Expected JSON saved by DseTracker#save ({ format: "dse-tracker", records }) in ${JSON.stringify(file)} ` +
            `but received ${describe(doc)}`,
        );
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
          `Expected records computed with this tracker's options, labels and inputs (fingerprint ${mine}) in ` +
            `${where} but layer ${describe(r.layer)}, epoch ${r.epoch} has ` +
            `${r.options === undefined ? 'no fingerprint' : `fingerprint ${r.options}`}`,
        );
      const key = `${r.layer}\u0000${r.epoch}`;
      if (seen.has(key) || this.has(r.layer, r.epoch))
        throw new DseError(
          'ERR_DSE_OPTION',
          `Expected each (layer, epoch) to be recorded once but ${where} has layer ${describe(r.layer)}, epoch ` +
            `${r.epoch} again`,
        );
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
    if (this.records.length === 0 && !options.failures?.length)
      throw new DseError(
        'ERR_DSE_SHAPE',
        'Expected at least 1 record before writing a report but received none (call record() first)',
      );
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
  const bad = (field: string, expected: string, got: unknown) =>
    invalid('ERR_DSE_FORMAT', `${field} of ${where}`, expected, got);
  if (typeof r !== 'object' || r === null) throw bad('the record', 'an object', r);
  if (typeof r.layer !== 'string' || r.layer.length === 0) throw bad('layer', 'a non-empty string', r.layer);
  for (const k of ['epoch', 'rows', 'cols', 'dse', 'seconds'] as const)
    if (!finite(r[k])) throw bad(k, 'a finite number', r[k]);
  for (const k of ['dsmiY', 'dsmiX'] as const)
    if (r[k] !== null && !finite(r[k])) throw bad(k, 'a finite number or null', r[k]);
  if (r.rowsUsed !== undefined && !finite(r.rowsUsed)) throw bad('rowsUsed', 'a finite number', r.rowsUsed);
  if (r.file !== undefined) checkStamp(r.file, `file of ${where}`);
  return copyRecord(r);
}

/** A DSMI plan's value (the clusters are the tracker's own). */
function* valueOf(plan: Plan<{ value: number }>): Plan<number> {
  return (yield* plan).value;
}

/**
 * The native batches' progress as one count: `total` entropies over the record (1 for DSE, then
 * classes x (numRepetitions + 1) per DSMI), whether they run in one batch or several.
 */
function cumulative(onProgress: ProgressCallback | undefined, total: number): ProgressCallback | undefined {
  if (!onProgress) return undefined;
  let before = 0;
  return (done, batch) => {
    try {
      onProgress(Math.min(total, before + done), total);
    } catch {
      // A throwing progress callback must not take the computation down with it (as natively).
    }
    if (done === batch) before += batch;
  };
}
