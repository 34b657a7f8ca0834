// SPDX-License-Identifier: MIT
/**
 * One definition, two drivers. Each public function is written once, as a generator (a
 * "plan") that yields the native batches it needs and receives their results. `runSync`
 * drives a plan through the synchronous native entry; `runAsync` through the worker-thread
 * entry, with cancellation and progress. No function's logic exists twice.
 */
import { createHash, webcrypto } from 'crypto';
import {
  native,
  fromNative,
  abortError,
  KernelCode,
  type NativeSpectraOptions,
  type NativeChebyshevOptions,
  type NativeSlqOptions,
} from './native';
import { checkMemory, getMemoryLimit } from './memory';
import { fitToRange } from './kernelRange';
import type { Matrix } from './validate';

/** One native batch: the spectra (or entry entropies) of subsets of the rows of X. */
export interface SpectraRequest {
  op: 'spectra';
  X: Matrix;
  /** null: one subset of all rows. */
  subsets: Int32Array[] | null;
  options: NativeSpectraOptions;
  /**
   * Set when `precision: 'float32'` was asked but the rows are collapsed (see `collapsedRows`): computed in float64.
   */
  widened?: true;
}

/** Spectral clustering of the rows of Y (scikit-learn's nearest-neighbours + cluster_qr). */
export interface ClusterRequest {
  op: 'cluster';
  Y: Matrix;
  nClusters: number;
  nNeighbors: number;
}

/** Chebyshev moments of the filtered diffusion kernel of subsets of the rows of X (lib/chebyshev.ts). */
export interface ChebyshevRequest {
  op: 'chebyshev';
  X: Matrix;
  /** null: one subset of all rows. */
  subsets: Int32Array[] | null;
  options: NativeChebyshevOptions;
}

/** SHA-256 of some bytes (the eigenvalue cache's fingerprint of X), off the main thread when async. */
export interface DigestRequest {
  op: 'digest';
  bytes: Uint8Array;
}

/** Method 'slq': entropy estimates of subsets of the rows of X by stochastic Lanczos quadrature (lib/slq.ts). */
export interface SlqRequest {
  op: 'slq';
  X: Matrix;
  /** null: one subset of all rows. */
  subsets: Int32Array[] | null;
  options: NativeSlqOptions;
}

/** The classic Shannon entropy's counting step over subsets of the rows of X (native/core/cse.h). */
export interface BinnedCountsRequest {
  op: 'binnedCounts';
  X: Matrix;
  /** null: one subset of all rows. */
  subsets: Int32Array[] | null;
  bins: number;
}

/** A step with a sync and an async form (the eigenvalue cache's file work): runSync calls
 * `sync`, runAsync awaits `async`. What they throw is passed on as it is (DseErrors). */
export interface IoRequest {
  op: 'io';
  sync(): IoResult;
  async(): Promise<IoResult>;
}
export type IoResult = Uint8Array | null | void;

export type NativeRequest =
  SpectraRequest | ClusterRequest | ChebyshevRequest | DigestRequest | SlqRequest | BinnedCountsRequest | IoRequest;
/** What each request gives back: eigenvalue arrays for spectra, labels for clustering, moment
 * arrays for chebyshev, group sizes for binnedCounts, a lowercase hex string for digest. */
export type NativeResult = Float64Array[] | Int32Array | string | IoResult;

/** A plan yields native requests and returns the function's result. */
export type Plan<R> = Generator<NativeRequest, R, NativeResult>;

/**
 * A float32 request whose rows take at most this many distinct values runs in float64: its
 * kernel has rank <= 64, so >= N - 64 eigenvalues are exactly 0, where float32's solver leaves
 * ~3e-6 each (1e-4 to 1e-3 bits at N = 1500-3100). The count stops at the 65th distinct row, so
 * on data that is not collapsed it reads ~65 rows (docs/internals/ties.md).
 */
export const COLLAPSED_DISTINCT_ROWS = 64;

