// SPDX-License-Identifier: MIT
/**
 * IEEE 754 binary16 ("half", numpy's `float16`) conversions.
 *
 * `float64ToFloat16Bits` rounds a double straight to the nearest half with ties to
 * even, exactly like numpy's `np.float64(x).astype(np.float16)`: there is no detour
 * through float32 (which would round twice), subnormal halves are produced, values at
 * or above 65520 in magnitude become infinities, NaN stays NaN (keeping its sign and
 * the top bits of its payload) and the sign of zero is kept.
 */

import { DseError, describe } from '../errors';
import { LITTLE_ENDIAN_HOST } from './endian';

// Scratch views over one 8-byte buffer, to read and write the bits of a double.
const scratch = new ArrayBuffer(8);
const scratchF64 = new Float64Array(scratch);
const scratchU32 = new Uint32Array(scratch);
const HI = LITTLE_ENDIAN_HOST ? 1 : 0;
const LO = LITTLE_ENDIAN_HOST ? 0 : 1;

/** 2^k for integer k in the normal double range, exact. */
function pow2(k: number): number {
  return 2 ** k;
}

/** Rounds a non-negative double to an integer, ties to even. */
function roundHalfEven(q: number): number {
  const f = Math.floor(q);
  const diff = q - f; // exact: q < 2^53
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Converts a double to the bit pattern (0..65535) of the nearest IEEE half, rounding
 * ties to even; bit-identical to numpy's `np.float64(x).astype(np.float16).view(np.uint16)`.
 *
 * @param x - any number (NaN, infinities and -0 included)
 * @returns the 16-bit pattern as an integer in 0..65535
 * @example
 * ```ts
 * float64ToFloat16Bits(1);      // 0x3c00
 * float64ToFloat16Bits(65520);  // 0x7c00 (rounds to +Infinity)
 * float64ToFloat16Bits(-0);     // 0x8000
 * ```
 */
export function float64ToFloat16Bits(x: number): number {
  if (typeof x !== 'number') {
    throw new DseError('ERR_DSE_TYPE', `Expected a number for x but received ${describe(x)}`);
  }
  scratchF64[0] = x;
  const hi = scratchU32[HI];
  const sign = (hi >>> 16) & 0x8000;
  const exp = (hi >>> 20) & 0x7ff;
  if (exp === 0x7ff) {
    const mantHi = hi & 0xfffff;
    const lo = scratchU32[LO];
    if (mantHi === 0 && lo === 0) return sign | 0x7c00; // +-Infinity
    // NaN: keep the sign and the top 10 payload bits; never turn it into an infinity.
    const payload = mantHi >>> 10;
    return sign | 0x7c00 | (payload === 0 ? 1 : payload);
  }
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // halfway to 2^16 and above round to infinity
  if (a < 2 ** -14) {
    // Subnormal half (or zero): an integer count of 2^-24 units. Scaling up by a power of
    // two is exact, so the only rounding is the final ties-to-even one. A result of 1024
    // is the bit pattern of the smallest normal half, which is what it should be.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  const e = exp - 1023; // a >= 2^-14 is a normal double, so this is floor(log2(a))
  const r = roundHalfEven(a * pow2(10 - e)); // in [1024, 2048]
  // A carry (r === 2048) moves into the exponent field, giving the next binade (or +inf).
  return sign | (((e + 15) << 10) + (r - 1024));
}

// Doubles for every half pattern, built once on first use.
let halfTable: Float64Array | undefined;

function buildHalfTable(): Float64Array {
  const table = new Float64Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = decodeHalf(h);
  return table;
}

function decodeHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) {
    if (mant === 0) return sign * Infinity;
    // A NaN carrying the half's sign and payload in the top mantissa bits of the double
    // (what numpy produces). JavaScript engines may canonicalise NaN payloads later on.
    scratchU32[HI] = ((h & 0x8000) << 16) | 0x7ff00000 | (mant << 10);
    scratchU32[LO] = 0;
    return scratchF64[0];
  }
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/**
 * Converts a half bit pattern (0..65535) to the double it represents (exact).
 *
 * @param h - the 16-bit pattern, an integer in 0..65535
 * @returns the value as a number (NaN patterns give NaN)
 * @example
 * ```ts
 * float16BitsToFloat64(0x3c00); // 1
 * float16BitsToFloat64(0x0001); // 5.960464477539063e-8 (2^-24)
 * ```
 */
export function float16BitsToFloat64(h: number): number {
  if (typeof h !== 'number' || !Number.isInteger(h) || h < 0 || h > 0xffff) {
    throw new DseError('ERR_DSE_TYPE', `Expected an integer in 0..65535 for h but received ${describe(h)}`);
  }
  return decodeHalf(h);
}

/**
 * Internal: the shared lookup table of all 65536 halves as doubles (built on first use).
 *
 * @example
 * ```ts
 * float16Table()[0x3c00]; // 1
 * ```
 */
export function float16Table(): Float64Array {
  if (!halfTable) halfTable = buildHalfTable();
  return halfTable;
}

function checkSource(src: ArrayLike<number>, name: string): void {
  if (src === null || typeof src !== 'object' || typeof (src as { length?: unknown }).length !== 'number') {
    throw new DseError('ERR_DSE_TYPE', `Expected an array or typed array of numbers for ${name} but received ${describe(src)}`);
  }
}

/**
 * Encodes numbers as half bit patterns (round to nearest, ties to even), like
 * `np.asarray(src, np.float64).astype(np.float16).view(np.uint16)`.
 *
 * @param src - numbers to encode
 * @returns one 16-bit pattern per input value
 * @example
 * ```ts
 * encodeFloat16([1, -2, 0.1]); // Uint16Array [0x3c00, 0xc000, 0x2e66]
 * ```
 */
export function encodeFloat16(src: ArrayLike<number>): Uint16Array {
  checkSource(src, 'src');
  const n = src.length;
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const v = src[i];
    if (typeof v !== 'number') {
      throw new DseError('ERR_DSE_TYPE', `Expected a number for src[${i}] but received ${describe(v)}`);
    }
    out[i] = float64ToFloat16Bits(v);
  }
  return out;
}

/**
 * Rounds each value to the nearest half and back, i.e. the values a float16 array
 * would hold: `np.asarray(src, np.float64).astype(np.float16).astype(np.float64)`.
 *
 * @param src - numbers to round
 * @returns the rounded values as doubles
 * @example
 * ```ts
 * roundToFloat16([0.1, 70000]); // Float64Array [0.0999755859375, Infinity]
 * ```
 */
export function roundToFloat16(src: ArrayLike<number>): Float64Array {
  const bits = encodeFloat16(src);
  const table = float16Table();
  const out = new Float64Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}
