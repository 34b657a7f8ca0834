// SPDX-License-Identifier: MIT
// cluster_qr (cluster.h): scikit-learn's assign_labels='cluster_qr' on the embedding, with
// LAPACK's DGEQP3 pivots (or their emulation without LAPACK) and an SVD of the pivot rows.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "blas.h"
#include "cluster.h"
#include "linalg.h"  // NumericError

namespace dse {
namespace cluster {
namespace {

using Index = std::ptrdiff_t;
using MatD = blas::ColMat<double>;
using MapM = Eigen::Map<MatD, 0, Eigen::OuterStride<>>;
using CMapM = Eigen::Map<const MatD, 0, Eigen::OuterStride<>>;
constexpr auto gemmEigen = blas::eigenGemm<double>;

#ifndef DSE_HAVE_LAPACK
// OpenBLAS's x86-64 DNRM2 kernel (what scipy's and our LAPACK call): squares summed in x87
// extended precision in four interleaved accumulators, square root in extended precision.
// Reproduced so that the pivot choice below compares the same column norms.
double blasNrm2(const double* x, std::size_t m) {
  long double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  std::size_t i = 0;
  for (; i + 8 <= m; i += 8)
    for (std::size_t h = i; h < i + 8; h += 4) {
      a3 += static_cast<long double>(x[h + 3]) * x[h + 3];
      a2 += static_cast<long double>(x[h + 2]) * x[h + 2];
      a1 += static_cast<long double>(x[h + 1]) * x[h + 1];
      a0 += static_cast<long double>(x[h]) * x[h];
    }
  for (; i < m; ++i) a0 += static_cast<long double>(x[i]) * x[i];
  const long double t = a3 + ((a2 + a0) + a1);
  return static_cast<double>(std::sqrt(t));
}

// The leading k column pivots of LAPACK's DGEQP3 (unblocked DLAQP2, which it uses for
// min(m, n) <= 128) on A = vectors^T (k x n, column-major = the row-major embedding): the same
// norms, the same pivot rule (first column of largest partial norm) and the same norm
// downdating with recomputation, with DLARFG/DLARF Householder steps. Eigen's
// ColPivHouseholderQR follows the same idea but computes norms differently, and on rows
// whose norms tie to rounding (clusters of nearly identical embedding rows) it picks other
// pivots, or the same in another order (which renumbers the labels).
DSE_NO_CONTRACT_FN void laqp2Pivots(const std::vector<double>& emb, std::size_t m, std::size_t n,
                                    std::vector<int>& piv) {
  DSE_NO_CONTRACT
  std::vector<double> A(emb);
  std::vector<int> jpvt(n);
  std::vector<double> vn1(n), vn2(n), work(n);
  for (std::size_t j = 0; j < n; ++j) {
    jpvt[j] = static_cast<int>(j);
    vn1[j] = vn2[j] = blasNrm2(&A[j * m], m);
  }
  const double tol3z = std::sqrt(std::numeric_limits<double>::epsilon() * 0.5);  // sqrt(dlamch('E'))
  const std::size_t mn = std::min(m, n);
  for (std::size_t i = 0; i < mn; ++i) {
    // pvt = i - 1 + idamax(n - i + 1, vn1(i)): the first maximum.
    std::size_t pvt = i;
    for (std::size_t j = i + 1; j < n; ++j)
      if (std::fabs(vn1[j]) > std::fabs(vn1[pvt])) pvt = j;
    if (pvt != i) {
      for (std::size_t r = 0; r < m; ++r) std::swap(A[pvt * m + r], A[i * m + r]);
      std::swap(jpvt[pvt], jpvt[i]);
      vn1[pvt] = vn1[i];
      vn2[pvt] = vn2[i];
    }
    // DLARFG(m - i, A(i,i), A(i+1:m, i), 1, tau)
    double* v = &A[i * m + i];
    const std::size_t len = m - i;
    double tau = 0;
    if (len > 1) {
      const double xnorm = blasNrm2(v + 1, len - 1);
      if (xnorm != 0) {
        const double alpha = v[0];
        const double xa = std::fabs(alpha), w = std::max(xa, xnorm), z = std::min(xa, xnorm);
        const double r = (z == 0) ? w : w * std::sqrt(1.0 + (z / w) * (z / w));  // DLAPY2
        const double beta = -std::copysign(r, alpha);
        // (DLARFG's rescaling for |beta| < safmin/eps is not needed: embedding values are
        // far from underflow.)
        tau = (beta - alpha) / beta;
        const double scal = 1.0 / (alpha - beta);
        for (std::size_t t = 1; t < len; ++t) v[t] *= scal;
        v[0] = beta;
      }
    }
    // DLARF('Left', m - i, n - i - 1, v, 1, tau, A(i, i+1), lda, work) with v(1) = 1.
    if (i + 1 < n && tau != 0) {
      const double aii = v[0];
      v[0] = 1.0;
      std::size_t lastv = len;
      while (lastv > 0 && v[lastv - 1] == 0) --lastv;
      for (std::size_t j = i + 1; j < n; ++j) {  // w = C^T v
        const double* c = &A[j * m + i];
        double s = 0;
        for (std::size_t r = 0; r < lastv; ++r) s += c[r] * v[r];
        work[j] = s;
      }
      for (std::size_t j = i + 1; j < n; ++j) {  // C -= tau v w^T (DGER)
        double* c = &A[j * m + i];
        const double t = -tau * work[j];
        for (std::size_t r = 0; r < lastv; ++r) c[r] += v[r] * t;
      }
      v[0] = aii;
    }
    // Update the partial column norms.
    for (std::size_t j = i + 1; j < n; ++j) {
      if (vn1[j] == 0) continue;
      const double q = std::fabs(A[j * m + i]) / vn1[j];
      double temp = 1.0 - q * q;
      temp = std::max(temp, 0.0);
      const double ratio = vn1[j] / vn2[j];
      const double temp2 = temp * (ratio * ratio);
      if (temp2 <= tol3z) {
        if (i + 1 < m) {
          vn1[j] = blasNrm2(&A[j * m + i + 1], m - i - 1);
          vn2[j] = vn1[j];
        } else {
          vn1[j] = 0;
          vn2[j] = 0;
        }
      } else {
        vn1[j] *= std::sqrt(temp);
      }
    }
  }
  for (std::size_t t = 0; t < piv.size(); ++t) piv[t] = jpvt[t];
}
#endif

}  // namespace

void clusterQr(const std::vector<double>& emb, std::size_t n, std::size_t k, int* labels) {
  const Index in = static_cast<Index>(n), ik = static_cast<Index>(k);
  std::vector<int> piv(k);
  // qr(vectors.T, pivoting=True): vectors.T is k x n; the row-major embedding is exactly its
  // column-major storage.
#ifdef DSE_HAVE_LAPACK
  {
    std::vector<double> A(emb);
    std::vector<int> jpvt(n, 0);
    std::vector<double> tau(k);
    const int m = static_cast<int>(k), nn = static_cast<int>(n), lda = static_cast<int>(k);
    int lwork = -1, info = 0;
    double wq = 0;
    blas::geqp3(&m, &nn, A.data(), &lda, jpvt.data(), tau.data(), &wq, &lwork, &info);
    if (info != 0) throw NumericError("dgeqp3 workspace query failed");
    lwork = static_cast<int>(wq) + 1;
    std::vector<double> work(lwork);
    blas::geqp3(&m, &nn, A.data(), &lda, jpvt.data(), tau.data(), work.data(), &lwork, &info);
    if (info != 0) throw NumericError("dgeqp3 failed (info " + std::to_string(info) + ")");
    for (std::size_t t = 0; t < k; ++t) piv[t] = jpvt[t] - 1;
  }
#else
  laqp2Pivots(emb, k, n, piv);
#endif
  // BT = vectors[piv[:k], :].T (k x k, column-major: column r is row piv[r]).
  std::vector<double> BT(k * k);
  for (std::size_t r = 0; r < k; ++r)
    std::memcpy(&BT[r * k], &emb[static_cast<std::size_t>(piv[r]) * k], sizeof(double) * k);
  std::vector<double> R(k * k);  // U Vt (column-major)
#ifdef DSE_HAVE_LAPACK
  {
    const char job = 'A';
    const int m = static_cast<int>(k);
    std::vector<double> s(k), U(k * k), Vt(k * k);
    int lwork = -1, info = 0;
    double wq = 0;
    blas::gesvd(&job, &job, &m, &m, BT.data(), &m, s.data(), U.data(), &m, Vt.data(), &m, &wq, &lwork, &info);
    if (info != 0) throw NumericError("dgesvd workspace query failed");
    lwork = static_cast<int>(wq) + 1;
    std::vector<double> work(lwork);
    blas::gesvd(&job, &job, &m, &m, BT.data(), &m, s.data(), U.data(), &m, Vt.data(), &m, work.data(), &lwork, &info);
    if (info != 0) throw NumericError("dgesvd failed (info " + std::to_string(info) + ")");
    gemmEigen(false, false, ik, ik, ik, 1.0, U.data(), ik, Vt.data(), ik, 0.0, R.data(), ik);
  }
#else
  {
    CMapM B(BT.data(), ik, ik, Eigen::OuterStride<>(ik));
    Eigen::JacobiSVD<MatD> svd(B, Eigen::ComputeFullU | Eigen::ComputeFullV);
    if (svd.info() != Eigen::Success) throw NumericError("JacobiSVD failed");
    MapM Rm(R.data(), ik, ik, Eigen::OuterStride<>(ik));
    Rm.noalias() = svd.matrixU() * svd.matrixV().transpose();
  }
#endif
  // P = vectors @ R; labels = argmax |P| per row (first maximum, as numpy).
  std::vector<double> P(n * k);
  // Row-major n x k = column-major k x n: P^T = R^T vectors^T.
  gemmEigen(true, false, ik, in, ik, 1.0, R.data(), ik, emb.data(), ik, 0.0, P.data(), ik);
  for (std::size_t i = 0; i < n; ++i) {
    const double* row = &P[i * k];
    std::size_t best = 0;
    double bv = std::fabs(row[0]);
    for (std::size_t c = 1; c < k; ++c) {
      const double v = std::fabs(row[c]);
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    labels[i] = static_cast<int>(best);
  }
}

}  // namespace cluster
}  // namespace dse
