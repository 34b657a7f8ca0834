// SPDX-License-Identifier: MIT
/**
 * Diffusion / adjacency spectral mutual information, the reference's recipe to the letter:
 * clusters of the reference -> for each cluster c, the entropy of X's rows in c and the mean
 * entropy of `numRepetitions` random subsets of the same size (re-seeded per cluster) ->
 * MI = sum_c (n_c / N) (H_random - H_c). Every subset's spectrum comes from ONE native batch,
 * scheduled over the cores.
 */
import { DseError, invalid, raw } from './errors';
import { checkMemory } from './memory';
import { aseKernel, nativeOptions } from './entropy';
import {
  DSMI_SPEC,
  ASMI_SPEC,
  type AdjacencySpectralMutualInformationOptions,
  type AsmiResolved,
  type DiffusionSpectralMutualInformationOptions,
  type DsmiResolved,
} from './options';
import { classicShannonEntropies } from './cse';
import { entropyBits, probabilitiesFromEigenvalues } from './spectralEntropy';
import { log } from './log';
import { pythonGlobalRandom } from './random';
import { KernelCode } from './native';
import { chebyshevSpectra } from './chebyshev';
import { checkSlqCombination, slqEntropies } from './slq';
import { cluster, spectra, type Plan, type NativeRequest, type NativeResult } from './plan';
import { promiseForm, syncForm, type Operation } from './operation';
import {
  binScalars,
  checkClusterSizes,
  integerLabels,
  classLabels,
  ownedReference,
  parseReference,
  uniqueCounts,
  type ParsedReference,
  type Reference,
} from './clusters';
import { toMatrix, toOwnedMatrix, type Matrix, type MatrixLike, type OptionSpec } from './validate';

/** The reference's inner entropy calls keep their default `max_N`: larger subsets are subsampled. */
const INNER_MAX_N = 10000;

/** Result of DSMI / ASMI. */
export interface MutualInformationResult {
  /** The mutual information in bits (can be slightly negative, as in the reference). */
  value: number;
  /** The cluster label of each row that was used: the labels themselves for a discrete
   * reference, bins 1..nClusters for continuous scalars, 0..nClusters-1 from spectral clustering. */
  clusters: Int32Array;
}

/** Step 1: the cluster label of every row. */
function* clustersOf(
  ref: ParsedReference,
  n: number,
  o: { referenceDiscrete: boolean | null; nClusters: number; precomputedClusters: ArrayLike<number> | null },
): Generator<NativeRequest, Int32Array, NativeResult> {
  const { values } = ref;
  const discrete = o.referenceDiscrete ?? (values.cols === 1 && ref.integer);
  if (discrete) {
    if (values.cols !== 1)
      throw invalid(
        'ERR_DSE_SHAPE',
        'reference',
        'one label per row (shape [N] or [N, 1]) when referenceDiscrete is true',
        raw(`shape [${values.rows}, ${values.cols}]`),
      );
    return classLabels(ref.column ?? values.data);
  }
  if (o.precomputedClusters) {
    if (o.precomputedClusters.length !== n)
      throw invalid(
        'ERR_DSE_SHAPE',
        'precomputedClusters',
        `one label per row of X (${n})`,
        raw(`${o.precomputedClusters.length} labels`),
      );
    return integerLabels(o.precomputedClusters, 'precomputedClusters', 'cluster labels');
  }
  if (o.nClusters > n)
    throw invalid('ERR_DSE_OPTION', 'nClusters', `an integer <= the number of rows (${n})`, o.nClusters);
  if (values.cols === 1) return binScalars(values.data, o.nClusters);
  checkClusterSizes(values.rows, o.nClusters, 10, 'reference');
  return yield* cluster(values, o.nClusters, 10);
}

/** Rows of `base` picked by `pick` (both index arrays). */
function compose(base: Int32Array, pick: number[]): Int32Array {
  const out = new Int32Array(pick.length);
  for (let i = 0; i < pick.length; i++) out[i] = base[pick[i]];
  return out;
}

