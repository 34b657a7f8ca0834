// SPDX-License-Identifier: MIT
// The counting step of the classic Shannon entropy (the reference's `classic_shannon_entropy`):
// min-max scale each column of a subset of rows, bin it as numpy's
// digitize(v, linspace(0, 1, bins + 1)[:-1]) does, and count identical binned rows.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "batch.h"
#include "kernel.h"  // InputMatrix

namespace dse {

// For each subset, the number of rows in each group of identical binned rows, in the order of
// each group's first row. A constant column puts every row in bin `bins` (NaN in the reference,
// which digitize puts past the last edge). Throws Cancelled when *cancel becomes non-zero.
std::vector<std::vector<double>> binnedRowCounts(const InputMatrix& X, const std::vector<Subset>& subsets,
                                                 std::size_t bins, const std::atomic<std::int32_t>* cancel);

// Peak working bytes for a largest subset of m rows.
double estimateBinnedRowCountsBytes(std::size_t m, std::size_t cols);

}  // namespace dse
