// SPDX-License-Identifier: MIT
#include "linalg.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include <Eigen/Dense>

#include "blas.h"
#include "parallel.h"
#include "threads.h"

namespace dse {
namespace linalg {

using blas::checkedInt;
using blas::checkInfo;

namespace {

// Driver by n only (never the thread count): dsyevd while the matrix fits in cache, the two-stage
// path (BLAS-3 band reduction, then bulge chasing) from kTwoStageMin; band width kd 32 below
// kPanelMin, 64 above (docs/internals/performance-history.md, "Eigenvalue drivers").
constexpr std::size_t bandWidth(std::size_t n) { return n < kPanelMin ? 32 : 64; }

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ColMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

template <typename T>
void gramEigen(const T* A, std::size_t n, std::size_t d, std::size_t lda, T* C) {
  Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>> a(A, n, d, Eigen::OuterStride<>(lda));
  Eigen::Map<ColMat<T>> c(C, n, n);
  c.setZero();
  c.template selfadjointView<Eigen::Lower>().rankUpdate(a);
}

template <typename T>
void symEigvalsEigen(T* A, std::size_t n, T* w) {
  Eigen::Map<ColMat<T>> a(A, n, n);
  // The core fills the lower triangle, which is what Eigen's solver reads.
  ColMat<T> full = a.template selfadjointView<Eigen::Lower>();
  Eigen::SelfAdjointEigenSolver<ColMat<T>> es(full, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) throw NumericError("Eigen::SelfAdjointEigenSolver failed to converge");
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(w, n) = es.eigenvalues();
}

// Column j of a float32 panel from its float64 Gram products: `count` entries, less
// shift[i] + shift[j] when a shift is given (gram()'s shift; si = shift of the first row).
inline void roundPanelColumn(const double* from, float* to, std::size_t count, const double* si, double sj) {
  if (!si) {
    for (std::size_t i = 0; i < count; ++i) to[i] = static_cast<float>(from[i]);
  } else {
    for (std::size_t i = 0; i < count; ++i) to[i] = static_cast<float>(from[i] - si[i] - sj);
  }
}

}  // namespace

#ifdef DSE_HAVE_LAPACK

bool haveLapack() { return true; }

std::string blasName() {
  std::string s = "OpenBLAS";
  const char* cfg = openblas_get_config();
  if (cfg) {
    // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64" -> keep the version.
    std::string c(cfg);
    auto sp = c.find(' ');
    if (sp != std::string::npos) {
      auto sp2 = c.find(' ', sp + 1);
      s += " " + c.substr(sp + 1, sp2 == std::string::npos ? std::string::npos : sp2 - sp - 1);
    }
  }
  const char* core = openblas_get_corename();
  if (core) s += std::string(" (") + core + ")";
  return s;
}

std::string lapackName() { return "OpenBLAS LAPACK"; }

int blasThreads() { return openblas_get_num_threads(); }
void setBlasThreads(int n) {
  // openblas_set_num_threads takes a lock and may start threads: only call it for a change.
  if (n != openblas_get_num_threads()) openblas_set_num_threads(std::max(1, n));
}

namespace {
// The Gram products in blocks fixed by n alone, each one single-threaded BLAS call, the blocks
// spread over the threads: every entry is then the same bits for any thread count, where
// OpenBLAS's own threaded xSYRK moves float32 entries in the last bit between 1 and 2 threads,
// and a value would depend on the machine's load (docs/internals/determinism.md).
constexpr std::size_t kGramBlock = 128;

// Full layout: block b is columns [j0, j1) of the lower triangle: its diagonal block by xSYRK
// (lower), the rows below it by one xGEMM.
template <typename T>
void gramFull(const T* A, std::size_t n, std::size_t d, std::size_t lda, T* C, std::size_t threads) {
  const int K = checkedInt(d, "columns"), LDA = checkedInt(std::max<std::size_t>(lda, 1), "row stride"),
            LDC = checkedInt(std::max<std::size_t>(n, 1), "rows");
  const T one = 1, zero = 0;
  const std::size_t blocks = (n + kGramBlock - 1) / kGramBlock;
  BlasThreadsScope single(1);
  parallelFor(threads, blocks, 1, [&](std::size_t b, std::size_t) {
    const std::size_t j0 = b * kGramBlock, j1 = std::min(n, j0 + kGramBlock);
    const int w = static_cast<int>(j1 - j0), below = static_cast<int>(n - j1);
    T* diag = C + j0 + j0 * n;
    blas::syrk("L", "T", &w, &K, &one, A + j0 * lda, &LDA, &zero, diag, &LDC);
    if (below)
      blas::gemm("T", "N", &below, &w, &K, &one, A + j1 * lda, &LDA, A + j0 * lda, &LDA, &zero, diag + w, &LDC);
  });
}
}  // namespace

void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, double* C, std::size_t threads) {
  gramFull<double>(A, n, d, lda, C, threads);
}
void gram(const float* A, std::size_t n, std::size_t d, std::size_t lda, float* C, std::size_t threads) {
  gramFull<float>(A, n, d, lda, C, threads);
}

namespace {
// xSYEVD (twoStage: xSYEVD_2STAGE), eigenvalues only, lower triangle.
template <typename T>
void runSyevd(bool twoStage, T* A, std::size_t n, T* w) {
  constexpr bool dbl = std::is_same<T, double>::value;
  const char* name = twoStage ? (dbl ? "dsyevd_2stage" : "ssyevd_2stage") : (dbl ? "dsyevd" : "ssyevd");
  const int N = checkedInt(n, "matrix size");
  const int lda = std::max(1, N);
  int info = 0, lwork = -1, liwork = -1, iwq = 0;
  T wq = 0;
  blas::syevd(twoStage, "N", "L", &N, A, &lda, w, &wq, &lwork, &iwq, &liwork, &info);
  checkInfo(info, name);
  lwork = std::max(1, static_cast<int>(wq));
  liwork = std::max(1, iwq);
  std::vector<T> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  blas::syevd(twoStage, "N", "L", &N, A, &lda, w, work.data(), &lwork, iwork.data(), &liwork, &info);
  checkInfo(info, name);
}
}  // namespace

void symEigvalsLapack(double* A, std::size_t n, double* w, int driver) {
  if (n) runSyevd<double>(driver == 1, A, n, w);
}
void symEigvalsLapack(float* A, std::size_t n, float* w, int driver) {
  if (n) runSyevd<float>(driver == 1, A, n, w);
}

namespace {
// The cores the eigensolver may use: OpenBLAS's thread count, which runSpectra sets (all cores
// for a subset that runs alone, 1 for subsets that run side by side), re-decided for the
// computation's budget if it has one.
std::size_t solverThreads() { return static_cast<std::size_t>(std::max(1, blasThreads())); }
bool useTwoStage(std::size_t n) { return n >= kTwoStageMin; }

template <typename T>
void symEigvalsOf(T* A, std::size_t n, T* w) {
  if (n == 0) return;
  // xSYEVD's tridiagonal reduction hands work between OpenBLAS's threads twice per column: below
  // kThreadedSyevdMin one thread is as fast, and nothing waits on another (nor on a look at the load).
  if (n < kThreadedSyevdMin) {
    BlasThreadsScope one(1);
    runSyevd<T>(false, A, n, w);
    return;
  }
  const std::size_t threads = adaptThreads();
  if (useTwoStage(n)) symEigvalsTwoStage(A, n, w, bandWidth(n), threads);
  else runSyevd<T>(false, A, n, w);
}
}  // namespace

std::size_t adaptThreads() {
  const std::size_t budget = currentBudget();
  if (budget == 0) return solverThreads();
  const std::size_t t = threadsNow(budget);
  setBlasThreads(static_cast<int>(t));
  return t;
}

void symEigvals(double* A, std::size_t n, double* w) { symEigvalsOf<double>(A, n, w); }
void symEigvals(float* A, std::size_t n, float* w) { symEigvalsOf<float>(A, n, w); }

std::size_t panelWidth(std::size_t n) { return n >= kPanelMin ? bandWidth(n) : 0; }

namespace {
// Panel J = rows [J b, n) of A times rows [J b, J b + w) of A, transposed: one single-threaded
// xGEMM each, the panels spread over the threads (the same bits for any count, as gramFull).
template <typename T>
void gramPanels(const T* A, std::size_t d, std::size_t lda, T* C, const TriangleLayout& L, std::size_t threads) {
  const int K = checkedInt(d, "columns"), LDA = checkedInt(std::max<std::size_t>(lda, 1), "row stride");
  const T one = 1, zero = 0;
  BlasThreadsScope single(1);
  parallelFor(threads, L.panelCount(), 1, [&](std::size_t J, std::size_t) {
    const int rows = checkedInt(L.panelRows(J), "rows"), cols = static_cast<int>(L.panelColumns(J));
    const T* first = A + J * L.panel * lda;
    blas::gemm("T", "N", &rows, &cols, &K, &one, first, &LDA, first, &LDA, &zero, C + L.panelOffset(J), &rows);
  });
}
}  // namespace

void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, double* C, const TriangleLayout& L,
          std::size_t threads) {
  if (L.isFull()) gram(A, n, d, lda, C, threads);
  else gramPanels<double>(A, d, lda, C, L, threads);
}
void gram(const float* A, std::size_t n, std::size_t d, std::size_t lda, float* C, const TriangleLayout& L,
          std::size_t threads) {
  if (L.isFull()) gram(A, n, d, lda, C, threads);
  else gramPanels<float>(A, d, lda, C, L, threads);
}