export interface SubsetPlan {
  values: number[];
  counts: number[];
  /** conditional subset of cluster c at [c], then its random subsets. */
  subsets: Int32Array[];
}

/**
 * Step 2's row subsets, drawn exactly as the reference draws them from Python's global
 * generator: the inner entropy call of a subset larger than 10000 rows re-seeds it with 0 and
 * subsamples; each cluster re-seeds it with `randomSeed` before its random subsets.
 */
export function subsetPlan(labels: Int32Array, randomSeed: number | bigint | null, repetitions: number): SubsetPlan {
  const n = labels.length;
  const { values, counts } = uniqueCounts(labels);
  const rng = pythonGlobalRandom();
  const inner = (rows: Int32Array): Int32Array => {
    if (rows.length <= INNER_MAX_N) return rows;
    rng.seed(0);
    return compose(rows, rng.sample(rows.length, INNER_MAX_N));
  };
  // The rows of each cluster, ascending, in one pass over the labels.
  const clusterOf = new Map<number, number>();
  values.forEach((c, k) => clusterOf.set(c, k));
  const members = counts.map((count) => new Int32Array(count));
  const filled = new Int32Array(values.length);
  for (let i = 0; i < n; i++) {
    const k = clusterOf.get(labels[i])!;
    members[k][filled[k]++] = i;
  }
  const subsets: Int32Array[] = [];
  values.forEach((_, k) => {
    subsets.push(inner(members[k]));
    if (randomSeed !== null) rng.seed(randomSeed);
    for (let r = 0; r < repetitions; r++) {
      subsets.push(inner(Int32Array.from(rng.sample(n, counts[k]))));
    }
  });
  return { values, counts, subsets };
}

/**
 * The memory guard for the subsets themselves, before they are drawn: every cluster and each of
 * its `repetitions` random subsets holds its row indices (int32) and gets its eigenvalues back
 * (float64), about 12 bytes per row, plus a few hundred bytes per subset. `numRepetitions: 1e6`
 * is refused here at once rather than after minutes of drawing.
 */
function checkPlanMemory(labels: Int32Array, repetitions: number, memoryLimitBytes: number | null): void {
  const clusters = uniqueCounts(labels).values.length;
  const subsets = clusters * (repetitions + 1);
  const bytes = 12 * labels.length * (repetitions + 1) + 256 * subsets;
  checkMemory(
    bytes,
    memoryLimitBytes,
    `the row indices and eigenvalues of ${subsets} subsets: ${clusters} clusters x (numRepetitions ${repetitions} + 1)`,
    'Lower numRepetitions, use fewer clusters, or raise the limit.',
  );
}

/** Step 3: MI = sum_c (n_c / N) (mean random entropy - conditional entropy). */
function combine(plan: SubsetPlan, entropies: number[], repetitions: number): number {
  const total = plan.counts.reduce((a, b) => a + b, 0);
  let mi = 0;
  plan.counts.forEach((count, k) => {
    const base = k * (repetitions + 1);
    let sum = 0;
    for (let r = 1; r <= repetitions; r++) sum += entropies[base + r];
    mi += (count / total) * (sum / repetitions - entropies[base]);
  });
  return mi;
}

/**
 * One cluster holding every row: each random subset is then a permutation of all rows, whose
 * entropy equals the conditional one exactly in exact arithmetic, so MI is 0 by construction
 * (only rounding would differ). Not so when the inner call subsamples (more than 10000 rows) or
 * the entropy is estimated with random probes (Chebyshev, SLQ).
 */
function zeroByConstruction(plan: SubsetPlan, n: number, estimated: boolean): boolean {
  return plan.values.length === 1 && n <= INNER_MAX_N && !estimated;
}

