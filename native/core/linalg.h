// SPDX-License-Identifier: MIT
// Dense linear algebra used by the core. Every routine has two back ends: OpenBLAS/LAPACK
// (when DSE_HAVE_LAPACK is defined at build time) and Eigen's own solvers, so the addon
// builds and gives the same values on a machine without OpenBLAS, only slower.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "layout.h"

namespace dse {

// A failure of a numerical routine (LAPACK info != 0, no convergence). The binding maps it
// to DseError('ERR_DSE_NATIVE').
struct NumericError : std::runtime_error {
  explicit NumericError(const std::string& what) : std::runtime_error(what) {}
};

namespace linalg {

// From this size the symmetric eigenvalues use the two-stage reduction, below it dsyevd
// (linalg.cc has the measurements). Depends on n only, never on the thread count.
constexpr std::size_t kTwoStageMin = 1500;
// From this size the two-stage band is 64 wide (32 below) and symmetric kernels are built in
// panels (panelWidth).
constexpr std::size_t kPanelMin = 3000;
// Below this size xSYEVD runs on one thread (see symEigvals).
constexpr std::size_t kThreadedSyevdMin = 800;

// "OpenBLAS 0.3.21 (Cooperlake)" or "Eigen 3.4.0 (no BLAS)".
std::string blasName();
// "OpenBLAS LAPACK" or "Eigen".
std::string lapackName();
bool haveLapack();
// Threads OpenBLAS may use for one call (1 with Eigen).
int blasThreads();
void setBlasThreads(int n);

// Before a stage of the computation running on this thread: when it has a thread budget
// (BudgetScope), sets OpenBLAS's thread count to threadsNow(budget) for the stage. Returns the
// threads the stage may use (OpenBLAS's count).
std::size_t adaptThreads();

// Sets the BLAS thread count for a scope and restores the previous one when it ends (also by
// an exception). setBlasThreads may still change it inside the scope.
class BlasThreadsScope {
 public:
  explicit BlasThreadsScope(int n) : saved_(blasThreads()) { setBlasThreads(n); }
  ~BlasThreadsScope() { setBlasThreads(saved_); }
  BlasThreadsScope(const BlasThreadsScope&) = delete;
  BlasThreadsScope& operator=(const BlasThreadsScope&) = delete;

 private:
  int saved_;
};

// C = A A^T for a row-major A (n x d, row stride lda >= d). C is column-major n x n and only
// its lower triangle (C[i + j*n], i >= j) is written: half the flops and no transpose pass.
// Lower, not upper: LAPACK's reductions are faster from it (docs/internals/performance-history.md,
// "Lower triangle instead of upper").
// Blocks of single-threaded BLAS-3 calls on `threads` workers: the same bits for any count.
void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, double* C, std::size_t threads);
void gram(const float* A, std::size_t n, std::size_t d, std::size_t lda, float* C, std::size_t threads);

// Eigenvalues (ascending, into w[n]) of the symmetric column-major n x n matrix A, read from
// its lower triangle; A is destroyed.
// Chooses the fastest driver for n (dsyevd for small n, the 2-stage driver for large n).
void symEigvals(double* A, std::size_t n, double* w);
void symEigvals(float* A, std::size_t n, float* w);

// The panel width (layout.h) in which a symmetric n x n matrix should be built for
// symEigvalsPanels, or 0 where symEigvals on the full layout is the way: below kPanelMin, where
// the band is 32 wide and LAPACK's xSYTRD_SY2SB on full storage is faster than the panel
// reduction (docs/internals/performance-history.md, "The kernel in panels"), and without LAPACK.
std::size_t panelWidth(std::size_t n);
// gram() into a layout: with panels, one xGEMM per panel (the upper halves of the diagonal
// blocks are written too, and never read).
void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, double* C, const TriangleLayout& L,
          std::size_t threads);
void gram(const float* A, std::size_t n, std::size_t d, std::size_t lda, float* C, const TriangleLayout& L,
          std::size_t threads);
// A float32 kernel of a float64 X without a float32 copy of X: the Gram products of a panel
// layout in float64, 512 rows at a time, less shift[i] + shift[j] when `shift` is given, rounded
// into C.
void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, float* C, const TriangleLayout& L,
          std::size_t threads, const double* shift = nullptr);
// Eigenvalues (ascending, into w[L.n]) of the symmetric matrix whose lower triangle P holds in
// panels of width panelWidth(L.n); P is destroyed. The two-stage path of symEigvals with its
// first stage on the panels (linalg.cc, panelsToBand).
void symEigvalsPanels(double* P, const TriangleLayout& L, double* w);
void symEigvalsPanels(float* P, const TriangleLayout& L, float* w);

// The drivers symEigvals chooses between, callable one by one for bench/native/lapack-bench.cc:
// the two-stage reduction with band width kd, its bulge chasing pipelined over `workers`
// threads (the same bits for any number); and LAPACK's own xSYEVD (driver 0) or
// xSYEVD_2STAGE (driver 1). Without LAPACK all of them are Eigen's solver.
void symEigvalsTwoStage(double* A, std::size_t n, double* w, std::size_t kd, std::size_t workers);
void symEigvalsTwoStage(float* A, std::size_t n, float* w, std::size_t kd, std::size_t workers);
void symEigvalsLapack(double* A, std::size_t n, double* w, int driver);
void symEigvalsLapack(float* A, std::size_t n, float* w, int driver);

// Eigenvalues of a general (non-symmetric) column-major n x n matrix A (destroyed):
// real parts into wr[n], imaginary parts into wi[n], in LAPACK's order.
void generalEigvals(double* A, std::size_t n, double* wr, double* wi);

}  // namespace linalg
}  // namespace dse