/** Whether the rows (all of X, or `rows`) take at most COLLAPSED_DISTINCT_ROWS distinct values, one at least twice. */
export function collapsedRows(X: Matrix, rows: Int32Array | null): boolean {
  const n = rows ? rows.length : X.rows;
  const width = X.cols * X.data.BYTES_PER_ELEMENT;
  const bytes = Buffer.from(X.data.buffer, X.data.byteOffset, X.data.byteLength);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    // Exact row bytes: equal rows give equal kernel rows, whatever the kernel.
    seen.add(bytes.toString('latin1', r * width, (r + 1) * width));
    if (seen.size > COLLAPSED_DISTINCT_ROWS) return false;
  }
  return seen.size < n;
}

/** Inside a plan: one native spectra batch, X and sigma fitted to the batch's precision. */
function* spectraBatch(
  X: Matrix,
  subsets: Int32Array[] | null,
  options: NativeSpectraOptions,
  widened: boolean,
): Generator<NativeRequest, Float64Array[], NativeResult> {
  const knn = options.kind === KernelCode.Knn;
  const fit = fitToRange(X, knn ? null : options.sigma, options.precision === 1 ? 'float32' : 'float64');
  const o = knn ? options : { ...options, sigma: fit.sigma! };
  const request: SpectraRequest = { op: 'spectra', X: fit.X, subsets, options: o };
  if (widened) request.widened = true;
  return (yield request) as Float64Array[];
}

/**
 * Inside a plan: the spectra of the subsets. Under float32, subsets whose rows are collapsed
 * (`collapsedRows`; kNN excepted, its adjacency is exact 0/1) run in a float64 batch of their own.
 */
export function* spectra(
  X: Matrix,
  subsets: Int32Array[] | null,
  options: NativeSpectraOptions,
): Generator<NativeRequest, Float64Array[], NativeResult> {
  if (options.precision === 0 || options.kind === KernelCode.Knn)
    return yield* spectraBatch(X, subsets, options, false);
  const parts = subsets ?? [null];
  const collapsed = parts.map((rows) => collapsedRows(X, rows));
  if (!collapsed.some(Boolean)) return yield* spectraBatch(X, subsets, options, false);
  // The float32 request's own checks first: a sigma or X it refuses is refused whatever the rows.
  fitToRange(X, options.sigma, 'float32');
  const wide = { ...options, precision: 0 as const };
  if (!subsets) return yield* spectraBatch(X, null, wide, true);
  const pick = (want: boolean) => subsets.filter((_, i) => collapsed[i] === want);
  const fromWide = yield* spectraBatch(X, pick(true), wide, true);
  const narrowSubsets = pick(false);
  const fromNarrow = narrowSubsets.length ? yield* spectraBatch(X, narrowSubsets, options, false) : [];
  let w = 0;
  let s = 0;
  return collapsed.map((c) => (c ? fromWide[w++] : fromNarrow[s++]));
}

function sameOptions(a: object, b: object): boolean {
  const ka = Object.keys(a);
  return (
    ka.length === Object.keys(b).length &&
    ka.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k])
  );
}

/** The rows of a request's subsets: its own, or all rows of X written out. */
function subsetsOf(r: SpectraRequest): Int32Array[] {
  if (r.subsets) return r.subsets;
  const all = new Int32Array(r.X.rows);
  for (let i = 0; i < all.length; i++) all[i] = i;
  return [all];
}

/**
 * Inside a plan: several plans run together. Whenever all of them wait on spectra of the same X
 * with the same options (the tracker's DSE(Z), DSMI(Z;Y) and DSMI(Z;X)), their subsets go to
 * native as one batch, scheduled over the cores together; any other request runs on its own, in
 * the order of the plans. Returns each plan's result.
 */
export function* together<T extends unknown[]>(...plans: { [K in keyof T]: Plan<T[K]> }): Plan<T> {
  const steps: IteratorResult<NativeRequest, unknown>[] = plans.map((p) => p.next());
  for (;;) {
    const waiting = steps.map((s, i) => (s.done ? -1 : i)).filter((i) => i >= 0);
    if (waiting.length === 0) return steps.map((s) => s.value) as T;
    const requests = waiting.map((i) => steps[i].value as NativeRequest);
    const first = requests[0];
    const mergeable =
      waiting.length > 1 &&
      requests.every(
        (r): r is SpectraRequest =>
          r.op === 'spectra' &&
          first.op === 'spectra' &&
          r.X === first.X &&
          !r.widened &&
          sameOptions(r.options, first.options),
      );
    if (!mergeable) {
      const i = waiting[0];
      steps[i] = plans[i].next(yield first);
      continue;
    }
    const parts = (requests as SpectraRequest[]).map(subsetsOf);
    const results = (yield { ...(first as SpectraRequest), subsets: parts.flat() }) as Float64Array[];
    let at = 0;
    waiting.forEach((i, k) => {
      steps[i] = plans[i].next(results.slice(at, at + parts[k].length));
      at += parts[k].length;
    });
  }
}

