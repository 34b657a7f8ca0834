// SPDX-License-Identifier: MIT
#include "linalg.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <vector>

#include <Eigen/Dense>

#ifdef DSE_HAVE_LAPACK
// OpenBLAS ships no LAPACKE here, so the Fortran symbols are called directly: column-major,
// every argument by pointer, and gfortran's hidden string-length arguments at the end (leaving
// them out is undefined behaviour that real LAPACK builds have been seen to trip over).
using flen = std::size_t;
extern "C" {
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* beta, double* c, const int* ldc, flen, flen);
void ssyrk_(const char* uplo, const char* trans, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* beta, float* c, const int* ldc, flen, flen);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info, flen, flen);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info, flen, flen);
void dsyevd_2stage_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                    double* work, const int* lwork, int* iwork, const int* liwork, int* info, flen, flen);
void ssyevd_2stage_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
                    float* work, const int* lwork, int* iwork, const int* liwork, int* info, flen, flen);
void dgeev_(const char* jobvl, const char* jobvr, const int* n, double* a, const int* lda, double* wr,
            double* wi, double* vl, const int* ldvl, double* vr, const int* ldvr, double* work,
            const int* lwork, int* info, flen, flen);
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a, const int* lda,
             const double* vl, const double* vu, const int* il, const int* iu, const double* abstol, int* m,
             double* w, double* z, const int* ldz, int* isuppz, double* work, const int* lwork, int* iwork,
             const int* liwork, int* info, flen, flen, flen);
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}
#endif

