// SPDX-License-Identifier: MIT
/**
 * `method: 'slq'`: the spectral entropy of a large kernel without its eigendecomposition, by
 * stochastic Lanczos quadrature with exact deflation of the top of the spectrum
 * (native/core/slq.h; docs/internals/slq.md). This module holds the
 * option rules, the native request and the result types; the public functions that take
 * `method` live in entropy.ts and mi.ts. It imports nothing from them (no import cycle).
 */
import { probeSeed } from './random';
import { DseError, describe, markOptionValue } from './errors';
import { KernelCode, type NativeSlqOptions } from './native';
import { slqEstimates, type NativeRequest, type NativeResult } from './plan';
import { oneOf, type Matrix, type OptionRule } from './validate';

/** How the eigenvalue entropy is computed: `'exact'` (eigendecomposition, the default) or `'slq'`. */
export type Method = 'exact' | 'slq';

/** Tuning of `method: 'slq'` (all optional). */
export interface SlqOptions {
  /** Probe vectors (>= 4). More probes: error ~ 1/sqrt(probes), time ~ probes. Default 16. */
  probes?: number;
  /** Lanczos steps per probe (>= 2): the Gauss quadrature's nodes. Default 16. */
  lanczosSteps?: number;
  /** Columns of the block Krylov space that finds the top eigenpairs to deflate (0: no deflation). Default 32. */
  blockSize?: number;
  /** Products with K that build that space (0: no deflation). Default 6. */
  blockIterations?: number;
}

/** The defaults of {@link SlqOptions}. */
export const SLQ_DEFAULTS: Readonly<Required<SlqOptions>> = Object.freeze({
  probes: 16,
  lanczosSteps: 16,
  blockSize: 32,
  blockIterations: 6,
});

/** What the `...Detailed` functions return. */
export interface EntropyEstimate {
  /** The entropy in bits (what the plain function returns). */
  value: number;
  /**
   * One standard error of `value` in bits: 0 for `'exact'` (exact up to rounding); for `'slq'`
   * the probe-to-probe (jackknife) standard error combined with the quadrature truncation
   * estimate and the deterministic allowances (deflation residuals, float32 kernel). The exact
   * value lies within +-2 standardError in >= 90% of seeds (test/slq.test.ts). NaN for
   * `chebyshevApprox` (the reference's mode has no error estimate).
   */
  standardError: number;
  /** How the eigenvalue part was computed. */
  method: 'exact' | 'slq' | 'chebyshev';
  /** Rows used (after the `maxN` subsample). */
  n: number;
  /** Wall-clock seconds of the whole call. */
  seconds: number;
  /** `'slq'` only: the parts of the error and the work done. */
  slq?: SlqDiagnostics;
}

/** Diagnostics of one `'slq'` estimate. */
export interface SlqDiagnostics {
  /** Jackknife standard error over the probes (bits). */
  probeError: number;
  /** Quadrature truncation estimate |H(lanczosSteps) - H(lanczosSteps / 2)| / 2 (bits). */
  quadratureError: number;
  /** Deterministic allowances: deflated pairs' residuals and the float32 kernel (bits). */
  systematicError: number;
  /** Eigenpairs deflated (contributing exactly). */
  deflated: number;
  probes: number;
  lanczosSteps: number;
  /** Seconds spent building the kernel, deflating, and in the Lanczos stage. */
  stageSeconds: { kernel: number; deflation: number; lanczos: number };
}

/** One subset's estimate, as the plans use it (EntropyEstimate without method and seconds). */
export interface SlqResult {
  value: number;
  standardError: number;
  n: number;
  slq: SlqDiagnostics;
}

// ---------------------------------------------------------------------------------------------
// Options

/** The `method` option. */
export const methodOption = (): OptionRule<Method> => oneOf<Method>('exact', ['exact', 'slq']);

function count(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw new DseError('ERR_DSE_OPTION', `Expected an integer from ${min} to ${max} for slq.${name} but received ${describe(v)}`);
  return v;
}

