// SPDX-License-Identifier: MIT
#include "cse.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "cancel.h"

namespace dse {

namespace {

double valueAt(const InputMatrix& X, std::size_t row, std::size_t col) {
  const std::size_t i = row * X.cols + col;
  return X.isFloat32 ? static_cast<double>(static_cast<const float*>(X.data)[i])
                     : static_cast<const double*>(X.data)[i];
}

// digitize against the edges k / bins (k < bins, each computed as k * (1 / bins) like
// linspace's): the number of edges <= v. The edges ascend, so a binary search gives the same
// count as numpy's scan, without an array of `bins` edges.
std::uint64_t digitize(double v, std::size_t bins, double step) {
  std::size_t lo = 0, hi = bins;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (static_cast<double>(mid) * step <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

constexpr std::size_t kRowsPerCheckpoint = 4096;

}  // namespace

std::vector<std::vector<double>> binnedRowCounts(const InputMatrix& X, const std::vector<Subset>& subsets,
                                                 std::size_t bins, const std::atomic<std::int32_t>* cancel) {
  const std::size_t cols = X.cols;
  const double step = 1.0 / static_cast<double>(bins);
  std::vector<std::vector<double>> out;
  out.reserve(subsets.size());
  std::vector<std::uint64_t> codes;
  for (const Subset& s : subsets) {
    checkpoint(cancel);
    const std::size_t m = s.size;
    auto rowOf = [&](std::size_t r) { return s.rows ? static_cast<std::size_t>(s.rows[r]) : r; };
    codes.assign(m * cols, 0);
    for (std::size_t c = 0; c < cols; ++c) {
      double lo = 0, hi = 0;
      for (std::size_t r = 0; r < m; ++r) {
        const double v = valueAt(X, rowOf(r), c);
        if (r == 0 || v < lo) lo = v;
        if (r == 0 || v > hi) hi = v;
      }
      const double range = hi - lo;
      for (std::size_t r = 0; r < m; ++r) {
        if (r % kRowsPerCheckpoint == 0) checkpoint(cancel);
        codes[r * cols + c] = range > 0 ? digitize((valueAt(X, rowOf(r), c) - lo) / range, bins, step) : bins;
      }
    }
    // Groups keyed by their first row's codes; counted in the order groups first appear.
    const std::uint64_t* base = codes.data();
    auto hash = [base, cols](std::size_t r) {
      std::uint64_t h = 1469598103934665603ull;
      for (std::size_t c = 0; c < cols; ++c) h = (h ^ base[r * cols + c]) * 1099511628211ull;
      return static_cast<std::size_t>(h);
    };
    auto equal = [base, cols](std::size_t a, std::size_t b) {
      return std::memcmp(base + a * cols, base + b * cols, cols * sizeof(std::uint64_t)) == 0;
    };
    std::unordered_map<std::size_t, std::size_t, decltype(hash), decltype(equal)> group(16, hash, equal);
    std::vector<double> counts;
    for (std::size_t r = 0; r < m; ++r) {
      if (r % kRowsPerCheckpoint == 0) checkpoint(cancel);
      auto found = group.emplace(r, counts.size());
      if (found.second) counts.push_back(1);
      else counts[found.first->second] += 1;
    }
    out.push_back(std::move(counts));
  }
  return out;
}

double estimateBinnedRowCountsBytes(std::size_t m, std::size_t cols) {
  // The codes, and a hash node plus a count per row at worst (every row its own group).
  return static_cast<double>(m) * (static_cast<double>(cols) * 8 + 64);
}

}  // namespace dse