void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, float* C, const TriangleLayout& L,
          std::size_t threads, const double* shift) {
  // Row chunks of each panel in float64 (dgemm, single-threaded), shifted, rounded into the
  // float32 panel; the panels spread over the threads, a chunk buffer each.
  if (L.isFull() || L.n != n) throw std::logic_error("gram: a float64 X takes a panel layout of its n rows");
  const int K = checkedInt(d, "columns"), LDA = checkedInt(std::max<std::size_t>(lda, 1), "row stride");
  const double one = 1, zero = 0;
  constexpr std::size_t kChunk = 512;
  const std::size_t workers = std::max<std::size_t>(1, std::min(threads, L.panelCount()));
  std::vector<std::vector<double>> chunks(workers, std::vector<double>(kChunk * L.panel));
  BlasThreadsScope single(1);
  parallelFor(workers, L.panelCount(), 1, [&](std::size_t J, std::size_t worker) {
    double* chunk = chunks[worker].data();
    const std::size_t rows = L.panelRows(J), first = J * L.panel;
    const int cols = static_cast<int>(L.panelColumns(J));
    float* panel = C + L.panelOffset(J);
    for (std::size_t r = 0; r < rows; r += kChunk) {
      const int c = static_cast<int>(std::min(kChunk, rows - r));
      blas::gemm("T", "N", &c, &cols, &K, &one, A + (first + r) * lda, &LDA, A + first * lda, &LDA, &zero, chunk, &c);
      for (int j = 0; j < cols; ++j)
        roundPanelColumn(chunk + static_cast<std::size_t>(j) * c, panel + r + static_cast<std::size_t>(j) * rows,
                         static_cast<std::size_t>(c), shift ? shift + first + r : nullptr,
                         shift ? shift[first + j] : 0);
    }
  });
}

