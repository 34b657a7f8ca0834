// SPDX-License-Identifier: MIT
/**
 * A bit-for-bit port of the parts of CPython 3's `random` module the package needs:
 * `random.seed(int)`, `getrandbits`, `_randbelow`, `random()` and
 * `random.sample(range(n), k)`. The generator is MT19937 (Matsumoto & Nishimura, 2002
 * reference algorithm: `init_genrand` + `init_by_array`), seeded exactly as CPython
 * seeds it from an integer, so a `randomSeed` given to the Python reference and to this
 * package selects the same rows.
 *
 * Written from the published algorithm descriptions; no CPython source text is used.
 */

import { randomBytes } from 'crypto';
import { DseError, invalid } from './errors';

/** Degree of recurrence (state size in 32-bit words). */
const N = 624;
/** Middle word offset. */
const M = 397;
/** Constant vector a of the twist transformation. */
const MATRIX_A = 0x9908b0df;
/** Most significant bit of a word. */
const UPPER_MASK = 0x80000000;
/** Least significant 31 bits of a word. */
const LOWER_MASK = 0x7fffffff;

const TWO_POW_32 = 4294967296;
const MASK_32_BIG = 0xffffffffn;

/** Largest bit count {@link PythonRandom.getrandbits} can return exactly as a number. */
const MAX_BITS = 53;

/** Seed accepted by {@link PythonRandom} and {@link pythonRandomSample}. */
export type PythonRandomSeed = number | bigint | null;

/** Number of bits of a non-negative safe integer (Python's `int.bit_length()`). */
function bitLength(n: number): number {
  if (n < TWO_POW_32) return 32 - Math.clz32(n);
  return 64 - Math.clz32(Math.floor(n / TWO_POW_32));
}

/** Splits |seed| into 32-bit little-endian words, as CPython builds the init_by_array key. */
function seedKey(seed: number | bigint): Uint32Array {
  if (typeof seed === 'bigint') {
    let v = seed < 0n ? -seed : seed;
    if (v === 0n) return Uint32Array.of(0);
    const words: number[] = [];
    while (v > 0n) {
      words.push(Number(v & MASK_32_BIG));
      v >>= 32n;
    }
    return Uint32Array.from(words);
  }
  const v = Math.abs(seed);
  const hi = Math.floor(v / TWO_POW_32);
  const lo = v - hi * TWO_POW_32;
  return hi === 0 ? Uint32Array.of(lo) : Uint32Array.of(lo, hi);
}

/** Throws unless `seed` is a seed Python would treat as the same integer (or null). */
function checkSeed(seed: unknown, parameter: string): asserts seed is PythonRandomSeed | undefined {
  if (seed === null || seed === undefined || typeof seed === 'bigint') return;
  if (typeof seed === 'number') {
    if (Number.isSafeInteger(seed)) return;
    if (Number.isInteger(seed)) {
      throw invalid(
        'ERR_DSE_OPTION',
        parameter,
        'a safe integer, a bigint or null',
        seed,
        'Pass integers above 2^53 - 1 as a bigint so no digits are lost',
      );
    }
    throw invalid(
      'ERR_DSE_OPTION',
      parameter,
      'an integer, a bigint or null',
      seed,
      'Python would hash a non-integer seed (hash(float)) and draw a different sequence, so only integers are accepted',
    );
  }
  throw invalid('ERR_DSE_OPTION', parameter, 'an integer, a bigint or null', seed);
}

/** Throws unless `value` is a non-negative safe integer. */
function checkCount(value: unknown, parameter: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid('ERR_DSE_OPTION', parameter, 'a non-negative safe integer', value);
  }
}

/**
 * CPython 3's `random.Random` (MT19937), reduced to what the package needs, reproducing
 * CPython's output bit for bit: the same seed gives the same `getrandbits`, `random()`
 * and `sample(range(n), k)` values as Python.
 *
 * @example
 * ```ts
 * const rng = new PythonRandom(0);
 * rng.sample(1000, 3); // [864, 394, 776] — same as random.seed(0); random.sample(range(1000), 3)
 * rng.random();        // next float in [0, 1), as random.random() would give
 * ```
 */
