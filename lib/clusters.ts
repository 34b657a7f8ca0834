// SPDX-License-Identifier: MIT
/**
 * The reference's step 1 of DSMI: from the reference values (labels, scalars or vectors) to one
 * cluster label per row. Discrete labels are used as they are; continuous scalars are min-max
 * binned as numpy's `digitize` does; vectors go through spectral clustering (native).
 */
import { types } from 'util';
import { DseError, invalid, raw } from './errors';
import { cluster, type AsyncOptions } from './plan';
import { promiseForm, syncForm, type Operation } from './operation';
import {
  toMatrix,
  integerAtLeast,
  isFloatArray,
  isShapedArray,
  tensorValues,
  isTensorLike,
  memoryLimit,
  adopt,
  ownedMatrix,
  toOwnedMatrix,
  typeName,
  type Matrix,
  type MatrixLike,
  type Parsed,
} from './validate';

/** What DSMI accepts as the reference: a matrix [N, D'] or one value per row. */
export type Reference = MatrixLike | ArrayLike<number> | BigInt64Array | BigUint64Array;

/** The reference as a float64 matrix, with what numpy would call its dtype kind. */
export interface ParsedReference {
  values: Matrix;
  /** numpy would see an integer dtype: integer typed arrays, or plain numbers that are all integers. */
  integer: boolean;
  /** One value per row as given (bigints kept exact), for a reference of one column. */
  column?: ArrayLike<number | bigint>;
}

const INTEGER_ARRAYS = new Set([
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
]);

function column(values: ArrayLike<number | bigint>, name: string, integerTyped: boolean): ParsedReference {
  const n = values.length;
  if (n === 0) throw invalid('ERR_DSE_SHAPE', name, 'one value per row of X', raw('an empty array'));
  const data = adopt(new Float64Array(n));
  let allIntegers = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    let x: number;
    if (typeof v === 'bigint') {
      x = Number(v);
    } else if (typeof v === 'number') {
      x = v;
    } else {
      throw invalid('ERR_DSE_TYPE', `${name}[${i}]`, 'a number', v);
    }
    if (!Number.isFinite(x))
      throw new DseError('ERR_DSE_NON_FINITE', `Expected finite numbers in ${name} but received ${x} at index ${i}`);
    if (allIntegers && !Number.isInteger(x)) allIntegers = false;
    data[i] = x;
  }
  return {
    values: { data, rows: n, cols: 1 },
    integer: integerTyped || (allIntegers && !isFloatArray(values)),
    column: values,
  };
}

/** Reads the reference argument of DSMI/ASMI. */
export function parseReference(reference: unknown, name = 'reference'): ParsedReference {
  if (reference === null || reference === undefined || typeof reference !== 'object')
    throw invalid('ERR_DSE_TYPE', name, "labels (an array or typed array), or a matrix [N, D']", reference);
  const t = typeName(reference);
  if (INTEGER_ARRAYS.has(t)) return column(reference as ArrayLike<number | bigint>, name, true);
  if (t === 'Float64Array' || t === 'Float32Array') return column(reference as ArrayLike<number>, name, false);
  if (Array.isArray(reference)) {
    if (reference.length > 0 && (Array.isArray(reference[0]) || ArrayBuffer.isView(reference[0]))) {
      const m = toMatrix(reference, name);
      // A list of integer lists is an integer array to numpy.
      let integer = true;
      for (let i = 0; i < m.data.length && integer; i++) integer = Number.isInteger(m.data[i]);
      return { values: m, integer };
    }
    return column(reference as unknown[] as number[], name, false);
  }
  const tensor = isTensorLike(reference);
  if (tensor || isShapedArray(reference)) {
    const values = tensor ? tensorValues(reference, name) : reference.data;
    const integer = INTEGER_ARRAYS.has(typeName(values));
    if (reference.shape.length === 1) {
      const where = tensor ? `${name}.dataSync()` : `${name}.data`;
      if (!Array.isArray(values) && !types.isTypedArray(values))
        throw invalid('ERR_DSE_TYPE', where, 'a typed array or an array of numbers', values);
      if (values.length !== reference.shape[0])
        throw invalid(
          'ERR_DSE_SHAPE',
          where,
          `${String(reference.shape[0])} values (${name}.shape)`,
          raw(`${values.length}`),
        );
      return column(values as ArrayLike<number>, name, integer);
    }
    // The values read above, not a second dataSync() (a tensor may copy them from a GPU).
    const read = tensor ? { shape: reference.shape, dataSync: () => values } : reference;
    return { values: toMatrix(read, name), integer };
  }
  return { values: toMatrix(reference, name), integer: false };
}

/** The reference on memory no caller holds (async entry points: see ownedMatrix). */
export function ownedReference(ref: ParsedReference): ParsedReference {
  return { values: ownedMatrix(ref.values), integer: ref.integer };
}

/**
 * Labels given by the caller (discrete references, precomputed clusters): integers in the
 * int32 range, one per row.
 */
export function integerLabels(values: ArrayLike<number | bigint>, name: string, why: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const given = values[i];
    // int64 labels (readNpy's BigInt64Array for numpy's default integers) within int32 are fine.
    const v = typeof given === 'bigint' && given >= -(2n ** 31n) && given < 2n ** 31n ? Number(given) : given;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
      throw invalid('ERR_DSE_TYPE', `${name}[${i}]`, `an integer label in the int32 range (${why})`, v);
    out[i] = v;
  }
  return out;
}