/** The `slq` option: an object of {@link SlqOptions}, every field optional; null = defaults. */
export const slqOption = (): OptionRule<Required<SlqOptions>> => ({
  default: { ...SLQ_DEFAULTS },
  parse(v, name) {
    if (v === null) return { ...SLQ_DEFAULTS };
    if (typeof v !== 'object' || Array.isArray(v))
      throw new DseError(
        'ERR_DSE_OPTION',
        `Expected an object { probes?, lanczosSteps?, blockSize?, blockIterations? } for ${name} but received ${describe(v)}`,
      );
    const o = v as Record<string, unknown>;
    for (const key of Object.keys(o))
      if (!(key in SLQ_DEFAULTS))
        throw new DseError('ERR_DSE_OPTION', `Unknown option "${name}.${key}". Known: ${Object.keys(SLQ_DEFAULTS).join(', ')}`);
    const pick = (key: keyof SlqOptions, min: number, max: number) =>
      o[key] === undefined ? SLQ_DEFAULTS[key] : count(o[key], key, min, max);
    return {
      probes: pick('probes', 4, 4096),
      lanczosSteps: pick('lanczosSteps', 2, 1000),
      blockSize: pick('blockSize', 0, 4096),
      blockIterations: pick('blockIterations', 0, 100),
    };
  },
});

/** The option rules every function with `method` adds to its spec. */
export const METHOD_SPEC = { method: methodOption(), slq: slqOption() };

/**
 * Refuses option combinations that method 'slq' cannot honour. `o` is a function's resolved
 * options (only the fields it has are checked).
 */
export function checkSlqCombination(
  o: {
    method: Method;
    classicShannonEntropy?: boolean;
    matrixEntryEntropy?: boolean;
    chebyshevApprox?: boolean;
    eigvalSavePath?: string | null;
    useKnn?: boolean;
  },
  fn: string,
): void {
  if (o.method !== 'slq') return;
  const conflict = (option: string, why: string) =>
    markOptionValue(new DseError('ERR_DSE_OPTION', `Expected method 'exact' with ${option} in ${fn} but received method 'slq': ${why}`));
  if (o.useKnn)
    throw conflict(
      'useKnn',
      "the kNN adjacency is not symmetric (its eigenvalues are those of a general matrix), and 'slq' needs a symmetric kernel. Use the Gaussian or anisotropic kernel, or method 'exact'",
    );
  if (o.classicShannonEntropy) throw conflict('classicShannonEntropy', 'the classic Shannon entropy uses no eigenvalues');
  if (o.matrixEntryEntropy) throw conflict('matrixEntryEntropy', 'the matrix-entry entropy uses no eigenvalues');
  if (o.chebyshevApprox) throw conflict('chebyshevApprox', 'it is another approximation of the same spectrum; pick one');
  if (o.eigvalSavePath !== undefined && o.eigvalSavePath !== null)
    throw conflict('eigvalSavePath', "'slq' never computes the eigenvalues, so there is nothing to cache");
}

/** Kernel codes 'slq' accepts (the symmetric ones). */
export type SlqKernel = KernelCode.Diffusion | KernelCode.Gaussian | KernelCode.Anisotropic;

export function slqNativeOptions(kind: SlqKernel, sigma: number, t: number, options: SlqOptions, randomSeed: number | bigint | null): NativeSlqOptions {
  const o = { ...SLQ_DEFAULTS, ...options };
  const s = probeSeed(randomSeed);
  return {
    kind: kind as 0 | 1 | 2,
    sigma,
    t,
    probes: o.probes,
    steps: o.lanczosSteps,
    blockSize: o.blockSize,
    blockIterations: o.blockIterations,
    seedHi: Number(s >> 32n),
    seedLo: Number(s & 0xffffffffn),
  };
}

function decode(r: Float64Array, o: Required<SlqOptions>): SlqResult {
  return {
    value: r[0],
    standardError: r[1],
    n: r[5],
    slq: {
      probeError: r[2],
      quadratureError: r[3],
      systematicError: r[9],
      deflated: r[4],
      probes: o.probes,
      lanczosSteps: o.lanczosSteps,
      stageSeconds: { kernel: r[6], deflation: r[7], lanczos: r[8] },
    },
  };
}

/**
 * Inside a plan: the 'slq' entropy estimate (bits) of |eigenvalue|^t of the symmetric kernel of
 * each subset of the rows of X (null: all rows), one native batch.
 */
export function* slqEntropies(
  X: Matrix,
  subsets: Int32Array[] | null,
  kind: SlqKernel,
  sigma: number,
  t: number,
  options: SlqOptions,
  randomSeed: number | bigint | null,
): Generator<NativeRequest, SlqResult[], NativeResult> {
  const o = { ...SLQ_DEFAULTS, ...options };
  const raw = yield* slqEstimates(X, subsets, slqNativeOptions(kind, sigma, t, o, randomSeed));
  return raw.map((r) => decode(r, o));
}
