// SPDX-License-Identifier: MIT
// The two-stage path of the symmetric eigenvalues (linalg.h: symEigvalsTwoStage, symEigvalsPanels,
// and symEigvals from kTwoStageMin): LAPACK's xSYTRD_SY2SB (or panelsToBand on a panel layout) to
// a band, the bulge chasing pipelined over the cores with our tasks (bulge.cc), then xSTERF.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include "linalg.h"

#ifdef DSE_HAVE_LAPACK
#include "blas.h"
#include "bulge.h"
#include "cancel.h"
#include "threads.h"

namespace dse {
namespace linalg {

using blas::checkedInt;
using blas::checkInfo;

namespace {

// Each worker publishes its progress as (sweep << 32) | tasks done, on its own cache line:
// the sweep is the last one of the group it is working on, the only one another worker waits
// for. A finished sweep reads as kSweepDone tasks done.
struct alignas(64) SweepProgress {
  std::atomic<std::uint64_t> value{0};
};
constexpr std::uint32_t kSweepDone = 0x7fffffff;
// Consecutive sweeps per group: a sweep works on the data the previous sweep has just left, so
// the sweeps of a group stay on one core (in its cache) and only the group boundary is handed
// between cores.
constexpr int kSweepGroup = 16;

// One more look at another worker's progress: spin first (on an idle machine the wait is a few
// microseconds), then give the core away, then sleep: on busy cores the worker waited for may be
// off its core for a whole time slice, and a waiter that keeps spinning or yielding takes cycles
// from it and from everything else (docs/internals/performance-history.md, "Beside a trainer: busy cores").
inline void waitBriefly(unsigned spins) {
  if (spins <= 256) return;
  if (spins <= 320) std::this_thread::yield();
  else std::this_thread::sleep_for(std::chrono::microseconds(50));
}

// Tasks done by sweep s (1-based) as seen through a worker's slot; kSweepDone once finished.
inline std::uint32_t sweepTasksDone(const SweepProgress& slot, std::uint32_t s) {
  const std::uint64_t v = slot.value.load(std::memory_order_acquire);
  const auto sweep = static_cast<std::uint32_t>(v >> 32);
  if (sweep > s) return kSweepDone;  // that worker has moved on to a later group
  if (sweep < s) return 0;           // not started yet
  return static_cast<std::uint32_t>(v);
}

// The bulge chasing's working array, zeroed: (2 kd + 1) x n, the lower band in LAPACK band storage
// in its first kd + 1 rows (A(i, j) at [i - j + j (2 kd + 1)]), kd rows of room for the bulges
// below it. The first stage writes its band straight into it.
template <typename T>
std::vector<T> workingBand(int n, int kd) {
  return std::vector<T>(static_cast<std::size_t>(2 * kd + 1) * static_cast<std::size_t>(n), T(0));
}

// Band to tridiagonal (LAPACK's xSYTRD_SB2ST, eigenvalues only), the bulge chasing spread over
// `workers` threads as LAPACK's OpenMP build spreads it with tasks (the pthread build of OpenBLAS
// runs it on one core): task k of sweep s may run once sweep s - 1 has done task k + 2 (LAPACK's
// SHIFT = 3 dependency). Groups of kSweepGroup consecutive sweeps go to the workers in turn; a
// worker runs its group's tasks in LAPACK's sequential (wavefront) order, and only the group's
// first sweep waits for the other worker. Every task sees exactly the data it would see
// sequentially, so d and e are the same bits for any number of workers (bench/native:
// `run-lapack-bench.sh N 1 verify`). The tasks are ours (bulge.cc), not LAPACK's
// xSB2ST_KERNELS: the same transformations, faster (docs/internals/performance-history.md,
// "Our own bulge-chasing tasks").
// A: the working band (workingBand), destroyed. d[n], e[n - 1] out.
template <typename T>
void bandToTridiagonal(std::vector<T>& A, int n, int kd, T* d, T* e, std::size_t workers) {
  const int lda = 2 * kd + 1;
  // Householder vectors and scalars of the current sweeps (two halves: odd and even sweeps).
  std::vector<T> V(2 * static_cast<std::size_t>(n) + 1), tau(2 * static_cast<std::size_t>(n) + 1);
  const int sweeps = n - 1;
  const std::size_t groups = static_cast<std::size_t>((sweeps + kSweepGroup - 1) / kSweepGroup);
  workers = std::max<std::size_t>(1, std::min(workers, groups));
  std::vector<SweepProgress> progress(workers);
  std::atomic<bool> failed{false};
  const CancelFlag cancel = currentCancel();

  auto runWorker = [&](std::size_t w) {
    std::vector<T> work(static_cast<std::size_t>(kd));
    SweepProgress& mine = progress[w];
    const SweepProgress& prev = progress[(w + workers - 1) % workers];
    for (int first = 1 + static_cast<int>(w) * kSweepGroup; first <= sweeps;
         first += static_cast<int>(workers) * kSweepGroup) {
      if (isCancelled(cancel)) {
        failed = true;
        return;
      }
      const int last = std::min(first + kSweepGroup - 1, sweeps);
      mine.value.store(static_cast<std::uint64_t>(last) << 32, std::memory_order_release);
      // LAPACK's loop nest (I, M, SWEEPID), restricted to this group's sweeps.
      int open = first;  // the first sweep of the group not yet finished
      for (int i = first; open <= last; ++i) {
        const int upto = std::min(i, last);
        for (int m = 1; m <= 3; ++m) {
          for (int s = open; s <= upto; ++s) {
            const int myid = (i - s) * 3 + m;
            if (s == first && first > 1 && workers > 1) {
              // Wait until sweep first - 1 (the other worker's) has done task myid + 2.
              unsigned spins = 0;
              while (sweepTasksDone(prev, static_cast<std::uint32_t>(first - 1)) <
                     static_cast<std::uint32_t>(myid + 2)) {
                if (failed.load(std::memory_order_relaxed)) return;
                waitBriefly(++spins);
              }
            }
            const bulge::TaskShape t = bulge::taskShape(myid, s, n, kd);
            bulge::task(t.ttype, t.st, t.ed, s, n, kd, A.data(), lda, V.data(), tau.data(), work.data());
            const bool done = t.last;
            if (s == last)
              mine.value.store(
                  (static_cast<std::uint64_t>(last) << 32) | (done ? kSweepDone : static_cast<std::uint32_t>(myid)),
                  std::memory_order_release);
            if (done) ++open;  // sweeps finish in order, as LAPACK's STT assumes
          }
        }
      }
    }
  };
  if (workers == 1) {
    runWorker(0);
  } else {
    std::vector<std::thread> pool;
    std::exception_ptr error;
    try {
      for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(runWorker, w);
    } catch (...) {
      error = std::current_exception();
      failed = true;
    }
    if (!error) runWorker(0);
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
  }
  checkpoint(cancel);
  for (int i = 0; i < n; ++i) d[i] = A[static_cast<std::size_t>(i) * lda];
  for (int i = 0; i + 1 < n; ++i) e[i] = A[static_cast<std::size_t>(i) * lda + 1];
}

// Eigenvalues (ascending, into w[n]) of the band in A (workingBand): bulge chasing, then xSTERF.
template <typename T>
void bandEigvals(std::vector<T>& A, int n, int kd, T* w, std::size_t workers) {
  if (currentBudget()) workers = adaptThreads();
  std::vector<T> e(static_cast<std::size_t>(n));
  bandToTridiagonal<T>(A, n, kd, w, e.data(), workers);
  int info = 0;
  blas::sterf(&n, w, e.data(), &info);
  checkInfo(info, "xsterf");
}

template <typename T>
void twoStageEigvals(T* A, std::size_t n, T* w, std::size_t kd, std::size_t workers) {
  const int N = checkedInt(n, "matrix size");
  int KD = static_cast<int>(std::min<std::size_t>(kd, n > 1 ? n - 1 : 1));
  if (N < 3 || KD < 2) {
    // Too small for a band worth chasing: LAPACK's one-stage driver.
    symEigvalsLapack(A, n, w, 0);
    return;
  }
  const int ldab = 2 * KD + 1;
  std::vector<T> AB = workingBand<T>(N, KD), tau(n);
  int info = 0, lwork = -1;
  T wq = 0;
  blas::sytrdSy2sb("L", &N, &KD, A, &N, AB.data(), &ldab, tau.data(), &wq, &lwork, &info);
  checkInfo(info, "xsytrd_sy2sb");
  lwork = std::max(1, static_cast<int>(wq));
  {
    std::vector<T> work(static_cast<std::size_t>(lwork));
    blas::sytrdSy2sb("L", &N, &KD, A, &N, AB.data(), &ldab, tau.data(), work.data(), &lwork, &info);
    checkInfo(info, "xsytrd_sy2sb");
  }
  bandEigvals<T>(AB, N, KD, w, workers);
}

// The first stage on a panel layout (layout.h, panel width = band width kd): the lower band of
// Q^T A Q, A read from and destroyed in P, returned in a workingBand. The same reduction as
// LAPACK's xSYTRD_SY2SB, step by step: for each panel J with rows below its diagonal block, a QR
// factorisation of that block B = Q R (xGEQRF; R joins the band), then the two-sided update of
// the trailing matrix A22 (the panels after J) by Q = I - V T V^T (xLARFT): X = A22 V T,
// W = X - V (T^T V^T X) / 2, A22 -= V W^T + W V^T. LAPACK does the products with one xSYMM and
// one xSYR2K on the full-storage A22; here each panel of A22 takes a few xGEMM calls (and xSYMM /
// xSYR2K for its diagonal block), with OpenBLAS's threads: as fast as LAPACK's at n = 3000-10000
// with kd = 64 (docs/internals/performance-history.md, "The kernel in panels"), and the matrix
// never exists in full storage. Workspace: V and X, 2 (n - kd) kd entries, freed before the band
// is allocated.
template <typename T>
std::vector<T> panelsToBand(T* P, const TriangleLayout& L) {
  const int n = checkedInt(L.n, "matrix size"), b = checkedInt(L.panel, "band width");
  const int panels = static_cast<int>(L.panelCount());
  const T one = 1, zero = 0, minusOne = -1, minusHalf = T(-0.5);
  // Panel J's first entry, leading dimension (rows) and columns, as the layout places them.
  auto at = [&](int J) { return P + L.panelOffset(static_cast<std::size_t>(J)); };
  auto ld = [&](int J) { return static_cast<int>(L.panelRows(static_cast<std::size_t>(J))); };
  auto width = [&](int J) { return static_cast<int>(L.panelColumns(static_cast<std::size_t>(J))); };
  {
    std::vector<T> tau(static_cast<std::size_t>(b)), Tf(static_cast<std::size_t>(b) * b),
        Z(static_cast<std::size_t>(b) * b);
    int info = 0, lwork = -1;
    if (n > b) {
      T wq = 0;
      const int m0 = n - b;
      blas::geqrf(&m0, &b, P + b, &m0, tau.data(), &wq, &lwork, &info);
      checkInfo(info, "xgeqrf");
      lwork = std::max(1, static_cast<int>(wq));
    }
    std::vector<T> work(static_cast<std::size_t>(std::max(1, lwork)));
    std::vector<T> U(n > b ? 2 * static_cast<std::size_t>(n - b) * b : 0);  // [V X], m x 2k
    std::vector<T> S(2 * static_cast<std::size_t>(b) * b);
    for (int J = 0; (J + 1) * b < n; ++J) {
      checkpoint();
      if (J % 8 == 0 && currentBudget()) adaptThreads();
      const int m = ld(J + 1), ldJ = ld(J);
      T* Bj = at(J) + b;  // the m x b block below panel J's diagonal block
      blas::geqrf(&m, &b, Bj, &ldJ, tau.data(), work.data(), &lwork, &info);
      checkInfo(info, "xgeqrf");
      const int k = std::min(m, b);  // reflectors
      blas::larft("F", "C", &m, &k, Bj, &ldJ, tau.data(), Tf.data(), &b);
      const std::size_t mk = static_cast<std::size_t>(m) * k;
      T* V = U.data();
      T* X = V + mk;
      for (int c = 0; c < k; ++c) {  // V: unit lower trapezoidal, explicit zeros above
        T* v = V + static_cast<std::size_t>(c) * m;
        const T* src = Bj + static_cast<std::size_t>(c) * ldJ;
        std::fill(v, v + c, T(0));
        v[c] = T(1);
        std::copy(src + c + 1, src + m, v + c + 1);
      }
      std::fill(X, X + mk, T(0));
      // X = A22 V. Panel K of A22 starts at A22's row r0: its diagonal block D (w x w) and the
      // block below it, E (r x w), give X[r0..] += D V[r0..], X[below] += E V[r0..] and
      // X[r0..] += E^T V[below].
      for (int K = J + 1; K < panels; ++K) {
        const int r0 = (K - J - 1) * b, w = width(K), ldK = ld(K), r = m - r0 - w;
        const T* D = at(K);
        blas::symm("L", "L", &w, &k, &one, D, &ldK, V + r0, &m, &one, X + r0, &m);
        if (r > 0) {
          blas::gemm("N", "N", &r, &k, &w, &one, D + w, &ldK, V + r0, &m, &one, X + r0 + w, &m);
          blas::gemm("T", "N", &w, &k, &r, &one, D + w, &ldK, V + r0 + w, &m, &one, X + r0, &m);
        }
      }
      // X = A22 V T, then W = X - V (T^T (V^T X)) / 2, in X.
      blas::trmm("R", "U", "N", "N", &m, &k, &one, Tf.data(), &b, X, &m);
      blas::gemm("T", "N", &k, &k, &m, &one, V, &m, X, &m, &zero, Z.data(), &k);
      blas::trmm("L", "U", "T", "N", &k, &k, &one, Tf.data(), &b, Z.data(), &k);
      blas::gemm("N", "N", &m, &k, &k, &minusHalf, V, &m, Z.data(), &k, &one, X, &m);
      // A22 -= V W^T + W V^T, panel by panel: xSYR2K on the diagonal block, and below it one
      // xGEMM of inner dimension 2k, [V W] (U's rows, as they lie) times [W V] (the block's rows,
      // copied into S) transposed: two of inner dimension k were slower (docs/internals/performance-history.md,
      // "The kernel in panels").
      const int k2 = 2 * k;
      for (int K = J + 1; K < panels; ++K) {
        const int r0 = (K - J - 1) * b, w = width(K), ldK = ld(K), r = m - r0 - w;
        T* D = at(K);
        blas::syr2k("L", "N", &w, &k, &minusOne, V + r0, &m, X + r0, &m, &one, D, &ldK);
        if (r <= 0) continue;
        for (int c = 0; c < k; ++c) {
          std::copy(X + r0 + static_cast<std::size_t>(c) * m, X + r0 + w + static_cast<std::size_t>(c) * m,
                    S.data() + static_cast<std::size_t>(c) * w);
          std::copy(V + r0 + static_cast<std::size_t>(c) * m, V + r0 + w + static_cast<std::size_t>(c) * m,
                    S.data() + static_cast<std::size_t>(c + k) * w);
        }
        blas::gemm("N", "T", &r, &w, &k2, &minusOne, V + r0 + w, &m, S.data(), &w, &one, D + w, &ldK);
      }
    }
  }
  // Column j of the band: its diagonal block's lower part, then R's column (upper triangular),
  // all within 2 kd rows of panel J.
  std::vector<T> A = workingBand<T>(n, b);
  const std::size_t lda = 2 * static_cast<std::size_t>(b) + 1;
  for (int j = 0; j < n; ++j) {
    const T* col = P + L.column(static_cast<std::size_t>(j));
    std::copy(col + j, col + std::min(n, j + b + 1), A.data() + static_cast<std::size_t>(j) * lda);
  }
  return A;
}

template <typename T>
void panelEigvals(T* P, const TriangleLayout& L, T* w, std::size_t workers) {
  std::vector<T> A = panelsToBand<T>(P, L);
  bandEigvals<T>(A, checkedInt(L.n, "matrix size"), checkedInt(L.panel, "band width"), w, workers);
}

}  // namespace

void symEigvalsTwoStage(double* A, std::size_t n, double* w, std::size_t kd, std::size_t workers) {
  if (n) twoStageEigvals<double>(A, n, w, kd, workers);
}
void symEigvalsTwoStage(float* A, std::size_t n, float* w, std::size_t kd, std::size_t workers) {
  if (n) twoStageEigvals<float>(A, n, w, kd, workers);
}

void symEigvalsPanels(double* P, const TriangleLayout& L, double* w) {
  if (L.n) panelEigvals<double>(P, L, w, static_cast<std::size_t>(std::max(1, blasThreads())));
}
void symEigvalsPanels(float* P, const TriangleLayout& L, float* w) {
  if (L.n) panelEigvals<float>(P, L, w, static_cast<std::size_t>(std::max(1, blasThreads())));
}

}  // namespace linalg
}  // namespace dse
#endif
