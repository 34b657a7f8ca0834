// SPDX-License-Identifier: MIT
/**
 * The one error class of the package. Every failure a caller can cause or meet
 * (bad input, a LAPACK failure, an unreadable file) arrives as a `DseError` with a
 * stable `code`; messages name the parameter, what was expected and what arrived.
 */

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export const ERROR_CODES = [
  'ERR_DSE_SHAPE', // matrix sizes or lengths that do not fit
  'ERR_DSE_TYPE', // a value of the wrong JavaScript type
  'ERR_DSE_NON_FINITE', // NaN or +-Infinity where finite numbers are needed
  'ERR_DSE_OPTION', // an option out of range, of the wrong type, or unknown
  'ERR_DSE_MEMORY', // the work would need more memory than allowed / allocation failed
  'ERR_DSE_FORMAT', // a malformed .npy/.npz/.csv file or buffer
  'ERR_DSE_CACHE', // an eigenvalue cache that cannot be read or written
  'ERR_DSE_CACHE_STALE', // an eigenvalue cache made from other data or parameters
  'ERR_DSE_NATIVE', // the native core failed (LAPACK info != 0, ...)
  'ERR_DSE_LOAD', // the native addon could not be loaded
  'ERR_DSE_IO', // a file could not be read or written
  'ERR_DSE_DEPENDENCY', // an optional package the call needs is not installed (vega and vega-lite, for reports)
  'ABORT_ERR', // the call was aborted through its AbortSignal (an AbortError, as Node's own APIs reject)
] as const;

/** One of {@link ERROR_CODES}. */
export type DseErrorCode = (typeof ERROR_CODES)[number];

/**
 * Error thrown (or rejected) by every function of the package.
 *
 * @example
 * ```ts
 * try { diffusionSpectralEntropySync([[1, 2]]); }
 * catch (e) { if (e instanceof DseError) console.log(e.code); } // 'ERR_DSE_SHAPE'
 * ```
 */
export class DseError extends Error {
  /** Stable machine-readable code, e.g. `'ERR_DSE_SHAPE'`. */
  readonly code: DseErrorCode;

  constructor(code: DseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DseError';
    this.code = code;
  }
}

/**
 * The rejection of an aborted call, whichever way it was aborted (`controller.abort()`,
 * `AbortSignal.timeout()`, `AbortSignal.any()`, before or while queued, or while running): a
 * `DseError` with `name: 'AbortError'` and `code: 'ABORT_ERR'`, as Node's own APIs reject
 * (`fs.readFile`, `timers/promises`), and `cause` set to `signal.reason`.
 *
 * @example
 * ```ts
 * try { await diffusionSpectralEntropy(X, { signal: AbortSignal.timeout(100) }); }
 * catch (e) { if (e instanceof AbortError) console.log(e.code, e.cause); } // 'ABORT_ERR', the TimeoutError
 * ```
 */
export class AbortError extends DseError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('ABORT_ERR', message, options);
    this.name = 'AbortError';
  }
}

/** Short, readable description of any value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    return String(value);
  }
  if (typeof value === 'string') {
    const s = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(s);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'boolean' || typeof value === 'symbol') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) {
    const name = Object.prototype.toString.call(value).slice(8, -1);
    return `a ${name} of length ${(value as unknown as { length?: number }).length ?? value.byteLength}`;
  }
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

/**
 * Builds the standard message: `Expected <expected> for <parameter> but received <actual>`.
 * Every validation error of the package goes through here so messages stay uniform.
 */
export function invalid(
  code: DseErrorCode,
  parameter: string,
  expected: string,
  actual: unknown,
  hint?: string,
): DseError {
  const got = typeof actual === 'string' && actual.startsWith('\u0000') ? actual.slice(1) : describe(actual);
  return new DseError(code, `Expected ${expected} for ${parameter} but received ${got}${hint ? `. ${hint}` : ''}`);
}

/** Marks a string as already described, so `invalid` prints it verbatim (e.g. a shape). */
export function raw(text: string): string {
  return `\u0000${text}`;
}

const OPTION_VALUE = Symbol('dse-dsmi.optionValue');

/**
 * Marks `e` as a refusal of an option's value itself (its type, its range, an unknown name, a
 * combination no data could make valid), as opposed to a value that does not fit the data
 * (knn above the number of rows). The CLI exits 1 for the former, as for any bad flag value.
 */
export function markOptionValue(e: DseError): DseError {
  Object.defineProperty(e, OPTION_VALUE, { value: true });
  return e;
}

/** True for an error made by {@link markOptionValue}. */
export function isOptionValueError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[OPTION_VALUE] === true;
}