void generalEigvals(double* A, std::size_t n, double* wr, double* wi) {
  if (n == 0) return;
  const int N = checkedInt(n, "matrix size");
  const int one = 1;
  int info = 0, lwork = -1;
  double wq = 0, dummy = 0;
  blas::geev("N", "N", &N, A, &N, wr, wi, &dummy, &one, &dummy, &one, &wq, &lwork, &info);
  checkInfo(info, "dgeev");
  lwork = std::max(1, static_cast<int>(wq));
  std::vector<double> work(static_cast<std::size_t>(lwork));
  blas::geev("N", "N", &N, A, &N, wr, wi, &dummy, &one, &dummy, &one, work.data(), &lwork, &info);
  checkInfo(info, "dgeev");
}

#else  // Eigen only

bool haveLapack() { return false; }
std::string blasName() {
  return "none (Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
         std::to_string(EIGEN_MINOR_VERSION) + ")";
}
std::string lapackName() { return "Eigen"; }
int blasThreads() { return 1; }
void setBlasThreads(int) {}
std::size_t adaptThreads() { return 1; }

// Eigen's products here are single-threaded: the same bits for any thread count as they are.
void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, double* C, std::size_t) {
  gramEigen(A, n, d, lda, C);
}
void gram(const float* A, std::size_t n, std::size_t d, std::size_t lda, float* C, std::size_t) {
  gramEigen(A, n, d, lda, C);
}
void symEigvals(double* A, std::size_t n, double* w) {
  if (n) symEigvalsEigen(A, n, w);
}
void symEigvals(float* A, std::size_t n, float* w) {
  if (n) symEigvalsEigen(A, n, w);
}
void symEigvalsTwoStage(double* A, std::size_t n, double* w, std::size_t, std::size_t) { symEigvals(A, n, w); }
void symEigvalsTwoStage(float* A, std::size_t n, float* w, std::size_t, std::size_t) { symEigvals(A, n, w); }
void symEigvalsLapack(double* A, std::size_t n, double* w, int) { symEigvals(A, n, w); }
void symEigvalsLapack(float* A, std::size_t n, float* w, int) { symEigvals(A, n, w); }
std::size_t panelWidth(std::size_t) { return 0; }

