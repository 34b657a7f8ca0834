// SPDX-License-Identifier: MIT
// Shared by the tests: golden fixtures, matrices from .npy files, error assertions.
import * as fs from 'fs';
import * as path from 'path';
import { readNpy } from '../lib/io/npy';
import type { Matrix } from '../lib/validate';
import * as synthetic from '../bench/synthetic';
import { run } from '../lib/cli/program';
import { isSkipped, missingLine, requirePrereq } from '../scripts/prereqs';

/**
 * The tests' prerequisites beyond Node (scripts/prereqs.js; `npm run test:all` installs them).
 * A test needing one fails with its `missing: ...` line unless its documented switch is set:
 * DSE_SKIP_NUMPY_TESTS=1 skips the numpy interop tests, DSE_SKIP_BROWSER_TESTS=1 the Chromium
 * ones, DSE_BLAS=none expects the Eigen-only addon instead of OpenBLAS.
 */
export const itNumpy = isSkipped('numpy') ? it.skip : it;
export const describeBrowser = isSkipped('chromium') ? describe.skip : describe;
export const OPENBLAS_EXPECTED = !isSkipped('openblas');
export { missingLine, requirePrereq };

/** Fails with the missing line (or the rebuild hint) unless `blas` matches what is expected. */
export function expectBlasAsConfigured(info: { blas: string; lapack: string }): void {
  if (!OPENBLAS_EXPECTED) {
    expect(info.lapack).toBe('Eigen'); // DSE_BLAS=none: the Eigen-only build
    return;
  }
  if (!/^OpenBLAS/.test(info.blas) || info.lapack !== 'OpenBLAS LAPACK') {
    throw new Error(`this addon was built without OpenBLAS (${info.blas}, ${info.lapack}). ${missingLine('openblas')}; then rebuild (npm ci)`);
  }
}

export const FIXTURES = path.join(__dirname, 'fixtures');

export interface GoldenCase {
  name: string;
  fn: string;
  args: { embeddingVectors: string; referenceVectors?: string };
  options: Record<string, unknown>;
  expected: { value: number; clusters?: string; sampledIndices?: string };
  rtol: number;
}

export interface Golden {
  cases: GoldenCase[];
  kernelEigenvalues: { X: string; gaussianKernelSigma: number; eigenvalues: string }[];
  eigvalCache: {
    X: string;
    gaussianKernelSigma: number;
    t: number;
    eigvalSavePrecision: string;
    file: string;
    valueWhenSaving: number;
    valueFromCache: number;
  }[];
  pythonRandomSample: { seed: number; n: number; k: number; sample: number[] }[];
}

export const golden: Golden = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'cases.json'), 'utf8'));
export const goldenFloat32: Record<string, number> = JSON.parse(
  fs.readFileSync(path.join(FIXTURES, 'golden_float32.json'), 'utf8'),
);

/** A fixture .npy as a float64 row-major Matrix (1-D arrays become one column). */
export function loadMatrix(file: string): Matrix {
  const a = readNpy(path.join(FIXTURES, file));
  const rows = a.shape[0];
  const cols = a.shape.length > 1 ? a.shape[1] : 1;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Number(a.data[i]);
  return { data, rows, cols };
}

/** A fixture .npy's values as plain numbers. */
export function loadValues(file: string): number[] {
  const a = readNpy(path.join(FIXTURES, file));
  return Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** A golden case's reference argument as its .npy holds it: labels keep their integer type. */
export function loadReference(file: string): Float64Array | Uint8Array | BigInt64Array | Matrix {
  const a = readNpy(path.join(FIXTURES, file));
  if (a.shape.length === 2 && a.shape[1] > 1) return loadMatrix(file);
  return a.data as Float64Array | Uint8Array | BigInt64Array;
}

/** A golden case's options, with a `precomputedClusters` file name replaced by its values. */
export function optionsOf(c: GoldenCase): Record<string, unknown> {
  const o: Record<string, unknown> = { ...c.options };
  if (typeof o.precomputedClusters === 'string') o.precomputedClusters = loadValues(o.precomputedClusters);
  return o;
}

export function toFloat32(m: Matrix): Matrix {
  return { data: Float32Array.from(m.data), rows: m.rows, cols: m.cols };
}

/** |actual - expected| <= rtol * |expected| + atol, with a readable failure. */
export function expectClose(actual: number, expected: number, rtol: number, atol = 1e-10): void {
  const err = Math.abs(actual - expected);
  const bound = rtol * Math.abs(expected) + atol;
  if (!(err <= bound)) {
    throw new Error(`expected ${expected} within ${bound} (rtol ${rtol}) but got ${actual} (off by ${err})`);
  }
}

/** Calls fn, expecting a DseError with `code` whose message matches `message`. */
export function expectDseError(fn: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assertDseError(caught, code, message);
}

export async function expectDseRejection(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assertDseError(caught, code, message);
}

function assertDseError(caught: unknown, code: string, message?: RegExp): void {
  if (caught === undefined) throw new Error(`expected a DseError ${code} but nothing was thrown`);
  const e = caught as { name?: string; code?: string; message?: string };
  expect(e.name).toBe('DseError');
  expect(e.code).toBe(code);
  if (message) expect(e.message).toMatch(message);
}

/** Two labelings describe the same partition (labels may be permuted). */
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

/** Deterministic uniform matrix (a small LCG, bench/synthetic.js), for tests that need data of a given size. */
export function uniformMatrix(rows: number, cols: number, seed = 1): Matrix {
  return synthetic.uniform(rows, cols, seed);
}

/** Ten Gaussian blobs in `cols` dimensions (bench/synthetic.js): a slowly decaying spectrum. */
export function blobsMatrix(rows: number, cols: number, seed = 3): Matrix {
  return synthetic.blobs(rows, cols, seed);
}

/** What one in-process `dse` command printed, and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `dse ...args` in-process, in folder `cwd`, with `env` as its environment (none by default). */
export async function runCli(cwd: string, args: string[], options: { tty?: boolean; env?: Record<string, string> } = {}): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s), isTTY: options.tty ?? false, columns: 100 } as never,
    cwd,
    env: options.env ?? {},
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** `k` blobs of `per` rows in `k` dimensions (seeded uniform noise, blob c shifted by 40 along axis c), and their labels. */
export function separatedBlobs(k: number, per: number, cols = 8): { X: Matrix; labels: Int32Array } {
  const X = uniformMatrix(k * per, cols, 5);
  const labels = new Int32Array(k * per);
  for (let i = 0; i < k * per; i++) {
    labels[i] = Math.floor(i / per);
    for (let j = 0; j < cols; j++) X.data[i * cols + j] = X.data[i * cols + j] * 0.5 + (j === labels[i] ? 40 : 0);
  }
  return { X, labels };
}
