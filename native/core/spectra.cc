// SPDX-License-Identifier: MIT
#include "spectra.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <numeric>
#include <thread>

#include "linalg.h"
#include "parallel.h"

namespace dse {

std::size_t hardwareThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

namespace {

std::timed_mutex& computeMutex() {
  // Process-wide on purpose: it guards the machine's cores, not any addon instance's data.
  static std::timed_mutex m;
  return m;
}

// Below this size a subset's eigenproblem is run single-threaded next to others: two
// single-threaded dsyevd at n = 1000 finish in 63 ms where two threaded ones take 90 ms.
constexpr std::size_t kSharedCoresMin = 1500;

template <typename T>
std::vector<double> solveOne(const BatchRequest& req, const Subset& subset, std::size_t threads,
                             const std::atomic<std::int32_t>* cancel) {
  const std::size_t m = subset.size;
  std::vector<T> M(m * m);
  buildKernel<T>(req.X, subset.rows, m, req.kernel, M.data(), threads);
  checkpoint(cancel);
  if (req.output == Output::EntryEntropy) return {entryEntropy<T>(M.data(), m, threads)};
  std::vector<double> out(m);
  if (req.kernel.kind == KernelKind::Knn && !isSymmetric(M.data(), m)) {
    if constexpr (std::is_same<T, double>::value) {
      std::vector<double> wi(m);
      linalg::generalEigvals(M.data(), m, out.data(), wi.data());
      for (std::size_t i = 0; i < m; ++i) out[i] = std::hypot(out[i], wi[i]);
    } else {
      // The general solver runs in float64 whatever the working precision: the 0/1 entries
      // are exact, so this only costs time, and LAPACK's sgeev is not worth a second path.
      std::vector<double> A(M.begin(), M.end());
      M.clear();
      M.shrink_to_fit();
      std::vector<double> wi(m);
      linalg::generalEigvals(A.data(), m, out.data(), wi.data());
      for (std::size_t i = 0; i < m; ++i) out[i] = std::hypot(out[i], wi[i]);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<T> w(m);
  linalg::symEigvals(M.data(), m, w.data());
  std::copy(w.begin(), w.end(), out.begin());
  if (req.kernel.kind == KernelKind::Knn) {
    for (double& v : out) v = std::abs(v);
    std::sort(out.begin(), out.end());
  }
  return out;
}

std::vector<double> solve(const BatchRequest& req, const Subset& subset, std::size_t threads,
                          const std::atomic<std::int32_t>* cancel) {
  return req.precision == Precision::Float32 ? solveOne<float>(req, subset, threads, cancel)
                                             : solveOne<double>(req, subset, threads, cancel);
}

}  // namespace

ComputeLock::ComputeLock(const std::atomic<std::int32_t>* cancel) {
  while (!computeMutex().try_lock_for(std::chrono::milliseconds(20))) checkpoint(cancel);
}
ComputeLock::~ComputeLock() { computeMutex().unlock(); }

std::vector<std::vector<double>> runSpectra(const BatchRequest& req, const Control& control) {
  const std::size_t total = req.subsets.size();
  std::vector<std::vector<double>> results(total);
  if (total == 0) return results;
  const std::size_t threads =
      std::max<std::size_t>(1, control.maxThreads ? std::min(control.maxThreads, hardwareThreads()) : hardwareThreads());

  // Largest first: the big eigenproblems take every core one at a time, then the small ones
  // share the cores, one single-threaded LAPACK call per core.
  std::vector<std::size_t> order(total);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return req.subsets[a].size > req.subsets[b].size; });
  std::size_t firstSmall = 0;
  while (firstSmall < total && (total == 1 || req.subsets[order[firstSmall]].size >= kSharedCoresMin)) ++firstSmall;

  std::mutex progressMutex;
  std::size_t done = 0;
  auto finished = [&]() {
    if (!control.progress) return;
    std::lock_guard<std::mutex> lock(progressMutex);
    control.progress(++done, total);
  };

  const int savedThreads = linalg::blasThreads();
  struct RestoreThreads {
    int n;
    ~RestoreThreads() { linalg::setBlasThreads(n); }
  } restore{savedThreads};

  linalg::setBlasThreads(static_cast<int>(threads));
  for (std::size_t k = 0; k < firstSmall; ++k) {
    checkpoint(control.cancel);
    const std::size_t s = order[k];
    results[s] = solve(req, req.subsets[s], threads, control.cancel);
    finished();
  }
  if (firstSmall < total) {
    linalg::setBlasThreads(1);
    parallelFor(threads, total - firstSmall, 1, [&](std::size_t k, std::size_t) {
      checkpoint(control.cancel);
      const std::size_t s = order[firstSmall + k];
      results[s] = solve(req, req.subsets[s], 1, control.cancel);
      finished();
    });
  }
  return results;
}

double estimateSpectraBytes(const BatchRequest& req, std::size_t threads) {
  const double item = req.precision == Precision::Float32 ? 4.0 : 8.0;
  std::vector<double> sizes;
  for (const auto& s : req.subsets) sizes.push_back(static_cast<double>(s.size));
  std::sort(sizes.begin(), sizes.end(), std::greater<double>());
  double peak = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const double m = sizes[i];
    // Kernel buffer, gathered rows, eigenvalues and LAPACK workspace (dsyevd jobz=N: 2m+1;
    // dgeev: ~4m + its own m x m copy when a float32 kNN runs the float64 solver).
    double one = m * m * item + m * static_cast<double>(req.X.cols) * item + 8 * m * 8.0;
    if (req.kernel.kind == KernelKind::Knn) one += m * m * 8.0 + threads * m * item;
    if (i == 0 || m >= kSharedCoresMin) peak = std::max(peak, one);
  }
  // The small subsets run `threads` at a time.
  double shared = 0;
  std::size_t counted = 0;
  for (double m : sizes) {
    if (m >= kSharedCoresMin && sizes.size() > 1) continue;
    if (counted++ == threads) break;
    shared += m * m * item + m * static_cast<double>(req.X.cols) * item + 8 * m * 8.0;
  }
  return std::max(peak, shared);
}

}  // namespace dse