namespace dse {
namespace linalg {

namespace {

int checkedInt(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw NumericError(std::string(what) + " is too large for LAPACK's 32-bit integers");
  }
  return static_cast<int>(n);
}

[[maybe_unused]] void checkInfo(int info, const char* routine) {
  if (info == 0) return;
  if (info < 0) throw NumericError(std::string(routine) + ": argument " + std::to_string(-info) + " had an illegal value");
  throw NumericError(std::string(routine) + " failed to converge (info = " + std::to_string(info) + ")");
}

// Above this size the 2-stage tridiagonal reduction (BLAS-3 to band, then bulge chasing) beats
// dsyevd's one-stage reduction here: measured 3.8 s -> 2.85 s at n = 4000 on two cores, while
// at n <= 1000 it is 1.5-2x slower (docs/performance.md).
constexpr std::size_t kTwoStageMin = 2000;

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ColMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

template <typename T>
void gramEigen(const T* A, std::size_t n, std::size_t d, std::size_t lda, T* C) {
  Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>> a(A, n, d, Eigen::OuterStride<>(lda));
  Eigen::Map<ColMat<T>> c(C, n, n);
  c.setZero();
  c.template selfadjointView<Eigen::Upper>().rankUpdate(a);
}

template <typename T>
void symEigvalsEigen(T* A, std::size_t n, T* w) {
  Eigen::Map<ColMat<T>> a(A, n, n);
  // The core fills the upper triangle; Eigen's solver reads the lower one.
  ColMat<T> full = a.template selfadjointView<Eigen::Upper>();
  Eigen::SelfAdjointEigenSolver<ColMat<T>> es(full, Eigen::EigenvaluesOnly);
  if (es.info() != Eigen::Success) throw NumericError("Eigen::SelfAdjointEigenSolver failed to converge");
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>(w, n) = es.eigenvalues();
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
void setBlasThreads(int n) { openblas_set_num_threads(std::max(1, n)); }

void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, double* C) {
  // Row-major A (n x d) is column-major A^T (d x n): C = (A^T)^T A^T, upper triangle.
  const int N = checkedInt(n, "rows"), K = checkedInt(d, "columns"), LDA = checkedInt(std::max<std::size_t>(lda, 1), "row stride");
  const double one = 1, zero = 0;
  dsyrk_("U", "T", &N, &K, &one, A, &LDA, &zero, C, &N, 1, 1);
}

void gram(const float* A, std::size_t n, std::size_t d, std::size_t lda, float* C) {
  const int N = checkedInt(n, "rows"), K = checkedInt(d, "columns"), LDA = checkedInt(std::max<std::size_t>(lda, 1), "row stride");
  const float one = 1, zero = 0;
  ssyrk_("U", "T", &N, &K, &one, A, &LDA, &zero, C, &N, 1, 1);
}

namespace {
template <typename T, typename Fn>
void runSyevd(Fn fn, const char* name, T* A, std::size_t n, T* w) {
  const int N = checkedInt(n, "matrix size");
  const int lda = std::max(1, N);
  int info = 0, lwork = -1, liwork = -1, iwq = 0;
  T wq = 0;
  fn("N", "U", &N, A, &lda, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
  checkInfo(info, name);
  lwork = std::max(1, static_cast<int>(wq));
  liwork = std::max(1, iwq);
  std::vector<T> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  fn("N", "U", &N, A, &lda, w, work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  checkInfo(info, name);
}
}  // namespace

void symEigvals(double* A, std::size_t n, double* w) {
  if (n == 0) return;
  if (n >= kTwoStageMin) runSyevd<double>(dsyevd_2stage_, "dsyevd_2stage", A, n, w);
  else runSyevd<double>(dsyevd_, "dsyevd", A, n, w);
}

void symEigvals(float* A, std::size_t n, float* w) {
  if (n == 0) return;
  if (n >= kTwoStageMin) runSyevd<float>(ssyevd_2stage_, "ssyevd_2stage", A, n, w);
  else runSyevd<float>(ssyevd_, "ssyevd", A, n, w);
}

void generalEigvals(double* A, std::size_t n, double* wr, double* wi) {
  if (n == 0) return;
  const int N = checkedInt(n, "matrix size");
  const int one = 1;
  int info = 0, lwork = -1;
  double wq = 0, dummy = 0;
  dgeev_("N", "N", &N, A, &N, wr, wi, &dummy, &one, &dummy, &one, &wq, &lwork, &info, 1, 1);
  checkInfo(info, "dgeev");
  lwork = std::max(1, static_cast<int>(wq));
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dgeev_("N", "N", &N, A, &N, wr, wi, &dummy, &one, &dummy, &one, work.data(), &lwork, &info, 1, 1);
  checkInfo(info, "dgeev");
}

void symEigTop(double* A, std::size_t n, std::size_t k, double* w, double* Z) {
  if (n == 0 || k == 0) return;
  const int N = checkedInt(n, "matrix size");
  const int il = N - static_cast<int>(k) + 1, iu = N;
  const double vl = 0, vu = 0, abstol = 0;
  int m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
  double wq = 0;
  std::vector<int> isuppz(2 * k);
  std::vector<double> wall(n);
  dsyevr_("V", "I", "U", &N, A, &N, &vl, &vu, &il, &iu, &abstol, &m, wall.data(), Z, &N, isuppz.data(), &wq, &lwork,
          &iwq, &liwork, &info, 1, 1, 1);
  checkInfo(info, "dsyevr");
  lwork = std::max(1, static_cast<int>(wq));
  liwork = std::max(1, iwq);
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  dsyevr_("V", "I", "U", &N, A, &N, &vl, &vu, &il, &iu, &abstol, &m, wall.data(), Z, &N, isuppz.data(), work.data(),
          &lwork, iwork.data(), &liwork, &info, 1, 1, 1);
  checkInfo(info, "dsyevr");
  if (static_cast<std::size_t>(m) != k) throw NumericError("dsyevr returned fewer eigenvalues than requested");
  std::copy(wall.begin(), wall.begin() + static_cast<std::ptrdiff_t>(k), w);
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

void gram(const double* A, std::size_t n, std::size_t d, std::size_t lda, double* C) { gramEigen(A, n, d, lda, C); }
void gram(const float* A, std::size_t n, std::size_t d, std::size_t lda, float* C) { gramEigen(A, n, d, lda, C); }
void symEigvals(double* A, std::size_t n, double* w) { if (n) symEigvalsEigen(A, n, w); }
void symEigvals(float* A, std::size_t n, float* w) { if (n) symEigvalsEigen(A, n, w); }

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

void symEigTop(double* A, std::size_t n, std::size_t k, double* w, double* Z) {
  if (n == 0 || k == 0) return;
  Eigen::Map<ColMat<double>> a(A, n, n);
  ColMat<double> full = a.selfadjointView<Eigen::Upper>();
  Eigen::SelfAdjointEigenSolver<ColMat<double>> es(full);
  if (es.info() != Eigen::Success) throw NumericError("Eigen::SelfAdjointEigenSolver failed to converge");
  for (std::size_t j = 0; j < k; ++j) {
    const auto src = static_cast<Eigen::Index>(n - k + j);
    w[j] = es.eigenvalues()[src];
    Eigen::Map<Eigen::VectorXd>(Z + j * n, n) = es.eigenvectors().col(src);
  }
}

#endif

}  // namespace linalg
}  // namespace dse