namespace {
// Without LAPACK nothing asks for panels (panelWidth is 0); these keep the interface whole.
template <typename T>
void gramPanelsEigen(const T* A, std::size_t d, std::size_t lda, T* C, const TriangleLayout& L) {
  Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>> a(A, L.n, d, Eigen::OuterStride<>(lda));
  for (std::size_t J = 0; J < L.panelCount(); ++J) {
    const auto r = static_cast<Eigen::Index>(L.panelRows(J)), c = static_cast<Eigen::Index>(L.panelColumns(J));
    const auto first = static_cast<Eigen::Index>(J * L.panel);
    Eigen::Map<ColMat<T>>(C + L.panelOffset(J), r, c).noalias() =
        a.middleRows(first, r) * a.middleRows(first, c).transpose();
  }
}
template <typename T>
void panelEigvalsEigen(T* P, const TriangleLayout& L, T* w) {
  ColMat<T> full(L.n, L.n);
  for (std::size_t j = 0; j < L.n; ++j)
    for (std::size_t i = j; i < L.n; ++i) full(i, j) = P[L.column(j) + i];
  symEigvalsEigen(full.data(), L.n, w);
}
}  // namespace

void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, double* C, const TriangleLayout& L,
          std::size_t) {
  if (L.isFull()) gramEigen(A, n, d, lda, C);
  else gramPanelsEigen(A, d, lda, C, L);
}
void gram(const float* A, std::size_t n, std::size_t d, std::size_t lda, float* C, const TriangleLayout& L,
          std::size_t) {
  if (L.isFull()) gramEigen(A, n, d, lda, C);
  else gramPanelsEigen(A, d, lda, C, L);
}
void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, float* C, const TriangleLayout& L,
          std::size_t, const double* shift) {
  if (L.isFull() || L.n != n) throw std::logic_error("gram: a float64 X takes a panel layout of its n rows");
  std::vector<double> P(L.size());
  gramPanelsEigen(A, d, lda, P.data(), L);
  for (std::size_t J = 0; J < L.panelCount(); ++J) {
    const std::size_t rows = L.panelRows(J), first = J * L.panel, offset = L.panelOffset(J);
    for (std::size_t j = 0; j < L.panelColumns(J); ++j)
      roundPanelColumn(P.data() + offset + j * rows, C + offset + j * rows, rows, shift ? shift + first : nullptr,
                       shift ? shift[first + j] : 0);
  }
}
void symEigvalsPanels(double* P, const TriangleLayout& L, double* w) {
  if (L.n) panelEigvalsEigen(P, L, w);
}
void symEigvalsPanels(float* P, const TriangleLayout& L, float* w) {
  if (L.n) panelEigvalsEigen(P, L, w);
}

void generalEigvals(double* A, std::size_t n, double* wr, double* wi) {
  if (n == 0) return;
  Eigen::Map<ColMat<double>> a(A, n, n);
  Eigen::EigenSolver<ColMat<double>> es(ColMat<double>(a), false);
  if (es.info() != Eigen::Success) throw NumericError("Eigen::EigenSolver failed to converge");
  for (std::size_t i = 0; i < n; ++i) {
    wr[i] = es.eigenvalues()[static_cast<Eigen::Index>(i)].real();
    wi[i] = es.eigenvalues()[static_cast<Eigen::Index>(i)].imag();
  }
}

#endif

}  // namespace linalg
}  // namespace dse
