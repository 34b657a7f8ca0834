// SPDX-License-Identifier: MIT
import { binnedCounts, type NativeRequest, type NativeResult } from './plan';
import { accurateSum, entropyBits } from './spectralEntropy';
import type { Matrix } from './validate';

/**
 * Classic Shannon entropy of each subset of the rows of X (null: all rows): min-max scale each
 * column, bin with numpy's `digitize(v, linspace(0, 1, bins + 1)[:-1])`, count identical rows,
 * p = count / N. A constant column (0/0 in the reference) puts every row in one bin, as it does
 * there, but without producing NaN. The binning and counting run in native (binnedRowCounts), so
 * that the async forms run them on the compute thread, abortably.
 */
export function* classicShannonEntropies(X: Matrix, subsets: Int32Array[] | null, bins: number): Generator<NativeRequest, number[], NativeResult> {
  const groups = yield* binnedCounts(X, subsets, bins);
  return groups.map((counts) => {
    const rows = accurateSum(counts);
    const p = new Float64Array(counts.length);
    // numpy's unique() sorts the rows; the entropy does not depend on the order.
    for (let i = 0; i < counts.length; i++) p[i] = counts[i] / rows;
    return entropyBits(p);
  });
}
