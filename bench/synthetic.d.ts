// SPDX-License-Identifier: MIT
/** Types of bench/synthetic.js (for the tests). */
export interface SyntheticMatrix {
  data: Float64Array;
  rows: number;
  cols: number;
}
export function uniform(rows: number, cols: number, seed?: number): SyntheticMatrix;
export function blobs(rows: number, cols: number, seed?: number): SyntheticMatrix;
