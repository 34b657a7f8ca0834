// SPDX-License-Identifier: MIT
/** Parsers of flag values: a bad value is a usage error naming the flag (commander prints it). */
import { InvalidArgumentError } from 'commander';

/**
 * A finite number > 0.
 *
 * @example
 * ```ts
 * positive('2.5'); // 2.5
 * ```
 */
/** A decimal number as written on a command line (`2`, `-0.5`, `1e-3`); not hex, binary or `Infinity`. */
function decimal(value: string): number {
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
}

export function positive(value: string): number {
  const v = decimal(value);
  if (!Number.isFinite(v) || !(v > 0)) throw new InvalidArgumentError('Expected a number > 0.');
  return v;
}

/**
 * A finite number >= 0.
 *
 * @example
 * ```ts
 * nonNegative('0'); // 0
 * ```
 */
export function nonNegative(value: string): number {
  const v = decimal(value);
  if (!Number.isFinite(v) || v < 0) throw new InvalidArgumentError('Expected a number >= 0.');
  return v;
}

/**
 * An integer >= 1.
 *
 * @example
 * ```ts
 * count('10'); // 10
 * ```
 */
export function count(value: string): number {
  if (!/^\s*\+?\d+\s*$/.test(value)) throw new InvalidArgumentError('Expected an integer >= 1.');
  const v = Number(value);
  if (!Number.isSafeInteger(v) || v < 1) throw new InvalidArgumentError('Expected an integer >= 1.');
  return v;
}

/** What `none` parses to (commander turns a parser's null into ''), see {@link orNull}. */
export type None = 'none';

/**
 * A parsed `none` as null, anything else as it is.
 *
 * @example
 * ```ts
 * orNull(countOrNone('none')); // null
 * ```
 */
export function orNull<T>(value: T | None): T | null {
  return value === 'none' ? null : value;
}

/**
 * An integer >= 1, or `none` for no limit.
 *
 * @example
 * ```ts
 * countOrNone('none'); // 'none'
 * ```
 */
export function countOrNone(value: string): number | None {
  if (value.trim().toLowerCase() === 'none') return 'none';
  if (!/^\s*\+?\d+\s*$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < 1)
    throw new InvalidArgumentError('Expected an integer >= 1 or "none".');
  return Number(value);
}

/**
 * A random seed: an integer (a bigint beyond 2^53), or `none` for unseeded.
 *
 * @example
 * ```ts
 * seedValue('7'); // 7
 * ```
 */
export function seedValue(value: string): number | bigint | None {
  const s = value.trim();
  if (s.toLowerCase() === 'none') return 'none';
  if (!/^[+-]?\d+$/.test(s)) throw new InvalidArgumentError('Expected an integer or "none".');
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}