/**
 * Inside a plan: a Chebyshev ('chebyshev': moments of the subsets' filtered diffusion kernels, in
 * float64) or SLQ request ('slq': method-'slq' estimates, one Float64Array each, K stored in
 * float32), X and sigma fitted to that precision.
 */
function* fittedBatch<Op extends 'chebyshev' | 'slq'>(
  op: Op,
  X: Matrix,
  subsets: Int32Array[] | null,
  options: Op extends 'slq' ? NativeSlqOptions : NativeChebyshevOptions,
): Generator<NativeRequest, Float64Array[], NativeResult> {
  const fit = fitToRange(X, options.sigma, op === 'slq' ? 'float32' : 'float64');
  const request = { op, X: fit.X, subsets, options: { ...options, sigma: fit.sigma! } } as NativeRequest;
  return (yield request) as Float64Array[];
}

/** Inside a plan: Chebyshev moments of the subsets' filtered diffusion kernels. */
export const chebyshevMoments = (X: Matrix, subsets: Int32Array[] | null, options: NativeChebyshevOptions) =>
  fittedBatch('chebyshev', X, subsets, options);

/** Inside a plan: method-'slq' entropy estimates of the subsets (see NativeBinding.slqEntropy). */
export const slqEstimates = (X: Matrix, subsets: Int32Array[] | null, options: NativeSlqOptions) =>
  fittedBatch('slq', X, subsets, options);

/** Inside a plan: the SHA-256 of `bytes` as lowercase hex. */
export function* digest(bytes: Uint8Array): Generator<NativeRequest, string, NativeResult> {
  return (yield { op: 'digest', bytes }) as string;
}

/** Inside a plan: per subset, the sizes of its groups of identical binned rows (classic Shannon entropy). */
export function* binnedCounts(
  X: Matrix,
  subsets: Int32Array[] | null,
  bins: number,
): Generator<NativeRequest, Float64Array[], NativeResult> {
  return (yield { op: 'binnedCounts', X, subsets, bins }) as Float64Array[];
}

/** Inside a plan: file work, blocking in runSync and on the libuv pool in runAsync. */
export function* io<T extends IoResult>(
  sync: () => T,
  async: () => Promise<T>,
): Generator<NativeRequest, T, NativeResult> {
  return (yield { op: 'io', sync, async }) as T;
}

/** Inside a plan: cluster the rows of Y. */
export function* cluster(
  Y: Matrix,
  nClusters: number,
  nNeighbors: number,
): Generator<NativeRequest, Int32Array, NativeResult> {
  return (yield { op: 'cluster', Y, nClusters, nNeighbors }) as Int32Array;
}

// Each native request crosses once: its memory limit travels with it, and the binding refuses
// (ERR_DSE_MEMORY with the estimated `bytes`, see nativeError) before anything is allocated or queued.
type NativeEntry = 'binnedRowCounts' | 'spectralClustering' | 'chebyshevMoments' | 'slqEntropy' | 'spectra';

/**
 * The addon entry of a computing request and its arguments: the sync entry takes them as they
 * are, the `...Async` one also the cancel flag and, where it reports progress, the callback.
 */
function nativeCall(
  r: Exclude<NativeRequest, IoRequest | DigestRequest>,
  memoryLimit: number,
): { entry: NativeEntry; args: unknown[]; reportsProgress: boolean } {
  if (r.op === 'cluster') {
    const options = { nClusters: r.nClusters, nNeighbors: r.nNeighbors, memoryLimit };
    return { entry: 'spectralClustering', args: [r.Y.data, r.Y.rows, r.Y.cols, null, options], reportsProgress: false };
  }
  const matrix = [r.X.data, r.X.rows, r.X.cols, r.subsets];
  if (r.op === 'binnedCounts')
    return { entry: 'binnedRowCounts', args: [...matrix, { bins: r.bins, memoryLimit }], reportsProgress: false };
  const entry = r.op === 'chebyshev' ? 'chebyshevMoments' : r.op === 'slq' ? 'slqEntropy' : 'spectra';
  return { entry, args: [...matrix, { ...r.options, memoryLimit }], reportsProgress: true };
}

