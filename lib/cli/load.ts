// SPDX-License-Identifier: MIT
/**
 * Matrices and labels from files: `.npy`, `.npz` (one member, or the one named by a key) and
 * numeric `.csv`/`.tsv`/`.txt`. Every failure is a DseError naming the file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DseError } from '../errors';
import { readNpy, type NpyArray } from '../io/npy';
import { readNpz } from '../io/npz';
import { readCsv } from '../io/csv';
import { classLabels } from '../clusters';
import type { Matrix } from '../validate';

/** File name endings the CLI reads. */
export const MATRIX_EXTENSIONS = ['.npy', '.npz', '.csv', '.tsv', '.txt'] as const;

/** A numeric array read from a file, with what numpy would call its dtype kind. */
export interface LoadedArray {
  /** The values in C order (float32 files stay Float32Array; everything else is float64). */
  data: Float64Array | Float32Array;
  /** The dimensions as stored. */
  shape: number[];
  /** An integer (or bool) dtype, or a CSV whose fields are all written as integers. */
  integer: boolean;
  /** The file it came from, for messages. */
  file: string;
}

function fromNpy(a: NpyArray, file: string): LoadedArray {
  const integer = a.dtype !== 'float64' && a.dtype !== 'float32' && a.dtype !== 'float16';
  let data: Float64Array | Float32Array;
  if (Object.prototype.toString.call(a.data) === '[object Float64Array]') data = a.data as Float64Array;
  else if (a.dtype === 'float32') data = a.data as Float32Array;
  else {
    data = new Float64Array(a.data.length);
    for (let i = 0; i < data.length; i++) data[i] = Number(a.data[i]);
  }
  return { data, shape: a.shape, integer, file };
}

/**
 * Reads an array from a `.npy`, `.npz` or CSV file. For `.npz`, `key` names the member; it
 * may be left out when the archive holds exactly one array.
 *
 * @example
 * ```ts
 * const a = loadArray('run/epoch_1.npz', 'embeddings');
 * ```
 */
export function loadArray(file: string, key?: string): LoadedArray {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.npy') {
    if (key !== undefined)
      throw new DseError(
        'ERR_DSE_OPTION',
        `Expected a .npz file with --key but received ${JSON.stringify(file)}, a .npy file (it holds one array)`,
      );
    return fromNpy(readNpy(file), file);
  }
  if (ext === '.npz') {
    const members = readNpz(file);
    const names = Object.keys(members);
    if (names.length === 0)
      throw new DseError(
        'ERR_DSE_FORMAT',
        `Expected at least 1 array in ${JSON.stringify(file)} but the archive is empty`,
      );
    let name = key;
    if (name === undefined) {
      if (names.length > 1)
        throw new DseError(
          'ERR_DSE_OPTION',
          `Expected --key to choose one of the arrays in ${JSON.stringify(file)}: ${names.join(', ')}`,
        );
      name = names[0];
    }
    if (!Object.prototype.hasOwnProperty.call(members, name))
      throw new DseError(
        'ERR_DSE_OPTION',
        `Expected an array named ${JSON.stringify(name)} in ${JSON.stringify(file)} but it holds: ${names.join(', ')}`,
      );
    return fromNpy(members[name], `${file}[${name}]`);
  }
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') {
    if (key !== undefined)
      throw new DseError(
        'ERR_DSE_OPTION',
        `Expected a .npz file with --key but received ${JSON.stringify(file)}, a text file`,
      );
    const c = readCsv(file);
    return { data: c.data, shape: [c.rows, c.cols], integer: c.integer, file };
  }
  if (!fs.existsSync(file)) throw new DseError('ERR_DSE_IO', `Could not read ${JSON.stringify(file)}: no such file`);
  throw new DseError('ERR_DSE_FORMAT', `Expected a .npy, .npz or .csv file but received ${JSON.stringify(file)}`);
}

/**
 * The array as a matrix: 1-D arrays become one column, more than 2 dimensions are flattened
 * after the first (images [N, C, H, W] become [N, C*H*W], as the reference's scripts do).
 *
 * @example
 * ```ts
 * const X = asMatrix(loadArray('images.npy'));
 * ```
 */
export function asMatrix(a: LoadedArray): Matrix {
  if (a.shape.length === 0)
    throw new DseError(
      'ERR_DSE_SHAPE',
      `Expected an array with at least 1 dimension in ${JSON.stringify(a.file)} but received a scalar`,
    );
  const rows = a.shape[0];
  const cols = a.shape.slice(1).reduce((p, d) => p * d, 1);
  if (rows === 0 || cols === 0)
    throw new DseError(
      'ERR_DSE_SHAPE',
      `Expected at least 1 row and 1 column in ${JSON.stringify(a.file)} but received shape [${a.shape.join(', ')}]`,
    );
  return { data: a.data, rows, cols };
}

/**
 * Reads a matrix (see {@link loadArray} and {@link asMatrix}).
 *
 * @example
 * ```ts
 * const X = loadMatrix('embeddings.npy');
 * ```
 */
export function loadMatrix(file: string, key?: string): Matrix {
  return asMatrix(loadArray(file, key));
}

/**
 * Reads one value per row (shape [N] or [N, 1]): an Int32Array for integer files (class labels),
 * a Float64Array otherwise (continuous values).
 *
 * @example
 * ```ts
 * const y = loadLabels('labels.npy'); // Int32Array
 * ```
 */
export function loadLabels(file: string, key?: string): Int32Array | Float64Array {
  const a = loadArray(file, key);
  const m = asMatrix(a);
  if (m.cols !== 1)
    throw new DseError(
      'ERR_DSE_SHAPE',
      `Expected one label per row (shape [N] or [N, 1]) in ${JSON.stringify(a.file)} but received shape ` +
        `[${a.shape.join(', ')}]`,
    );
  return loadLabelsFrom(a, m);
}

/**
 * The reference of DSMI from a file: labels (Int32Array) for an integer column, scalars
 * (Float64Array) for a float column, a matrix otherwise.
 *
 * @example
 * ```ts
 * const ref = loadReference('images.npy'); // Matrix [N, 3072]
 * ```
 */
export function loadReference(
  file: string,
  key?: string,
): { reference: Int32Array | Float64Array | Matrix; integer: boolean; shape: number[] } {
  const a = loadArray(file, key);
  const m = asMatrix(a);
  if (m.cols === 1) return { reference: loadLabelsFrom(a, m), integer: a.integer, shape: a.shape };
  return { reference: m, integer: a.integer, shape: a.shape };
}

function loadLabelsFrom(a: LoadedArray, m: Matrix): Int32Array | Float64Array {
  if (!a.integer) return Float64Array.from(m.data);
  // Any distinct values are classes, as in DSMI: labels beyond int32 become their class index.
  return classLabels(m.data);
}
