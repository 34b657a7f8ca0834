// SPDX-License-Identifier: MIT
// Helpers shared by the examples: a seeded random generator, the synthetic data sets the
// reference's test scripts draw, and a tiny flag reader.
import type { Matrix } from 'dse-dsmi';

/** A small seeded generator (mulberry32): the examples print the same numbers on every run. */
export class Rng {
  private state: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** An N x D matrix of uniform values in [lo, hi). */
export function uniformMatrix(rng: Rng, rows: number, cols: number, lo = 0, hi = 1): Matrix {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(lo, hi);
  return { data, rows, cols };
}

/**
 * A two-class classification data set in the spirit of scikit-learn's make_classification
 * defaults: 2 informative features whose class clusters sit at the corners of a square (two
 * clusters per class), 2 redundant features (random mixtures of the informative ones), the rest
 * pure noise, and 1% of the labels flipped.
 */
export function classificationData(rng: Rng, rows: number, cols: number): { X: Matrix; y: Int32Array } {
  const informative = 2;
  const redundant = Math.min(2, cols - informative);
  const corners = [
    [1, 1],
    [-1, -1],
    [1, -1],
    [-1, 1],
  ];
  const mix = Array.from({ length: redundant }, () => Array.from({ length: informative }, () => rng.uniform(-1, 1)));
  const data = new Float64Array(rows * cols);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const cluster = i % 4; // clusters 0, 1 are class 0; 2, 3 are class 1
    y[i] = cluster < 2 ? 0 : 1;
    const base = data.subarray(i * cols, (i + 1) * cols);
    for (let j = 0; j < informative; j++) base[j] = corners[cluster][j] + rng.normal();
    for (let r = 0; r < redundant; r++) base[informative + r] = mix[r][0] * base[0] + mix[r][1] * base[1];
    for (let j = informative + redundant; j < cols; j++) base[j] = rng.normal();
    if (rng.next() < 0.01) y[i] = rng.next() < 0.5 ? 0 : 1;
  }
  return { X: { data, rows, cols }, y };
}

/** `--name value` and `--flag` from argv, with defaults. */
export function flags<T extends Record<string, string | number | boolean>>(defaults: T, argv = process.argv.slice(2)): T {
  const out: Record<string, string | number | boolean> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = argv[i].match(/^--([a-z-]+)$/);
    if (!m) throw new Error(`Unexpected argument ${argv[i]}`);
    const key = m[1].replace(/-([a-z])/g, (_s, c: string) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`Unknown flag --${m[1]}; known: ${Object.keys(defaults).join(', ')}`);
    const def = defaults[key];
    if (typeof def === 'boolean') out[key] = true;
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`--${m[1]} needs a value`);
      out[key] = typeof def === 'number' ? Number(v) : v;
    }
  }
  return out as T;
}