type AnyEntry = (...args: unknown[]) => unknown;

function runNativeSync(r: NativeRequest, memoryLimit: number): NativeResult {
  if (r.op === 'io') return r.sync();
  if (r.op === 'digest') return createHash('sha256').update(r.bytes).digest('hex');
  const { entry, args } = nativeCall(r, memoryLimit);
  return (native()[entry] as unknown as AnyEntry)(...args) as NativeResult;
}

function runNativeAsync(
  r: NativeRequest,
  memoryLimit: number,
  flag: Int32Array,
  onProgress: AsyncControl['onProgress'],
): Promise<NativeResult> {
  if (r.op === 'io') return r.async();
  if (r.op === 'digest')
    // WebCrypto hashes on the libuv pool: the event loop stays free for large matrices.
    return webcrypto.subtle.digest('SHA-256', r.bytes).then((h) => Buffer.from(h).toString('hex'));
  const { entry, args, reportsProgress } = nativeCall(r, memoryLimit);
  const run = native()[`${entry}Async`] as unknown as AnyEntry;
  return run(...args, flag, reportsProgress ? (onProgress ?? null) : null) as Promise<NativeResult>;
}

/** Limits every runner applies to each native request. */
export interface Limits {
  /** Bytes one call may use (null/undefined: the process-wide limit, see setMemoryLimit). */
  memoryLimitBytes?: number | null;
}

/** The largest subset size (a loop: a spread of 1e6 sizes overflows the call stack). */
function largest(subsets: readonly Int32Array[] | null | undefined, rows: number): number {
  if (!subsets) return rows;
  let m = 0;
  for (const s of subsets) if (s.length > m) m = s.length;
  return m;
}

/** What dominates a request's memory, for the ERR_DSE_MEMORY message (`dense`: the clustering's dense
 * solver), and, for kernels, a rough size that no machine has and that native is never asked about. */
function describe(r: NativeRequest, dense: boolean): { what: string; hint?: string; rough?: number } {
  if (r.op === 'digest') return { what: 'a SHA-256 digest' };
  if (r.op === 'io') return { what: 'file work' };
  if (r.op === 'binnedCounts') {
    const m = largest(r.subsets, r.X.rows);
    return { what: `the binned rows of a ${m} x ${r.X.cols} subset (classic Shannon entropy)` };
  }
  if (r.op === 'slq') {
    // The upper half of an m x m float32 kernel, plus Krylov/Lanczos blocks (native/core/slq.h).
    const m = largest(r.subsets, r.X.rows);
    return { what: `the upper half of a ${m} x ${m} float32 kernel matrix (method 'slq')`, rough: (m * m * 4) / 2 };
  }
  if (r.op === 'chebyshev') {
    const m = largest(r.subsets, r.X.rows);
    return { what: `a ${m} x ${m} float64 kernel matrix (Chebyshev moments)`, rough: m * m * 8 };
  }
  if (r.op === 'cluster') {
    const hint =
      'Cluster a random subset of the rows (and pass the labels as precomputedClusters), or raise the limit.';
    return { what: `spectral clustering of ${r.Y.rows} rows${dense ? ' (dense)' : ''}`, hint };
  }
  const count = r.subsets ? r.subsets.length : 1;
  const m = largest(r.subsets, r.X.rows);
  const item = r.options.precision === 1 ? 4 : 8;
  const rough = m * m * item;
  if (!Number.isFinite(rough) || rough > 2 ** 52) return { what: `a ${m} x ${m} kernel matrix`, rough };
  const kind = r.options.precision === 1 ? 'float32' : 'float64';
  const what = `a ${m} x ${m} ${kind} kernel matrix${count > 1 ? ` among ${count} subsets` : ''}`;
  if (!r.widened) return { what, rough };
  // float32 was asked: say why the estimate is float64, and do not suggest float32.
  return {
    what:
      `${what}; precision 'float32' was asked, but rows taking at most ${COLLAPSED_DISTINCT_ROWS} distinct ` +
      `values are computed in float64, where float32 misses the value by up to 1e-3 bits`,
    hint: 'Lower maxN (rows are subsampled above it), or raise the limit.',
    rough,
  };
}

