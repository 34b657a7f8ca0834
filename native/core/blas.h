// SPDX-License-Identifier: MIT
// The one BLAS/LAPACK surface of the core. With DSE_HAVE_LAPACK: the Fortran prototypes (OpenBLAS
// ships no LAPACKE here: column-major, every argument by pointer, and gfortran's hidden
// string-length arguments at the end, which leaving out is undefined behaviour) and typed
// overloads over double/float that supply those lengths. Always: gemm/syrkUpper on sizes, which
// call the BLAS when there is one and Eigen's single-threaded product otherwise.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>

#include <Eigen/Dense>

#include "linalg.h"  // NumericError

#ifdef DSE_HAVE_LAPACK
extern "C" {
using dse_flen = std::size_t;
// The routines with a double (d) and a float (s) form.
#define DSE_BLAS_PROTOTYPES(T, p)                                                                                      \
  void p##gemm_(const char* ta, const char* tb, const int* m, const int* n, const int* k, const T* alpha, const T* a,  \
                const int* lda, const T* b, const int* ldb, const T* beta, T* c, const int* ldc, dse_flen, dse_flen);  \
  void p##syrk_(const char* uplo, const char* trans, const int* n, const int* k, const T* alpha, const T* a,           \
                const int* lda, const T* beta, T* c, const int* ldc, dse_flen, dse_flen);                              \
  void p##symm_(const char* side, const char* uplo, const int* m, const int* n, const T* alpha, const T* a,            \
                const int* lda, const T* b, const int* ldb, const T* beta, T* c, const int* ldc, dse_flen, dse_flen);  \
  void p##syr2k_(const char* uplo, const char* trans, const int* n, const int* k, const T* alpha, const T* a,          \
                 const int* lda, const T* b, const int* ldb, const T* beta, T* c, const int* ldc, dse_flen, dse_flen); \
  void p##trmm_(const char* side, const char* uplo, const char* ta, const char* diag, const int* m, const int* n,      \
                const T* alpha, const T* a, const int* lda, T* b, const int* ldb, dse_flen, dse_flen, dse_flen,        \
                dse_flen);                                                                                             \
  void p##syevd_(const char* jobz, const char* uplo, const int* n, T* a, const int* lda, T* w, T* work,                \
                 const int* lwork, int* iwork, const int* liwork, int* info, dse_flen, dse_flen);                      \
  void p##syevd_2stage_(const char* jobz, const char* uplo, const int* n, T* a, const int* lda, T* w, T* work,         \
                        const int* lwork, int* iwork, const int* liwork, int* info, dse_flen, dse_flen);               \
  void p##sytrd_sy2sb_(const char* uplo, const int* n, const int* kd, T* a, const int* lda, T* ab, const int* ldab,    \
                       T* tau, T* work, const int* lwork, int* info, dse_flen);                                        \
  void p##geqrf_(const int* m, const int* n, T* a, const int* lda, T* tau, T* work, const int* lwork, int* info);      \
  void p##larft_(const char* direct, const char* storev, const int* n, const int* k, const T* v, const int* ldv,       \
                 const T* tau, T* t, const int* ldt, dse_flen, dse_flen);                                              \
  void p##sterf_(const int* n, T* d, T* e, int* info);
DSE_BLAS_PROTOTYPES(double, d)
DSE_BLAS_PROTOTYPES(float, s)
#undef DSE_BLAS_PROTOTYPES
double ddot_(const int* n, const double* x, const int* incx, const double* y, const int* incy);
void dgeev_(const char* jobvl, const char* jobvr, const int* n, double* a, const int* lda, double* wr, double* wi,
            double* vl, const int* ldvl, double* vr, const int* ldvr, double* work, const int* lwork, int* info,
            dse_flen, dse_flen);
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a, const int* lda,
             const double* vl, const double* vu, const int* il, const int* iu, const double* abstol, int* m, double* w,
             double* z, const int* ldz, int* isuppz, double* work, const int* lwork, int* iwork, const int* liwork,
             int* info, dse_flen, dse_flen, dse_flen);
void dgeqp3_(const int* m, const int* n, double* a, const int* lda, int* jpvt, double* tau, double* work,
             const int* lwork, int* info);
void dgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* info,
             dse_flen, dse_flen);
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}
#endif

namespace dse {
namespace blas {

#ifdef DSE_HAVE_LAPACK
// Typed overloads: the d- or s-prefixed routine by the element type, hidden lengths supplied.
#define DSE_BLAS_TYPED(T, p)                                                                                          \
  inline void gemm(const char* ta, const char* tb, const int* m, const int* n, const int* k, const T* alpha,          \
                   const T* a, const int* lda, const T* b, const int* ldb, const T* beta, T* c, const int* ldc) {     \
    p##gemm_(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 1, 1);                                             \
  }                                                                                                                   \
  inline void syrk(const char* uplo, const char* trans, const int* n, const int* k, const T* alpha, const T* a,       \
                   const int* lda, const T* beta, T* c, const int* ldc) {                                             \
    p##syrk_(uplo, trans, n, k, alpha, a, lda, beta, c, ldc, 1, 1);                                                   \
  }                                                                                                                   \
  inline void symm(const char* side, const char* uplo, const int* m, const int* n, const T* alpha, const T* a,        \
                   const int* lda, const T* b, const int* ldb, const T* beta, T* c, const int* ldc) {                 \
    p##symm_(side, uplo, m, n, alpha, a, lda, b, ldb, beta, c, ldc, 1, 1);                                            \
  }                                                                                                                   \
  inline void syr2k(const char* uplo, const char* trans, const int* n, const int* k, const T* alpha, const T* a,      \
                    const int* lda, const T* b, const int* ldb, const T* beta, T* c, const int* ldc) {                \
    p##syr2k_(uplo, trans, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 1, 1);                                          \
  }                                                                                                                   \
  inline void trmm(const char* side, const char* uplo, const char* ta, const char* diag, const int* m, const int* n,  \
                   const T* alpha, const T* a, const int* lda, T* b, const int* ldb) {                                \
    p##trmm_(side, uplo, ta, diag, m, n, alpha, a, lda, b, ldb, 1, 1, 1, 1);                                          \
  }                                                                                                                   \
  inline void syevd(bool twoStage, const char* jobz, const char* uplo, const int* n, T* a, const int* lda, T* w,      \
                    T* work, const int* lwork, int* iwork, const int* liwork, int* info) {                            \
    if (twoStage) p##syevd_2stage_(jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info, 1, 1);                 \
    else p##syevd_(jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info, 1, 1);                                 \
  }                                                                                                                   \
  inline void sytrdSy2sb(const char* uplo, const int* n, const int* kd, T* a, const int* lda, T* ab, const int* ldab, \
                         T* tau, T* work, const int* lwork, int* info) {                                              \
    p##sytrd_sy2sb_(uplo, n, kd, a, lda, ab, ldab, tau, work, lwork, info, 1);                                        \
  }                                                                                                                   \
  inline void geqrf(const int* m, const int* n, T* a, const int* lda, T* tau, T* work, const int* lwork, int* info) { \
    p##geqrf_(m, n, a, lda, tau, work, lwork, info);                                                                  \
  }                                                                                                                   \
  inline void larft(const char* direct, const char* storev, const int* n, const int* k, const T* v, const int* ldv,   \
                    const T* tau, T* t, const int* ldt) {                                                             \
    p##larft_(direct, storev, n, k, v, ldv, tau, t, ldt, 1, 1);                                                       \
  }                                                                                                                   \
  inline void sterf(const int* n, T* d, T* e, int* info) { p##sterf_(n, d, e, info); }
DSE_BLAS_TYPED(double, d)
DSE_BLAS_TYPED(float, s)
#undef DSE_BLAS_TYPED

inline double dot(const int* n, const double* x, const int* incx, const double* y, const int* incy) {
  return ddot_(n, x, incx, y, incy);
}
inline void geev(const char* jobvl, const char* jobvr, const int* n, double* a, const int* lda, double* wr, double* wi,
                 double* vl, const int* ldvl, double* vr, const int* ldvr, double* work, const int* lwork, int* info) {
  dgeev_(jobvl, jobvr, n, a, lda, wr, wi, vl, ldvl, vr, ldvr, work, lwork, info, 1, 1);
}
inline void syevr(const char* jobz, const char* range, const char* uplo, const int* n, double* a, const int* lda,
                  const double* vl, const double* vu, const int* il, const int* iu, const double* abstol, int* m,
                  double* w, double* z, const int* ldz, int* isuppz, double* work, const int* lwork, int* iwork,
                  const int* liwork, int* info) {
  dsyevr_(jobz, range, uplo, n, a, lda, vl, vu, il, iu, abstol, m, w, z, ldz, isuppz, work, lwork, iwork, liwork, info,
          1, 1, 1);
}
inline void geqp3(const int* m, const int* n, double* a, const int* lda, int* jpvt, double* tau, double* work,
                  const int* lwork, int* info) {
  dgeqp3_(m, n, a, lda, jpvt, tau, work, lwork, info);
}
inline void gesvd(const char* jobu, const char* jobvt, const int* m, const int* n, double* a, const int* lda, double* s,
                  double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* info) {
  dgesvd_(jobu, jobvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info, 1, 1);
}
#endif

// n as LAPACK's 32-bit integer, or a NumericError naming `what`.
inline int checkedInt(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw NumericError(std::string(what) + " is too large for LAPACK's 32-bit integers");
  }
  return static_cast<int>(n);
}

// A LAPACK routine's info as a NumericError.
inline void checkInfo(int info, const char* routine) {
  if (info == 0) return;
  if (info < 0)
    throw NumericError(std::string(routine) + ": argument " + std::to_string(-info) + " had an illegal value");
  throw NumericError(std::string(routine) + " failed to converge (info = " + std::to_string(info) + ")");
}

template <typename T>
using ColMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

// C = alpha op(A) op(B) + beta C (column-major) by Eigen's single-threaded product: for the small
// products (a column against a basis, k x k matrices), where waking OpenBLAS's threads costs
// more than the product, and the BLAS-less build.
template <typename T>
void eigenGemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* A, std::size_t lda,
               const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
  using CMap = Eigen::Map<const ColMat<T>, 0, Eigen::OuterStride<>>;
  if (m == 0 || n == 0) return;
  const auto ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
  CMap a(A, ar, ac, Eigen::OuterStride<>(lda));
  CMap b(B, br, bc, Eigen::OuterStride<>(ldb));
  Eigen::Map<ColMat<T>, 0, Eigen::OuterStride<>> c(C, m, n, Eigen::OuterStride<>(ldc));
  if (beta == T(0)) c.setZero();
  else if (beta != T(1)) c *= beta;
  if (k == 0) return;
  if (ta && tb) c.noalias() += alpha * a.transpose() * b.transpose();
  else if (ta) c.noalias() += alpha * a.transpose() * b;
  else if (tb) c.noalias() += alpha * a * b.transpose();
  else c.noalias() += alpha * a * b;
}

// The same product by the BLAS when there is one (32-bit sizes), else by eigenGemm.
template <typename T>
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* A, std::size_t lda,
          const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
  if (m == 0 || n == 0) return;
#ifdef DSE_HAVE_LAPACK
  const int M = static_cast<int>(m), N = static_cast<int>(n), K = static_cast<int>(k);
  const int LDA = static_cast<int>(std::max<std::size_t>(1, lda)),
            LDB = static_cast<int>(std::max<std::size_t>(1, ldb)),
            LDC = static_cast<int>(std::max<std::size_t>(1, ldc));
  gemm(ta ? "T" : "N", tb ? "T" : "N", &M, &N, &K, &alpha, A, &LDA, B, &LDB, &beta, C, &LDC);
#else
  eigenGemm<T>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

// The upper triangle of C (n x n, column-major) = A A^T for a row-major A (n x d, row stride lda).
inline void syrkUpper(const double* A, std::size_t n, std::size_t d, std::size_t lda, double* C) {
#ifdef DSE_HAVE_LAPACK
  const int N = static_cast<int>(n), K = static_cast<int>(d), LDA = static_cast<int>(std::max<std::size_t>(1, lda));
  const double one = 1, zero = 0;
  syrk("U", "T", &N, &K, &one, A, &LDA, &zero, C, &N);
#else
  eigenGemm<double>(true, false, n, n, d, 1.0, A, lda, A, lda, 0.0, C, n);
#endif
}

}  // namespace blas
}  // namespace dse
