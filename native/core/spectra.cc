// SPDX-License-Identifier: MIT
#include "spectra.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>
#include <type_traits>
#include <unordered_map>
#if defined(__GLIBC__)
#include <malloc.h>  // malloc_trim
#endif

#include "linalg.h"
#include "parallel.h"

namespace dse {

namespace {

// glibc keeps freed medium buffers resident; malloc_trim returns them, only after computations of
// kReleaseAfter or more, where its cost is negligible (docs/internals/performance-history.md, "Memory a call leaves
// behind").
constexpr std::chrono::milliseconds kReleaseAfter{20};
void releaseFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

std::timed_mutex& computeMutex() {
  // Process-wide on purpose: it guards the machine's cores, not any addon instance's data.
  static std::timed_mutex m;
  return m;
}

// Below this size subsets of a batch run single-threaded side by side (higher throughput); larger
// ones run alone on every core, so a batch holds at most one such buffer (docs/internals/performance-history.md,
// "Scheduling and threads").
constexpr std::size_t kSharedCoresMin = 5000;

// One worker's buffers, reused from subset to subset: the m x m kernel (allocated uninitialised:
// for a symmetric kernel the strictly upper triangle is never touched, so its pages are never
// even mapped in) and the kernel's scratch. Reuse spares a batch of many small subsets an
// allocation, and the page faults of a fresh mapping, per subset.
template <typename T>
struct Buffers {
  std::unique_ptr<T[]> matrix;
  std::size_t capacity = 0;
  KernelScratch<T> kernel;
  T* reserve(std::size_t entries) {
    if (entries > capacity) {
      matrix.reset();
      matrix.reset(new T[entries]);
      capacity = entries;
    }
    return matrix.get();
  }
};

struct Workspace {
  Buffers<double> f64;
  Buffers<float> f32;
  Buffers<double>& of(double*) { return f64; }
  Buffers<float>& of(float*) { return f32; }
};

// The layout of a subset's kernel: symmetric kernels whose eigenvalues take the two-stage path
// are built in panels, about half the memory of the full layout's pages in either precision
// (layout.h); the kNN adjacency and the matrix-entry entropy read the full matrix.
TriangleLayout kernelLayout(const BatchRequest& req, std::size_t m) {
  const bool panels = req.kernel.kind != KernelKind::Knn && req.output != Output::EntryEntropy;
  const std::size_t width = panels ? linalg::panelWidth(m) : 0;
  return width ? TriangleLayout::panels(m, width) : TriangleLayout::full(m);
}

// `alone`: the subset runs by itself with every core (a lone subset, or one of the big ones). Its
// kernel scratch (the gathered or converted rows, m x d, and the row-sum partials) is then freed
// before the eigenvalues instead of being kept for a next subset: an allocation per big subset
// costs nothing next to its eigenproblem, and the eigensolver's peak no longer carries it (a
// float32 DSE at N = 4000 holds 4 MiB less; a float64 DSE subsampled to 10000 x 256 gathers 20 MB of
// rows).
template <typename T>
std::vector<double> solveOne(const BatchRequest& req, const Subset& subset, std::size_t threads,
                             const std::atomic<std::int32_t>* cancel, Buffers<T>& buffers, bool alone) {
  const std::size_t m = subset.size;
  const CancelScope cancelScope(cancel);
  // Each stage takes the threads the machine has free as it starts (threadsNow): all of the
  // budget when idle, one beside other busy work.
  const BudgetScope budgetScope(threads > 1 ? threads : 0);
  const std::size_t budget = threads;
  if (threads > 1) threads = linalg::adaptThreads();
  const TriangleLayout layout = kernelLayout(req, m);
  T* M = buffers.reserve(layout.size());
  // float32 solves K - lambda v v^T (kernel.h): its error no longer lifts a flat kernel's small eigenvalues.
  const bool holdTopApart =
      std::is_same<T, float>::value && req.output == Output::Eigenvalues && req.kernel.kind != KernelKind::Knn;
  buildKernel<T>(req.X, subset.rows, m, req.kernel, M, threads, &buffers.kernel, layout, holdTopApart);
  const double held = holdTopApart ? buffers.kernel.held : std::numeric_limits<double>::quiet_NaN();
  if (alone) buffers.kernel = KernelScratch<T>();
  checkpoint(cancel);
  if (req.output == Output::EntryEntropy) return {entryEntropy<T>(M, m, threads)};
  std::vector<double> out(m);
  if (req.kernel.kind == KernelKind::Knn && !isSymmetric(M, m)) {
    // The budget, not threadsNow: a non-normal adjacency's eigenvalues move by ~1e-7 relative
    // with OpenBLAS's thread count, and a value must not depend on the machine's load.
    const linalg::BlasThreadsScope fixed(static_cast<int>(budget));
    if constexpr (std::is_same<T, double>::value) {
      std::vector<double> wi(m);
      linalg::generalEigvals(M, m, out.data(), wi.data());
      for (std::size_t i = 0; i < m; ++i) out[i] = std::hypot(out[i], wi[i]);
    } else {
      // The general solver runs in float64 whatever the working precision: the 0/1 entries
      // are exact, so this only costs time, and LAPACK's sgeev is not worth a second path.
      std::vector<double> A(M, M + m * m);
      buffers.matrix.reset();
      buffers.capacity = 0;
      std::vector<double> wi(m);
      linalg::generalEigvals(A.data(), m, out.data(), wi.data());
      for (std::size_t i = 0; i < m; ++i) out[i] = std::hypot(out[i], wi[i]);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<T> w(m);
  if (!layout.isFull()) linalg::symEigvalsPanels(M, layout, w.data());
  else linalg::symEigvals(M, m, w.data());
  std::copy(w.begin(), w.end(), out.begin());
  if (!std::isnan(held) && m > 0) {
    // The held-apart eigenvalue replaces the computed one nearest 0, v's within the solver's error.
    const auto nearest =
        std::min_element(out.begin(), out.end(), [](double a, double b) { return std::abs(a) < std::abs(b); });
    out.erase(nearest);
    out.push_back(held);
    std::sort(out.begin(), out.end());
  }
  if (req.kernel.kind == KernelKind::Knn) {
    for (double& v : out) v = std::abs(v);
    std::sort(out.begin(), out.end());
  }
  return out;
}

std::vector<double> solve(const BatchRequest& req, const Subset& subset, std::size_t threads,
                          const std::atomic<std::int32_t>* cancel, Workspace& ws, bool alone) {
  return req.precision == Precision::Float32 ? solveOne<float>(req, subset, threads, cancel, ws.f32, alone)
                                             : solveOne<double>(req, subset, threads, cancel, ws.f64, alone);
}

// For each subset, the index of the first subset with exactly the same rows (itself if none).
std::vector<std::size_t> firstOccurrences(const std::vector<Subset>& subsets) {
  std::vector<std::size_t> sameAs(subsets.size());
  std::unordered_map<std::uint64_t, std::vector<std::size_t>> seen;
  for (std::size_t s = 0; s < subsets.size(); ++s) {
    const Subset& a = subsets[s];
    std::uint64_t h = 1469598103934665603ULL ^ a.size;  // FNV-1a over the size and the rows
    if (a.rows) {
      for (std::size_t i = 0; i < a.size; ++i) {
        h ^= static_cast<std::uint32_t>(a.rows[i]);
        h *= 1099511628211ULL;
      }
    } else {
      h = ~h;
    }
    sameAs[s] = s;
    auto& bucket = seen[h];
    for (std::size_t t : bucket) {
      const Subset& b = subsets[t];
      const bool same = a.size == b.size && (a.rows == nullptr) == (b.rows == nullptr) &&
                        (!a.rows || std::equal(a.rows, a.rows + a.size, b.rows));
      if (same) {
        sameAs[s] = t;
        break;
      }
    }
    if (sameAs[s] == s) bucket.push_back(s);
  }
  return sameAs;
}

}  // namespace

ComputeLock::ComputeLock(const std::atomic<std::int32_t>* cancel) {
  while (!computeMutex().try_lock_for(std::chrono::milliseconds(20))) checkpoint(cancel);
  acquired_ = std::chrono::steady_clock::now();
}
ComputeLock::~ComputeLock() {
  if (std::chrono::steady_clock::now() - acquired_ >= kReleaseAfter) releaseFreedMemory();
  computeMutex().unlock();
}

std::vector<std::vector<double>> runSpectra(const BatchRequest& req, const Control& control) {
  const std::size_t total = req.subsets.size();
  std::vector<std::vector<double>> results(total);
  if (total == 0) return results;
  const std::size_t threads = threadsFor(control.maxThreads);

  // A subset identical to an earlier one is solved once. DSMI re-seeds Python's generator for
  // every cluster, so clusters of equal size draw the same random subsets: with balanced labels
  // (CIFAR-10's test set, 1000 per class) 50 of the 60 subsets of the default DSMI repeat.
  const std::vector<std::size_t> sameAs = firstOccurrences(req.subsets);

  // Largest first: the big eigenproblems take every core one at a time, then the small ones
  // share the cores, one single-threaded LAPACK call per core.
  std::vector<std::size_t> order;
  for (std::size_t s = 0; s < total; ++s)
    if (sameAs[s] == s) order.push_back(s);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return req.subsets[a].size > req.subsets[b].size; });
  const std::size_t unique = order.size();
  std::size_t firstSmall = 0;
  while (firstSmall < unique && (unique == 1 || req.subsets[order[firstSmall]].size >= kSharedCoresMin)) ++firstSmall;