function checkInputs(X: Matrix, ref: ParsedReference): void {
  if (ref.values.rows !== X.rows)
    throw invalid('ERR_DSE_SHAPE', 'reference', `one row per row of X (${X.rows})`, raw(`${ref.values.rows} rows`));
}

/** Steps 1 and 2 of DSMI and ASMI: the checks, the cluster labels and the subsets to measure. */
function* clusterSubsets(
  X: Matrix,
  ref: ParsedReference,
  o: DsmiResolved | AsmiResolved,
  fn: string,
): Generator<NativeRequest, { labels: Int32Array; plan: SubsetPlan }, NativeResult> {
  checkInputs(X, ref);
  checkSlqCombination(o, fn);
  log(o.verbose, `${fn === 'diffusionSpectralMutualInformation' ? 'DSMI' : 'ASMI'}: preparing clusters...`);
  const labels = yield* clustersOf(ref, X.rows, o);
  checkPlanMemory(labels, o.numRepetitions, o.memoryLimitBytes);
  return { labels, plan: subsetPlan(labels, o.randomSeed, o.numRepetitions) };
}

export function* dsmiPlan(X: Matrix, ref: ParsedReference, o: DsmiResolved): Plan<MutualInformationResult> {
  const { labels, plan } = yield* clusterSubsets(X, ref, o, 'diffusionSpectralMutualInformation');
  log(o.verbose, `DSMI: ${plan.values.length} clusters, ${plan.subsets.length} entropies`);
  const estimated = !o.classicShannonEntropy && (o.method === 'slq' || (o.chebyshevApprox && !o.matrixEntryEntropy));
  if (zeroByConstruction(plan, X.rows, estimated)) return { value: 0, clusters: labels };
  let entropies: number[];
  if (o.classicShannonEntropy) {
    entropies = yield* classicShannonEntropies(X, plan.subsets, o.numBinsPerDim);
  } else if (o.method === 'slq') {
    // Every subset in one native batch, each with its own probe streams (lib/slq.ts).
    const estimates = yield* slqEntropies(
      X,
      plan.subsets,
      KernelCode.Diffusion,
      o.gaussianKernelSigma,
      o.t,
      o.slq,
      o.randomSeed,
    );
    entropies = estimates.map((r) => r.value);
  } else if (o.chebyshevApprox && !o.matrixEntryEntropy) {
    const spectraOf = yield* chebyshevSpectra(X, plan.subsets, o.gaussianKernelSigma, o.randomSeed);
    entropies = spectraOf.map((ev) => entropyBits(probabilitiesFromEigenvalues(ev, o.t, 'the diffusion eigenvalues')));
  } else {
    const results = yield* spectra(
      X,
      plan.subsets,
      nativeOptions(KernelCode.Diffusion, o.gaussianKernelSigma, 1, o.precision, o.matrixEntryEntropy),
    );
    entropies = results.map((r) =>
      o.matrixEntryEntropy ? r[0] : entropyBits(probabilitiesFromEigenvalues(r, o.t, 'the diffusion eigenvalues')),
    );
  }
  return { value: combine(plan, entropies, o.numRepetitions), clusters: labels };
}

function* asmiPlan(X: Matrix, ref: ParsedReference, o: AsmiResolved): Plan<MutualInformationResult> {
  const { labels, plan } = yield* clusterSubsets(X, ref, o, 'adjacencySpectralMutualInformation');
  if (o.useKnn) {
    const smallest = plan.subsets.reduce((a, s) => Math.min(a, s.length), Infinity);
    if (smallest < o.knn)
      throw new DseError(
        'ERR_DSE_OPTION',
        `Expected every cluster to have at least knn = ${o.knn} rows for the kNN adjacency but the smallest has ` +
          `${smallest}` +
          ' (the Python reference fails here too). Use fewer clusters or a smaller knn.',
      );
  }
  if (zeroByConstruction(plan, X.rows, o.method === 'slq')) return { value: 0, clusters: labels };
  if (o.method === 'slq') {
    const kind = o.anisotropic ? KernelCode.Anisotropic : KernelCode.Gaussian;
    const estimates = yield* slqEntropies(X, plan.subsets, kind, o.gaussianKernelSigma, 1, o.slq, o.randomSeed);
    return {
      value: combine(
        plan,
        estimates.map((r) => r.value),
        o.numRepetitions,
      ),
      clusters: labels,
    };
  }
  const results = yield* spectra(
    X,
    plan.subsets,
    nativeOptions(aseKernel(o), o.gaussianKernelSigma, o.knn, o.precision),
  );
  const entropies = results.map((r) => entropyBits(probabilitiesFromEigenvalues(r, 1, 'the adjacency eigenvalues')));
  return { value: combine(plan, entropies, o.numRepetitions), clusters: labels };
}