/** The bytes request `r` may use. Sizes too large for any machine are refused here, before native is asked. */
function admit(r: NativeRequest, limits: Limits | undefined): number {
  const { what, rough } = describe(r, false);
  if (rough !== undefined && (!Number.isFinite(rough) || rough > 2 ** 52))
    checkMemory(rough, limits?.memoryLimitBytes, what);
  return limits?.memoryLimitBytes ?? getMemoryLimit();
}

/** A native error as a DseError: a refusal for memory worded by checkMemory, anything else by fromNative. */
function nativeError(
  e: unknown,
  r: NativeRequest,
  limits: Limits | undefined,
  stack?: string,
  signal?: AbortSignal,
): Error {
  const refusal = e as { code?: unknown; bytes?: unknown; dense?: unknown } | null;
  if (refusal?.code === 'ERR_DSE_MEMORY' && typeof refusal.bytes === 'number') {
    const { what, hint } = describe(r, refusal.dense === true);
    try {
      checkMemory(refusal.bytes, limits?.memoryLimitBytes, what, hint);
    } catch (memory) {
      return memory as Error;
    }
  }
  return fromNative(e, stack, signal);
}

/** Options every Promise form accepts besides its own. */
export interface AsyncOptions {
  /** Aborts the call: the promise rejects with an `AbortError` and native work stops at its next checkpoint. */
  signal?: AbortSignal;
  /** Called on the main thread as the subsets of a batch finish: `done` of `total`. */
  onProgress?: (done: number, total: number) => void;
}

/** What runAsync applies to a plan. */
export interface AsyncControl extends AsyncOptions, Limits {}

/** Runs a plan on the calling thread. */
export function runSync<R>(plan: Plan<R>, limits?: Limits): R {
  let step = plan.next();
  while (!step.done) {
    const memoryLimit = admit(step.value, limits);
    let result: NativeResult;
    try {
      result = runNativeSync(step.value, memoryLimit);
    } catch (e) {
      throw nativeError(e, step.value, limits);
    }
    step = plan.next(result);
  }
  return step.value;
}

/**
 * Runs a plan with every batch queued on the addon's compute thread (native/binding/worker.cc:
 * one FIFO for the whole process, so waiting calls hold no libuv pool thread) and its file work
 * on the libuv pool; the event loop stays free. `stack` is the caller's stack, captured before
 * anything was queued, so that a rejection points at the caller's line rather than at this file.
 * On abort the promise rejects at once; a queued batch is taken out of the queue, a running one
 * stops at its next checkpoint.
 */
export async function runAsync<R>(
  makePlan: () => Plan<R>,
  control: AsyncControl,
  stack: string | undefined,
): Promise<R> {
  const { signal, onProgress } = control;
  if (signal?.aborted) throw abortError(signal);
  const flag = new Int32Array(new SharedArrayBuffer(4));
  let rejectAbort: ((e: Error) => void) | undefined;
  const aborted = new Promise<never>((_, reject) => (rejectAbort = reject));
  aborted.catch(() => undefined);
  const onAbort = () => {
    Atomics.store(flag, 0, 1);
    native().dropCancelled();
    rejectAbort?.(abortError(signal));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const plan = makePlan();
    let step = plan.next();
    while (!step.done) {
      if (signal?.aborted) throw abortError(signal);
      const memoryLimit = admit(step.value, control);
      let result: NativeResult;
      try {
        const work = runNativeAsync(step.value, memoryLimit, flag, onProgress);
        // Settle at once on abort; the native task notices the flag at its next checkpoint.
        result = await (signal ? Promise.race([work, aborted]) : work);
      } catch (e) {
        throw nativeError(e, step.value, control, stack, signal);
      }
      step = plan.next(result);
    }
    return step.value;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
