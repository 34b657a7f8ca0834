// SPDX-License-Identifier: MIT
/**
 * The options of the entropy and mutual-information functions: their types (each maps to the
 * reference's keyword in snake_case) and their rules and defaults (the `*_SPEC` objects), the one
 * place they are set.
 */
import { cachePathOption, savePrecisionOption, type EigvalSavePrecision } from './cache';
import type { AsyncOptions } from './plan';
import { invalid } from './errors';
import { METHOD_SPEC, type Method, type SlqOptions } from './slq';
import {
  positiveNumber,
  nonNegativeNumber,
  integerAtLeast,
  integerAtLeastOrNull,
  boolean,
  seed,
  oneOf,
  memoryLimit,
  type OptionRule,
  type OptionSpec,
  type Parsed,
} from './validate';

/** Working precision of the kernel and the eigensolver. */
export type Precision = 'float64' | 'float32';

/** Options every entropy and mutual-information function takes. */
export interface KernelOptions {
  /** `gaussian_kernel_sigma`: bandwidth of the Gaussian kernel. Default 10. */
  gaussianKernelSigma?: number;
  /** `random_seed`: seed for the subsample and the random subsets (number or bigint). Default 0; `null` = unseeded. */
  randomSeed?: number | bigint | null;
  /** `verbose`: print progress to stderr. Default false. */
  verbose?: boolean;
  /**
   * Not in the reference: `'float32'` runs the kernel and the eigensolver in single precision,
   * except for rows taking at most 64 distinct values (a collapsed layer, in X or a DSMI/ASMI
   * subset; not kNN), which are computed in float64 and counted so by the memory guard.
   * Default `'float64'`.
   */
  precision?: Precision;
  /** Not in the reference: bytes this call may use; above, it fails with ERR_DSE_MEMORY. Default: setMemoryLimit's (80% of the machine). */
  memoryLimitBytes?: number | null;
  /**
   * Not in the reference: `'exact'` (the eigendecomposition, default) or `'slq'` (stochastic
   * Lanczos quadrature: no eigendecomposition, K in float32, for large N; an estimate with a
   * standard error, see the `...Detailed` functions and docs/performance.md). Probes are seeded
   * by `randomSeed`.
   */
  method?: Method;
  /** Not in the reference: tuning of `method: 'slq'` (probes, lanczosSteps, blockSize, blockIterations). */
  slq?: SlqOptions;
}

/** Options of the entropy functions (not the mutual information): the subsample and the eigenvalue cache. */
export interface EntropyOptions extends KernelOptions {
  /** `max_N`: rows above this are subsampled with Python's `random.sample`. Default 10000; `null` = no limit. */
  maxN?: number | null;
  /**
   * `eigval_save_path`: a .npz eigenvalue cache. If the file exists its eigenvalues are used (X may
   * then be null; a given X is checked against the file's fingerprint); otherwise they are
   * computed, rounded to `eigvalSavePrecision` and saved there. Default null (no cache).
   */
  eigvalSavePath?: string | null;
  /** `eigval_save_precision`: element type of the saved eigenvalues. Default `'float16'`. */
  eigvalSavePrecision?: EigvalSavePrecision;
}

/** The diffusion entropy's own options (DSE and DSMI). */
export interface DiffusionOptions {
  /** `t`: power of the diffusion eigenvalues (diffusion time). Default 1. */
  t?: number;
  /** `classic_shannon_entropy`: histogram entropy of the binned vectors instead of DSE (CSE, CSMI). Default false. */
  classicShannonEntropy?: boolean;
  /** `matrix_entry_entropy`: entropy of the diffusion matrix's entries instead of its eigenvalues. Default false. */
  matrixEntryEntropy?: boolean;
  /** `num_bins_per_dim`: bins per dimension for the classic Shannon entropy (>= 1; any number costs the same). Default 2. */
  numBinsPerDim?: number;
  /**
   * `chebyshev_approx`: estimate the eigenvalues from Chebyshev moments (50 moments, 100 Rademacher
   * probes seeded by `randomSeed`, kernel entries below 1e-3 zeroed) instead of computing them.
   * Not recommended, as in the reference: see README. Always float64. Default false.
   */
  chebyshevApprox?: boolean;
}

/** The adjacency entropy's own options (ASE and ASMI). */
export interface AdjacencyOptions {
  /** `anisotropic`: use the normalised kernel D^-1/2 G D^-1/2. Default false. */
  anisotropic?: boolean;
  /** `use_knn`: binarised kNN adjacency (ignores sigma). Default false. */
  useKnn?: boolean;
  /** `knn`: neighbours per row, self included (the reference's MI always uses 10). Default 10. */
  knn?: number;
}

/** Options of the mutual-information functions. */
export interface MutualInformationOptions extends KernelOptions {
  /** `reference_discrete`: treat the reference as labels. Default: inferred (one column of integers). */
  referenceDiscrete?: boolean | null;
  /** `num_repetitions`: random subsets per cluster for the unconditional entropy (>= 1). Default 5. */
  numRepetitions?: number;
  /** `n_clusters`: clusters for a continuous reference. Default 10. */
  nClusters?: number;
  /** `precomputed_clusters`: one integer label per row, used instead of binning/clustering a continuous reference. */
  precomputedClusters?: ArrayLike<number> | BigInt64Array | BigUint64Array | null;
}

/**
 * Options of {@link diffusionSpectralEntropy}; each maps to the Python keyword in snake_case. The
 * Promise forms also take `signal` and `onProgress`; the Sync forms take {@link DiffusionSpectralEntropySyncOptions}.
 */