// ---------------------------------------------------------------------------------------------
// Operations: each defined once, its Promise and Sync forms derived (lib/operation.ts)

interface MiInputs {
  X: Matrix;
  ref: ParsedReference;
}

function readMiInputs([X, reference]: [MatrixLike, Reference], _o: unknown, owned: boolean): MiInputs {
  if (owned) return { X: toOwnedMatrix(X, 'X'), ref: ownedReference(parseReference(reference)) };
  return { X: toMatrix(X, 'X'), ref: parseReference(reference) };
}

type Mi<O extends { memoryLimitBytes: number | null }, A> = Operation<
  [X: MatrixLike, reference: Reference],
  O,
  MiInputs,
  MutualInformationResult,
  A
>;
function miOperation<O extends { memoryLimitBytes: number | null }, A>(
  name: string,
  spec: OptionSpec<O>,
  plan: (X: Matrix, ref: ParsedReference, o: O) => Plan<MutualInformationResult>,
): Mi<O, A> {
  return { name, inputs: 2, spec, read: readMiInputs, plan: ({ X, ref }, o) => plan(X, ref, o) };
}
type DsmiOptions = DiffusionSpectralMutualInformationOptions;
type AsmiOptions = AdjacencySpectralMutualInformationOptions;
const DSMI = miOperation<DsmiResolved, DsmiOptions>('diffusionSpectralMutualInformation', DSMI_SPEC, dsmiPlan);
const ASMI = miOperation<AsmiResolved, AsmiOptions>('adjacencySpectralMutualInformation', ASMI_SPEC, asmiPlan);

/**
 * Diffusion Spectral Mutual Information DSMI(X; reference) in bits, the reference's
 * `diffusion_spectral_mutual_information`. `reference` holds one row per row of X: class labels
 * (discrete), continuous scalars (binned into `nClusters`) or vectors (spectral clustering).
 *
 * @example
 * ```ts
 * const { value, clusters } = await diffusionSpectralMutualInformation(Z, labels, { gaussianKernelSigma: 10 });
 * ```
 */
export const diffusionSpectralMutualInformation = promiseForm(DSMI);

/**
 * Synchronous {@link diffusionSpectralMutualInformation}.
 *
 * @example
 * ```ts
 * const { value } = diffusionSpectralMutualInformationSync(Z, new Int32Array(labels));
 * ```
 */
export const diffusionSpectralMutualInformationSync = syncForm(DSMI);

/**
 * Adjacency Spectral Mutual Information (the reference's `adjacency_spectral_mutual_information`):
 * the same recipe with the adjacency spectral entropy (Gaussian, anisotropic or kNN).
 *
 * @example
 * ```ts
 * const { value } = await adjacencySpectralMutualInformation(Z, labels, { useKnn: true });
 * ```
 */
export const adjacencySpectralMutualInformation = promiseForm(ASMI);

/**
 * Synchronous {@link adjacencySpectralMutualInformation}.
 *
 * @example
 * ```ts
 * const { value } = adjacencySpectralMutualInformationSync(Z, labels, { anisotropic: true });
 * ```
 */
export const adjacencySpectralMutualInformationSync = syncForm(ASMI);