  std::mutex progressMutex;
  std::size_t done = 0;
  auto finished = [&]() {
    if (!control.progress) return;
    std::lock_guard<std::mutex> lock(progressMutex);
    control.progress(++done, total);
  };

  linalg::BlasThreadsScope blasScope(static_cast<int>(threads));
  {
    Workspace ws;  // sizes descend: the first subset's buffer serves every later one
    for (std::size_t k = 0; k < firstSmall; ++k) {
      checkpoint(control.cancel);
      const std::size_t s = order[k];
      results[s] = solve(req, req.subsets[s], threads, control.cancel, ws, true);
      finished();
    }
  }
  if (firstSmall < unique) {
    linalg::setBlasThreads(1);
    std::vector<Workspace> ws(std::min(threads, unique - firstSmall));
    parallelFor(threads, unique - firstSmall, 1, [&](std::size_t k, std::size_t worker) {
      checkpoint(control.cancel);
      const std::size_t s = order[firstSmall + k];
      results[s] = solve(req, req.subsets[s], 1, control.cancel, ws[worker], false);
      finished();
    });
  }
  for (std::size_t s = 0; s < total; ++s) {
    if (sameAs[s] == s) continue;
    results[s] = results[sameAs[s]];
    finished();
  }
  return results;
}

double estimateSpectraBytes(const BatchRequest& req, std::size_t threads) {
  const double item = req.precision == Precision::Float32 ? 4.0 : 8.0;
  std::vector<double> sizes;
  for (const auto& s : req.subsets) sizes.push_back(static_cast<double>(s.size));
  std::sort(sizes.begin(), sizes.end(), std::greater<double>());
  // One subset of m rows: its kernel buffer (full, or in panels: layout.h), gathered rows,
  // eigenvalues and LAPACK workspace (dsyevd jobz=N: 2m+1); from kTwoStageMin the first stage's
  // workspace (LAPACK's sy2sb, or the panel reduction's 2 (m - kd) kd) and then the working band
  // ((2 kd + 1) m), kd <= 64.
  const bool symmetric = req.kernel.kind != KernelKind::Knn;
  auto subsetBytes = [&](double m) {
    const double entries = static_cast<double>(kernelLayout(req, static_cast<std::size_t>(m)).size());
    double bytes = entries * item + m * static_cast<double>(req.X.cols) * item + 8 * m * 8.0;
    if (m >= linalg::kTwoStageMin) bytes += 4.0 * 65 * m * item;
    return bytes;
  };
  double peak = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const double m = sizes[i];
    double one = subsetBytes(m);
    // dgeev: ~4m + its own m x m copy when a float32 kNN runs the float64 solver.
    if (!symmetric) one += m * m * 8.0 + threads * m * item;
    if (i == 0 || m >= kSharedCoresMin) peak = std::max(peak, one);
  }
  // The small subsets run `threads` at a time.
  double shared = 0;
  std::size_t counted = 0;
  for (double m : sizes) {
    if (m >= kSharedCoresMin && sizes.size() > 1) continue;
    if (counted++ == threads) break;
    shared += subsetBytes(m);
  }
  return std::max(peak, shared);
}

}  // namespace dse