export class PythonRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  /**
   * Creates a generator. An integer (number or bigint) seeds it as `random.seed(seed)`
   * does in Python; `null` or no argument seeds it from the operating system's entropy.
   *
   * @example
   * ```ts
   * const a = new PythonRandom(42);
   * const b = new PythonRandom(42n); // same sequence as `a`
   * const c = new PythonRandom();    // unpredictable sequence
   * ```
   */
  constructor(seed?: number | bigint | null) {
    this.seed(seed ?? null);
  }

  /**
   * Re-seeds the generator like Python's `random.seed(s)`: an integer seed (negative values
   * use their absolute value, as CPython does) or `null` for an unpredictable seed.
   * Non-integer numbers are refused because Python would hash them to a different seed.
   *
   * @example
   * ```ts
   * const rng = new PythonRandom(null);
   * rng.seed(1099511627779);
   * rng.sample(700, 2); // as random.seed(1099511627779); random.sample(range(700), 2)
   * ```
   */
  seed(s: number | bigint | null): void {
    checkSeed(s, 'seed');
    if (s === null || s === undefined) {
      const bytes = randomBytes(N * 4);
      this.initByArray(new Uint32Array(bytes.buffer, bytes.byteOffset, N).slice());
    } else {
      this.initByArray(seedKey(s));
    }
  }

  /**
   * Returns `b` random bits as a non-negative integer (Python's `getrandbits(b)`),
   * for `0 <= b <= 53`.
   *
   * @example
   * ```ts
   * new PythonRandom(1).getrandbits(8); // an integer in [0, 256)
   * ```
   */
  getrandbits(b: number): number {
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > MAX_BITS) {
      throw invalid('ERR_DSE_OPTION', 'b', `an integer in [0, ${MAX_BITS}]`, b);
    }
    return this.bits(b);
  }

  /**
   * Returns a random integer in `[0, n)` the way CPython's `Random._randbelow(n)` draws it
   * (rejection sampling on `getrandbits(n.bit_length())`). Returns 0 for `n = 0`.
   *
   * @example
   * ```ts
   * new PythonRandom(7).randbelow(10); // an integer in [0, 10)
   * ```
   */
  randbelow(n: number): number {
    checkCount(n, 'n');
    return this.below(n);
  }

  /**
   * Returns the next float in `[0, 1)` exactly as Python's `random.random()` (53-bit
   * resolution from two 32-bit outputs).
   *
   * @example
   * ```ts
   * new PythonRandom(0).random(); // 0.8444218515250481, as in Python
   * ```
   */
  random(): number {
    const a = this.genrand() >>> 5;
    const b = this.genrand() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * Returns `k` distinct integers drawn from `0..n-1` in selection order, identical to
   * Python's `random.sample(range(n), k)` from the same state.
   *
   * @example
   * ```ts
   * new PythonRandom(1).sample(50, 3); // [8, 36, 48]
   * ```
   */
  sample(n: number, k: number): number[] {
    checkCount(n, 'n');
    checkCount(k, 'k');
    if (k > n) {
      throw new DseError(
        'ERR_DSE_OPTION',
        `Expected k <= n (a sample no larger than the population) for k but received ${k} with n = ${n}`,
      );
    }
    const result = new Array<number>(k);
    let setsize = 21; // size of a small set minus size of an empty list, as CPython computes
    if (k > 5) setsize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
    if (n <= setsize) {
      // Pool method: partial Fisher-Yates on a copy of the population.
      const pool = new Float64Array(n);
      for (let i = 0; i < n; i++) pool[i] = i;
      for (let i = 0; i < k; i++) {
        const j = this.below(n - i);
        result[i] = pool[j];
        pool[j] = pool[n - i - 1];
      }
      return result;
    }
    // Set method: redraw indices already taken.
    const b = bitLength(n);
    // A bitmap (n / 8 bytes) when that stays small or proportionate to k, else a Set.
    if (n <= 1 << 24 || (n <= 1 << 30 && n / 256 <= k)) {
      const seen = new Uint32Array(Math.ceil(n / 32));
      for (let i = 0; i < k; i++) {
        let j = this.belowBits(n, b);
        while ((seen[j >>> 5] & (1 << (j & 31))) !== 0) j = this.belowBits(n, b);
        seen[j >>> 5] |= 1 << (j & 31);
        result[i] = j;
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this.belowBits(n, b);
        while (selected.has(j)) j = this.belowBits(n, b);
        selected.add(j);
        result[i] = j;
      }
    }
    return result;
  }

  /** init_genrand: fills the state from one 32-bit seed. */
  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
    }
    this.mti = N;
  }

  /** init_by_array: mixes a key of 32-bit words into the state. */
  private initByArray(key: Uint32Array): void {
    const mt = this.mt;
    const len = key.length;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = N > len ? N : len; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1664525)) >>> 0) + key[j] + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) >>> 0) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = UPPER_MASK; // MSB is 1, assuring a non-zero initial array
    this.mti = N;
  }

  /** genrand_uint32: the next tempered 32-bit output. */
  private genrand(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      let y: number;
      for (; kk < N - M; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** getrandbits without validation; 0 <= b <= 53. */
  private bits(b: number): number {
    if (b === 0) return 0;
    if (b <= 32) return this.genrand() >>> (32 - b);
    // Words fill from the least significant end; the last one keeps only its top bits.
    const lo = this.genrand();
    const hi = this.genrand() >>> (64 - b);
    return hi * TWO_POW_32 + lo;
  }

  /** _randbelow without validation. */
  private below(n: number): number {
    if (n === 0) return 0;
    return this.belowBits(n, bitLength(n));
  }

  /** _randbelow for n > 0 with b = bit_length(n) precomputed. */
  private belowBits(n: number, b: number): number {
    let r = this.bits(b);
    while (r >= n) r = this.bits(b);
    return r;
  }
}

/**
 * Python's `random.seed(seed); random.sample(range(n), k)`, bit for bit: the `k` distinct
 * indices in `0..n-1` the Python reference draws for the same seed. A `null` seed draws an
 * unpredictable sample.
 *
 * @example
 * ```ts
 * pythonRandomSample(0, 1000, 5); // [864, 394, 776, 911, 430]
 * ```
 */
export function pythonRandomSample(seed: number | bigint | null, n: number, k: number): number[] {
  checkSeed(seed, 'seed');
  checkCount(n, 'n');
  checkCount(k, 'k');
  return new PythonRandom(seed).sample(n, k);
}

/** Python's global `random` generator: seeded calls re-seed it, unseeded calls continue it. */
let pythonGlobal: PythonRandom | undefined;
export function pythonGlobalRandom(): PythonRandom {
  return (pythonGlobal ??= new PythonRandom(null));
}

/**
 * The reference's subsampling: with more than `maxN` rows, `random.seed(seed)` (skipped for a
 * null seed) then `random.sample(range(N), maxN)`. Returns the row indices, or null for all rows.
 */
export function subsampleRows(n: number, maxN: number | null, randomSeed: number | bigint | null): Int32Array | null {
  if (maxN === null || n <= maxN) return null;
  const rng = pythonGlobalRandom();
  if (randomSeed !== null) rng.seed(randomSeed);
  return Int32Array.from(rng.sample(n, maxN));
}

/**
 * A probe generator's 64-bit seed (Chebyshev and SLQ probes, SplitMix64 in native): `randomSeed`
 * modulo 2^64 (two's complement for negative ones), or 8 random bytes when it is null (the
 * reference never seeds its probes).
 */
export function probeSeed(randomSeed: number | bigint | null): bigint {
  if (randomSeed === null) return randomBytes(8).readBigUInt64LE(0);
  return BigInt.asUintN(64, BigInt(randomSeed));
}
