// SPDX-License-Identifier: MIT
/** The bundled data set (data/README.md): the UCI handwritten digits, for examples and the demo. */
import * as path from 'path';
import { readNpy } from './io/npy';
import type { Matrix } from './validate';

/** The folder of the bundled data (data/digits_X.npy, data/digits_y.npy). */
export function dataDir(): string {
  return path.join(__dirname, '..', 'data');
}

/**
 * The bundled UCI handwritten digits (E. Alpaydin, C. Kaynak, CC BY 4.0), as scikit-learn's
 * `load_digits()` gives them: X holds 1797 images of 8 x 8 pixels (intensities 0..16), one per
 * row; y the digit 0..9 of each.
 *
 * @example
 * ```ts
 * const { X, y } = loadDigits();
 * X.rows; // 1797
 * X.cols; // 64
 * ```
 */
export function loadDigits(): { X: Matrix; y: Int32Array } {
  const x = readNpy(path.join(dataDir(), 'digits_X.npy'));
  const y = readNpy(path.join(dataDir(), 'digits_y.npy'));
  return {
    X: { data: Float64Array.from(x.data as ArrayLike<number>), rows: x.shape[0], cols: x.shape[1] },
    y: Int32Array.from(y.data as ArrayLike<number>),
  };
}