/**
 * Discrete reference values -> one class per distinct value, as the reference takes them (any
 * distinct values, integers of any size or not). Labels that are all int32 integers are kept as
 * they are; otherwise class k is the k-th smallest distinct value (0-based).
 */
export function classLabels(values: ArrayLike<number | bigint>): Int32Array {
  const n = values.length;
  const out = new Int32Array(n);
  let int32 = true;
  for (let i = 0; i < n && int32; i++) {
    const v = values[i];
    int32 =
      typeof v === 'number'
        ? Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31
        : v >= -(2n ** 31n) && v < 2n ** 31n;
    if (int32) out[i] = Number(v);
  }
  if (int32) return out;
  const distinct = [...new Set(Array.from(values))]; // SameValueZero: -0 and 0 are one class
  distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(distinct.map((v, k) => [v, k]));
  for (let i = 0; i < n; i++) out[i] = index.get(values[i])!;
  return out;
}

/**
 * Continuous scalars -> bins 1..nClusters: min-max scale, then numpy's
 * `digitize(v, linspace(0, 1, nClusters + 1)[:-1])`. A constant reference (0/0 in the reference,
 * which digitize puts past the last edge) puts every row in bin nClusters.
 */
export function binScalars(values: ArrayLike<number>, nClusters: number): Int32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < lo) lo = values[i];
    if (values[i] > hi) hi = values[i];
  }
  const range = hi - lo;
  const step = 1 / nClusters;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    if (!(range > 0)) {
      out[i] = nClusters;
      continue;
    }
    const v = (values[i] - lo) / range;
    let k = 0; // the number of edges k * step (k < nClusters) <= v, by bisection
    let hi = nClusters;
    while (k < hi) {
      const mid = Math.floor((k + hi) / 2);
      if (mid * step <= v) k = mid + 1;
      else hi = mid;
    }
    out[i] = k;
  }
  return out;
}

/**
 * Two labelings describe the same partition (labels may be permuted).
 *
 * @example
 * ```ts
 * samePartition([1, 1, 2], [5, 5, 0]); // true
 * ```
 */
export function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (ab.has(x) && ab.get(x) !== y) return false;
    if (ba.has(y) && ba.get(y) !== x) return false;
    ab.set(x, y);
    ba.set(y, x);
  }
  return true;
}

/** Sorted distinct labels with their counts, as `np.unique(labels, return_counts=True)`. */
export function uniqueCounts(labels: Int32Array): { values: number[]; counts: number[] } {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const values = [...counts.keys()].sort((a, b) => a - b);
  return { values, counts: values.map((v) => counts.get(v)!) };
}

/** Options of {@link spectralClustering}. */
export interface SpectralClusteringOptions extends AsyncOptions {
  /** Number of clusters. Default 10. */
  nClusters?: number;
  /** Neighbours of the kNN connectivity graph, self included. Default 10. */
  nNeighbors?: number;
  /** Bytes this call may use. Default: setMemoryLimit's. */
  memoryLimitBytes?: number | null;
}

/** Options of {@link spectralClusteringSync}: those of the Promise form but `signal` and `onProgress`. */
export type SpectralClusteringSyncOptions = Omit<SpectralClusteringOptions, keyof AsyncOptions>;

export const CLUSTER_SPEC = {
  nClusters: integerAtLeast(10, 1),
  nNeighbors: integerAtLeast(10, 1),
  memoryLimitBytes: memoryLimit(),
};

/** Checks nClusters / nNeighbors against the number of rows. */
export function checkClusterSizes(n: number, nClusters: number, nNeighbors: number, what: string): void {
  // scikit-learn's eigensolver needs k < n: it fails for k >= n.
  if (nClusters >= n)
    throw invalid('ERR_DSE_OPTION', 'nClusters', `an integer < the number of rows of ${what} (${n})`, nClusters);
  if (nNeighbors > n)
    throw invalid('ERR_DSE_OPTION', 'nNeighbors', `an integer <= the number of rows of ${what} (${n})`, nNeighbors);
}

function readY([Y]: [MatrixLike], o: Parsed<typeof CLUSTER_SPEC>, owned: boolean): Matrix {
  const m = (owned ? toOwnedMatrix : toMatrix)(Y, 'Y');
  checkClusterSizes(m.rows, o.nClusters, o.nNeighbors, 'Y');
  return m;
}

type ClusterOptions = Parsed<typeof CLUSTER_SPEC>;
const CLUSTERING: Operation<[Y: MatrixLike], ClusterOptions, Matrix, Int32Array, SpectralClusteringOptions> = {
  name: 'spectralClustering',
  inputs: 1,
  spec: CLUSTER_SPEC,
  read: readY,
  plan: (Y, o) => cluster(Y, o.nClusters, o.nNeighbors),
};

/**
 * Spectral clustering of the rows of Y, as scikit-learn's
 * `SpectralClustering(n_clusters, affinity='nearest_neighbors', n_neighbors, assign_labels='cluster_qr',
 * random_state=0)` computes it (the same partition): kNN connectivity graph including self,
 * symmetrised, normalised Laplacian embedding, cluster_qr. Labels 0..nClusters-1.
 *
 * @example
 * ```ts
 * const labels = await spectralClustering(images, { nClusters: 10 });
 * ```
 */
export const spectralClustering = promiseForm(CLUSTERING);

/**
 * Synchronous {@link spectralClustering}.
 *
 * @example
 * ```ts
 * const labels = spectralClusteringSync(Y, { nClusters: 3, nNeighbors: 10 });
 * ```
 */
export const spectralClusteringSync = syncForm(CLUSTERING);