export interface DiffusionSpectralEntropyOptions extends EntropyOptions, DiffusionOptions, AsyncOptions {}

/** Options of {@link diffusionSpectralEntropySync}: those of the Promise form but `signal` and `onProgress`. */
export type DiffusionSpectralEntropySyncOptions = Omit<DiffusionSpectralEntropyOptions, keyof AsyncOptions>;

/** Options of {@link adjacencySpectralEntropy}. */
export interface AdjacencySpectralEntropyOptions extends EntropyOptions, AdjacencyOptions, AsyncOptions {}

/** Options of {@link adjacencySpectralEntropySync}: those of the Promise form but `signal` and `onProgress`. */
export type AdjacencySpectralEntropySyncOptions = Omit<AdjacencySpectralEntropyOptions, keyof AsyncOptions>;

/** Options of {@link diffusionSpectralMutualInformation}. */
export interface DiffusionSpectralMutualInformationOptions extends MutualInformationOptions, DiffusionOptions, AsyncOptions {}

/** Options of {@link diffusionSpectralMutualInformationSync}: those of the Promise form but `signal` and `onProgress`. */
export type DiffusionSpectralMutualInformationSyncOptions = Omit<DiffusionSpectralMutualInformationOptions, keyof AsyncOptions>;

/** Options of {@link adjacencySpectralMutualInformation}. */
export interface AdjacencySpectralMutualInformationOptions extends MutualInformationOptions, AdjacencyOptions, AsyncOptions {}

/** Options of {@link adjacencySpectralMutualInformationSync}: those of the Promise form but `signal` and `onProgress`. */
export type AdjacencySpectralMutualInformationSyncOptions = Omit<AdjacencySpectralMutualInformationOptions, keyof AsyncOptions>;

/** Options of {@link diffusionEigenvalues}. */
export interface DiffusionEigenvaluesOptions extends AsyncOptions {
  /** Bandwidth of the Gaussian kernel. Default 10. */
  gaussianKernelSigma?: number;
  /** Working precision. Default `'float64'`. */
  precision?: Precision;
  /** Bytes this call may use. Default: setMemoryLimit's. */
  memoryLimitBytes?: number | null;
}

/** Options of {@link diffusionEigenvaluesSync}: those of the Promise form but `signal` and `onProgress`. */
export type DiffusionEigenvaluesSyncOptions = Omit<DiffusionEigenvaluesOptions, keyof AsyncOptions>;

export type Resolved<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

// ---------------------------------------------------------------------------------------------
// The rules and defaults

export const KERNEL_SPEC = {
  gaussianKernelSigma: positiveNumber(10),
  randomSeed: seed(0),
  verbose: boolean(false),
  precision: oneOf<Precision>('float64', ['float64', 'float32']),
  memoryLimitBytes: memoryLimit(),
  ...METHOD_SPEC,
};

const ENTROPY_SPEC = {
  ...KERNEL_SPEC,
  maxN: integerAtLeastOrNull(10000, 1),
  eigvalSavePath: cachePathOption,
  eigvalSavePrecision: savePrecisionOption,
};

const DIFFUSION_SPEC = {
  t: nonNegativeNumber(1),
  classicShannonEntropy: boolean(false),
  matrixEntryEntropy: boolean(false),
  numBinsPerDim: integerAtLeast(2, 1),
  chebyshevApprox: boolean(false),
};

const ADJACENCY_SPEC = {
  anisotropic: boolean(false),
  useKnn: boolean(false),
  knn: integerAtLeast(10, 1),
};

const nullableBoolean: OptionRule<boolean | null> = {
  default: null,
  parse(v, name) {
    if (v === null || typeof v === 'boolean') return v;
    throw invalid('ERR_DSE_OPTION', name, 'true, false or null (inferred)', v);
  },
};

const labelsOption: OptionRule<ArrayLike<number> | null> = {
  default: null,
  parse(v, name) {
    if (v === null) return null;
    if (typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number')
      throw invalid('ERR_DSE_OPTION', name, 'an array of integer labels, one per row', v);
    // A copy: the caller may reuse or transfer its array while an async call runs.
    return Array.from(v as ArrayLike<number>);
  },
};

// No maxN and no eigenvalue cache: the reference's MI functions take neither.
const MI_SPEC = {
  ...KERNEL_SPEC,
  referenceDiscrete: nullableBoolean,
  numRepetitions: integerAtLeast(5, 1),
  nClusters: integerAtLeast(10, 1),
  precomputedClusters: labelsOption,
};

export const DSE_SPEC: OptionSpec<Resolved<DiffusionSpectralEntropySyncOptions>> = { ...ENTROPY_SPEC, ...DIFFUSION_SPEC };
export const ASE_SPEC: OptionSpec<Resolved<AdjacencySpectralEntropySyncOptions>> = { ...ENTROPY_SPEC, ...ADJACENCY_SPEC };
export const DSMI_SPEC = { ...MI_SPEC, ...DIFFUSION_SPEC };
export const ASMI_SPEC = { ...MI_SPEC, ...ADJACENCY_SPEC };

export type DseResolved = Parsed<typeof DSE_SPEC>;
export type AseResolved = Parsed<typeof ASE_SPEC>;
export type DsmiResolved = Parsed<typeof DSMI_SPEC>;
export type AsmiResolved = Parsed<typeof ASMI_SPEC>;
