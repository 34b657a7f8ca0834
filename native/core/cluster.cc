// SPDX-License-Identifier: MIT
// Spectral clustering as scikit-learn's
//   SpectralClustering(affinity='nearest_neighbors', assign_labels='cluster_qr')
// computes it. See cluster.h for the steps. Two back ends: OpenBLAS/LAPACK (DSE_HAVE_LAPACK)
// through the Fortran interface declared below, and Eigen only.
#include "cluster.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#ifdef DSE_CLUSTER_PROFILE  // harness only: stage times on stderr
#include <chrono>
#include <cstdio>
#include <cstdlib>
#define DSE_PROF_T(name) auto name = std::chrono::steady_clock::now()
#define DSE_PROF_PRINT(label, a, b) \
  std::fprintf(stderr, "  %-10s %8.1f ms\n", label, std::chrono::duration<double, std::milli>(b - a).count())
#else
#define DSE_PROF_T(name)
#define DSE_PROF_PRINT(label, a, b)
#endif

#ifdef DSE_HAVE_LAPACK
// Fortran BLAS/LAPACK (LP64 integers). The trailing size_t arguments are the hidden lengths
// of the CHARACTER arguments that gfortran-compiled LAPACK expects.
extern "C" {
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc, std::size_t, std::size_t);
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a,
             const int* lda, const double* vl, const double* vu, const int* il, const int* iu,
             const double* abstol, int* m, double* w, double* z, const int* ldz, int* isuppz,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info, std::size_t,
             std::size_t, std::size_t);
void dgeqp3_(const int* m, const int* n, double* a, const int* lda, int* jpvt, double* tau,
             double* work, const int* lwork, int* info);
void dgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a,
             const int* lda, double* s, double* u, const int* ldu, double* vt, const int* ldvt,
             double* work, const int* lwork, int* info, std::size_t, std::size_t);
}
#endif

namespace dse {
namespace {

using Index = std::ptrdiff_t;
using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using MapM = Eigen::Map<MatD, 0, Eigen::OuterStride<>>;
using CMapM = Eigen::Map<const MatD, 0, Eigen::OuterStride<>>;

// Shift-invert is used while the sparse factor has at most this many nonzeros per row.
double kSiFillPerRow = 60;

void poll(const std::function<bool()>& cancelled) {
  if (cancelled && cancelled()) throw Cancelled();
}

int toInt(std::size_t v, const char* what) {
  if (v > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::invalid_argument(std::string("spectralClustering: ") + what + " too large");
  return static_cast<int>(v);
}

// ------------------------------------------------------------------------------------------
// Dense products (column-major). C = alpha * op(A) * op(B) + beta * C.
void gemm(bool ta, bool tb, Index m, Index n, Index k, double alpha, const double* A, Index lda,
          const double* B, Index ldb, double beta, double* C, Index ldc) {
  if (m == 0 || n == 0) return;
#ifdef DSE_HAVE_LAPACK
  const char ca = ta ? 'T' : 'N', cb = tb ? 'T' : 'N';
  const int im = static_cast<int>(m), in = static_cast<int>(n), ik = static_cast<int>(k);
  const int ilda = static_cast<int>(lda), ildb = static_cast<int>(ldb),
            ildc = static_cast<int>(ldc);
  dgemm_(&ca, &cb, &im, &in, &ik, &alpha, A, &ilda, B, &ildb, &beta, C, &ildc, 1, 1);
#else
  const Index ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
  CMapM a(A, ar, ac, Eigen::OuterStride<>(lda));
  CMapM b(B, br, bc, Eigen::OuterStride<>(ldb));
  MapM c(C, m, n, Eigen::OuterStride<>(ldc));
  if (beta == 0.0)
    c.setZero();
  else if (beta != 1.0)
    c *= beta;
  if (k == 0) return;
  if (!ta && !tb)
    c.noalias() += alpha * a * b;
  else if (ta && !tb)
    c.noalias() += alpha * a.transpose() * b;
  else if (!ta && tb)
    c.noalias() += alpha * a * b.transpose();
  else
    c.noalias() += alpha * a.transpose() * b.transpose();
#endif
}

// Eigen-decomposition of a small or moderate symmetric matrix (column-major n x n, lower
// triangle used, destroyed): the `nev` largest eigenvalues in descending order into w and
// their eigenvectors as the columns of Z (n x nev, column-major).
void symTop(double* A, Index n, Index nev, std::vector<double>& w, std::vector<double>& Z) {
  w.assign(nev, 0.0);
  Z.assign(static_cast<std::size_t>(n * nev), 0.0);
#ifdef DSE_HAVE_LAPACK
  const char jobz = 'V', range = 'I', uplo = 'L';
  const int in = static_cast<int>(n), il = static_cast<int>(n - nev + 1), iu = static_cast<int>(n);
  const double vl = 0, vu = 0, abstol = 0;
  int m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
  double wq = 0;
  std::vector<double> wa(n), za(static_cast<std::size_t>(n * nev));
  std::vector<int> isuppz(2 * static_cast<std::size_t>(nev));
  dsyevr_(&jobz, &range, &uplo, &in, A, &in, &vl, &vu, &il, &iu, &abstol, &m, wa.data(),
          za.data(), &in, isuppz.data(), &wq, &lwork, &iwq, &liwork, &info, 1, 1, 1);
  if (info != 0) throw NumericError("dsyevr workspace query failed (info " + std::to_string(info) + ")");
  lwork = static_cast<int>(wq) + 1;
  liwork = iwq;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  dsyevr_(&jobz, &range, &uplo, &in, A, &in, &vl, &vu, &il, &iu, &abstol, &m, wa.data(),
          za.data(), &in, isuppz.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1,
          1);
  if (info != 0 || m != nev)
    throw NumericError("dsyevr failed (info " + std::to_string(info) + ")");
  for (Index j = 0; j < nev; ++j) {  // ascending -> descending
    const Index src = nev - 1 - j;
    w[j] = wa[src];
    std::memcpy(&Z[j * n], &za[src * n], sizeof(double) * n);
  }
#else
  MapM a(A, n, n, Eigen::OuterStride<>(n));
  Eigen::SelfAdjointEigenSolver<MatD> es;
  es.compute(a.selfadjointView<Eigen::Lower>().toDenseMatrix(), Eigen::ComputeEigenvectors);
  if (es.info() != Eigen::Success) throw NumericError("SelfAdjointEigenSolver did not converge");
  for (Index j = 0; j < nev; ++j) {
    const Index src = n - 1 - j;
    w[j] = es.eigenvalues()(src);
    for (Index i = 0; i < n; ++i) Z[j * n + i] = es.eigenvectors()(i, src);
  }
#endif
}

// Deterministic pseudo-random numbers (splitmix64), the same on every platform.
struct Rng {
  std::uint64_t s;
  explicit Rng(std::uint64_t seed) : s(seed) {}
  double uniform() {  // in [-1, 1)
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
  }
};

// ------------------------------------------------------------------------------------------
// k nearest neighbours (sklearn's NearestNeighbors().fit(Y).kneighbors(Y, nn)).

struct Cand {
  double d;
  int j;
};
inline bool candLess(double d1, int j1, double d2, int j2) {
  return d1 < d2 || (d1 == d2 && j1 < j2);
}

// Fixed-capacity max-heaps of candidates, one per row, ordered by (distance, index).
class Heaps {
 public:
  Heaps(std::size_t n, std::size_t cap)
      : cap_(cap), d_(n * cap, std::numeric_limits<double>::infinity()),
        j_(n * cap, std::numeric_limits<int>::max()) {}
  inline void push(std::size_t row, double d, int j) {
    double* hd = &d_[row * cap_];
    int* hj = &j_[row * cap_];
    if (!candLess(d, j, hd[0], hj[0])) return;
    std::size_t i = 0;
    for (;;) {
      const std::size_t l = 2 * i + 1, r = l + 1;
      std::size_t big = i;
      double bd = d;
      int bj = j;
      if (l < cap_ && candLess(bd, bj, hd[l], hj[l])) { big = l; bd = hd[l]; bj = hj[l]; }
      if (r < cap_ && candLess(bd, bj, hd[r], hj[r])) { big = r; }
      if (big == i) break;
      hd[i] = hd[big];
      hj[i] = hj[big];
      i = big;
    }
    hd[i] = d;
    hj[i] = j;
  }
  double topD(std::size_t row) const { return d_[row * cap_]; }
  int topJ(std::size_t row) const { return j_[row * cap_]; }
  const double* dist(std::size_t row) const { return &d_[row * cap_]; }
  const int* idx(std::size_t row) const { return &j_[row * cap_]; }

 private:
  std::size_t cap_;
  std::vector<double> d_;
  std::vector<int> j_;
};

double exactSqDist(const double* x, const double* y, std::size_t d) {
  double s = 0;
  for (std::size_t t = 0; t < d; ++t) {
    const double u = x[t] - y[t];
    s += u * u;
  }
  return s;
}

// nbr[i*nn .. i*nn+nn) = the nn nearest rows of row i (itself normally among them).
void nearestNeighbors(const double* Y, std::size_t n, std::size_t d, std::size_t nn,
                      std::vector<int>& nbr, const std::function<bool()>& cancelled) {
  // sklearn's algorithm='auto': brute force (squared distances |x|^2 - 2 x.y + |y|^2 from a
  // GEMM, clamped at 0) when d > 15 or nn >= n // 2, else a KD-tree (exact distances).
  const bool exact = !(d > 15 || nn >= n / 2);
  const std::size_t cap = exact ? std::min(n, nn + 8) : nn;

  std::vector<double> nrm(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double* x = Y + i * d;
    double s = 0;
    for (std::size_t t = 0; t < d; ++t) s += x[t] * x[t];
    nrm[i] = s;
  }

  Heaps heaps(n, cap);
  const std::size_t bs = std::min<std::size_t>(n, 512);
  std::vector<double> G(bs * bs);
  for (std::size_t I0 = 0; I0 < n; I0 += bs) {
    poll(cancelled);
    const std::size_t bi = std::min(bs, n - I0);
    for (std::size_t J0 = I0; J0 < n; J0 += bs) {
      const std::size_t bj = std::min(bs, n - J0);
      // G (bj x bi, column-major) = -2 * Y_J Y_I^T: column a holds row I0+a against J0..J0+bj.
      gemm(true, false, static_cast<Index>(bj), static_cast<Index>(bi), static_cast<Index>(d),
           -2.0, Y + J0 * d, static_cast<Index>(d), Y + I0 * d, static_cast<Index>(d), 0.0,
           G.data(), static_cast<Index>(bj));
      for (std::size_t a = 0; a < bi; ++a) {
        const std::size_t i = I0 + a;
        const double ni = nrm[i];
        const double* g = &G[a * bj];
        const std::size_t b0 = (I0 == J0) ? a : 0;
        for (std::size_t b = b0; b < bj; ++b) {
          const std::size_t j = J0 + b;
          const double nj = nrm[j];
          const double dij = std::max(0.0, (ni + g[b]) + nj);
          heaps.push(i, dij, static_cast<int>(j));
          if (j != i) {
            const double dji = std::max(0.0, (nj + g[b]) + ni);
            heaps.push(j, dji, static_cast<int>(i));
          }
        }
      }
    }
  }

  nbr.assign(n * nn, 0);
  std::vector<Cand> c(cap);
  double maxNrm = 0;
  for (double v : nrm) maxNrm = std::max(maxNrm, v);
  const double eps = std::numeric_limits<double>::epsilon();
  for (std::size_t i = 0; i < n; ++i) {
    const double* hd = heaps.dist(i);
    const int* hj = heaps.idx(i);
    if (!exact) {
      for (std::size_t t = 0; t < cap; ++t) c[t] = {hd[t], hj[t]};
    } else {
      for (std::size_t t = 0; t < cap; ++t)
        c[t] = {exactSqDist(Y + i * d, Y + static_cast<std::size_t>(hj[t]) * d, d), hj[t]};
    }
    std::sort(c.begin(), c.end(),
              [](const Cand& x, const Cand& y) { return candLess(x.d, x.j, y.d, y.j); });
    if (exact && cap < n) {
      // Every row outside the candidates has an approximate distance >= the heap top; the
      // approximation error is below errB. If that cannot prove them farther than the nn-th
      // exact distance, scan the whole row exactly.
      const double errB = 8.0 * static_cast<double>(d + 4) * eps * (nrm[i] + maxNrm) + 1e-300;
      if (!(heaps.topD(i) - errB > c[nn - 1].d)) {
        std::vector<Cand> all(n);
        for (std::size_t j = 0; j < n; ++j)
          all[j] = {exactSqDist(Y + i * d, Y + j * d, d), static_cast<int>(j)};
        std::partial_sort(all.begin(), all.begin() + static_cast<Index>(nn), all.end(),
                          [](const Cand& x, const Cand& y) { return candLess(x.d, x.j, y.d, y.j); });
        for (std::size_t t = 0; t < nn; ++t) c[t] = all[t];
      }
    }
    for (std::size_t t = 0; t < nn; ++t) nbr[i * nn + t] = c[t].j;
  }
}

// ------------------------------------------------------------------------------------------
// Normalised affinity M = D^-1/2 S_offdiag D^-1/2 (CSR, symmetric pattern) and dd.

struct Csr {
  std::size_t n = 0;
  std::vector<std::size_t> ptr;
  std::vector<int> col;
  std::vector<double> val;
};

void buildAffinity(const std::vector<int>& nbr, std::size_t n, std::size_t nn, Csr& M,
                   std::vector<double>& dd) {
  // S = 0.5 (A + A^T), A_ij = 1 for j among the neighbours of i. Only off-diagonal entries:
  // scipy's laplacian excludes the diagonal from the degree and sklearn sets diag(L) = 1.
  std::vector<std::size_t> cnt(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < nn; ++t) {
      const std::size_t j = static_cast<std::size_t>(nbr[i * nn + t]);
      if (j == i) continue;
      ++cnt[i + 1];
      ++cnt[j + 1];
    }
  for (std::size_t i = 0; i < n; ++i) cnt[i + 1] += cnt[i];
  std::vector<int> tmpCol(cnt[n]);
  std::vector<std::size_t> fill(cnt.begin(), cnt.end() - 1);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < nn; ++t) {
      const std::size_t j = static_cast<std::size_t>(nbr[i * nn + t]);
      if (j == i) continue;
      tmpCol[fill[i]++] = static_cast<int>(j);
      tmpCol[fill[j]++] = static_cast<int>(i);
    }
  M.n = n;
  M.ptr.assign(n + 1, 0);
  M.col.clear();
  M.val.clear();
  M.col.reserve(cnt[n]);
  M.val.reserve(cnt[n]);
  std::vector<double> w(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    auto b = tmpCol.begin() + static_cast<Index>(cnt[i]);
    auto e = tmpCol.begin() + static_cast<Index>(cnt[i + 1]);
    std::sort(b, e);
    for (auto it = b; it != e;) {
      auto jt = it;
      while (jt != e && *jt == *it) ++jt;
      const double s = 0.5 * static_cast<double>(jt - it);  // 0.5 or 1.0
      M.col.push_back(*it);
      M.val.push_back(s);
      w[i] += s;
      it = jt;
    }
    M.ptr[i + 1] = M.col.size();
  }
  dd.resize(n);
  for (std::size_t i = 0; i < n; ++i) dd[i] = (w[i] == 0.0) ? 1.0 : std::sqrt(w[i]);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t e = M.ptr[i]; e < M.ptr[i + 1]; ++e)
      M.val[e] = (M.val[e] / dd[i]) / dd[static_cast<std::size_t>(M.col[e])];
}

std::size_t countComponents(const Csr& M) {
  const std::size_t n = M.n;
  std::vector<int> seen(n, 0), stack;
  std::size_t comps = 0;
  for (std::size_t s = 0; s < n; ++s) {
    if (seen[s]) continue;
    ++comps;
    seen[s] = 1;
    stack.push_back(static_cast<int>(s));
    while (!stack.empty()) {
      const std::size_t i = static_cast<std::size_t>(stack.back());
      stack.pop_back();
      for (std::size_t e = M.ptr[i]; e < M.ptr[i + 1]; ++e) {
        const int j = M.col[e];
        if (!seen[j]) {
          seen[j] = 1;
          stack.push_back(j);
        }
      }
    }
  }
  return comps;
}

// Y = M X for a column-major block X (n x b); xr, yr are scratch (n*b).
void spmm(const Csr& M, const double* X, double* Yout, Index b, std::vector<double>& xr,
          std::vector<double>& yr) {
  const std::size_t n = M.n;
  const std::size_t bb = static_cast<std::size_t>(b);
  xr.resize(n * bb);
  yr.resize(n * bb);
  for (std::size_t c = 0; c < bb; ++c)
    for (std::size_t i = 0; i < n; ++i) xr[i * bb + c] = X[c * n + i];
  double acc[64];
  for (std::size_t c0 = 0; c0 < bb; c0 += 64) {
    const std::size_t cw = std::min<std::size_t>(64, bb - c0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t c = 0; c < cw; ++c) acc[c] = 0.0;
      for (std::size_t e = M.ptr[i]; e < M.ptr[i + 1]; ++e) {
        const double v = M.val[e];
        const double* x = &xr[static_cast<std::size_t>(M.col[e]) * bb + c0];
        for (std::size_t c = 0; c < cw; ++c) acc[c] += v * x[c];
      }
      for (std::size_t c = 0; c < cw; ++c) yr[i * bb + c0 + c] = acc[c];
    }
  }
  for (std::size_t c = 0; c < bb; ++c)
    for (std::size_t i = 0; i < n; ++i) Yout[c * n + i] = yr[i * bb + c];
}

double dot(const double* a, const double* b, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}
double nrm2(const double* a, std::size_t n) { return std::sqrt(dot(a, a, n)); }

// Orthonormalise the block Z (n x bz, column-major) against the first m columns of V
// (orthonormal) and within itself. `pre` = V^T Z already computed (m x bz) or null. Columns
// that vanish (Z nearly in span V) are replaced by random directions.
void orthonormalize(const double* V, Index n, Index m, double* Z, Index bz, const double* pre,
                    Rng& rng) {
  std::vector<double> C(static_cast<std::size_t>(std::max<Index>(m, 1) * bz));
  std::vector<double> norm0(bz);
  for (Index c = 0; c < bz; ++c) norm0[c] = nrm2(Z + c * n, n);
  if (m > 0) {
    for (int pass = 0; pass < 2; ++pass) {
      const double* coef = pre;
      if (pass == 1 || pre == nullptr) {
        gemm(true, false, m, bz, n, 1.0, V, n, Z, n, 0.0, C.data(), m);
        coef = C.data();
      }
      gemm(false, false, n, bz, m, -1.0, V, n, coef, m, 1.0, Z, n);
    }
  }
  std::vector<double> cv(static_cast<std::size_t>(std::max<Index>(m, 1)));
  for (Index c = 0; c < bz; ++c) {
    double* z = Z + c * n;
    bool replaced = false;
    for (int attempt = 0; attempt < 6; ++attempt) {
      double before = nrm2(z, n);
      // Project out the previous columns of this block (twice).
      for (int pass = 0; pass < 2; ++pass)
        for (Index c2 = 0; c2 < c; ++c2) {
          const double* q = Z + c2 * n;
          const double h = dot(q, z, n);
          for (Index i = 0; i < n; ++i) z[i] -= h * q[i];
        }
      double after = nrm2(z, n);
      const double ref = replaced ? 1.0 : norm0[c];
      if (after > 0.5 * before && after > 1e-12 * ref) break;
      if (after <= 1e-12 * ref || attempt >= 3) {
        // Deficient: replace by a random vector, then orthogonalise it.
        for (Index i = 0; i < n; ++i) z[i] = rng.uniform();
        replaced = true;
        norm0[c] = nrm2(z, n);
      }
      // Re-project against V (cancellation in the in-block step).
      if (m > 0)
        for (int pass = 0; pass < 2; ++pass) {
          gemm(true, false, m, 1, n, 1.0, V, n, z, n, 0.0, cv.data(), m);
          gemm(false, false, n, 1, m, -1.0, V, n, cv.data(), m, 1.0, z, n);
        }
    }
    const double nz = nrm2(z, n);
    if (!(nz > 0) || !std::isfinite(nz)) throw NumericError("spectral embedding: orthogonalisation failed");
    for (Index i = 0; i < n; ++i) z[i] /= nz;
  }
}

// Applies a symmetric operator to a column-major block: Y (n x b) = Op X.
using BlockOp = std::function<void(const double* X, double* Y, Index b)>;

// Shift-invert operator T = (L + sigma I)^-1 = ((1 + sigma) I - M)^-1 (L = I - M, the
// normalised Laplacian with unit diagonal, as sklearn's ARPACK call uses with sigma = -1e-5,
// i.e. L + 1e-5 I), by a sparse LDL^T factorisation with an AMD ordering. setup() declines
// (returns false) when the factor would have more than maxFill nonzeros.
class ShiftInvert {
 public:
  using SpMat = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;
  using Perm = Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int>;

  bool setup(const Csr& M, double sigma, double maxFill, double* fillOut) {
    const int n = static_cast<int>(M.n);
    SpMat A(n, n);
    {
      std::vector<int> nz(n);
      for (int i = 0; i < n; ++i) nz[i] = static_cast<int>(M.ptr[i + 1] - M.ptr[i]) + 1;
      A.reserve(nz);
      // M is symmetric, so its CSR rows are the CSC columns.
      for (int j = 0; j < n; ++j) {
        bool diag = false;
        for (std::size_t e = M.ptr[j]; e < M.ptr[j + 1]; ++e) {
          const int i = M.col[e];
          if (!diag && i > j) {
            A.insert(j, j) = 1.0 + sigma;
            diag = true;
          }
          A.insert(i, j) = -M.val[e];
        }
        if (!diag) A.insert(j, j) = 1.0 + sigma;
      }
      A.makeCompressed();
    }
    {
      Eigen::AMDOrdering<int> amd;
      amd(A, pinv_);
    }
    p_ = pinv_.inverse();
    SpMat Ap;
    Ap = A.selfadjointView<Eigen::Lower>().twistedBy(p_);
    // Column counts of the factor (elimination tree, row subtrees), stopping early.
    {
      std::vector<int> parent(n, -1), tag(n, -1);
      double fill = 0;
      for (int k = 0; k < n; ++k) {
        tag[k] = k;
        for (SpMat::InnerIterator it(Ap, k); it; ++it) {
          int i = static_cast<int>(it.index());
          if (i >= k) continue;
          for (; tag[i] != k; i = parent[i]) {
            if (parent[i] == -1) parent[i] = k;
            fill += 1;
            tag[i] = k;
          }
        }
        if (fill > maxFill) {
          if (fillOut) *fillOut = fill;
          return false;
        }
      }
      if (fillOut) *fillOut = fill;
    }
    ldlt_.compute(Ap);
    if (ldlt_.info() != Eigen::Success) throw NumericError("sparse LDL^T factorisation failed");
    return true;
  }

  void apply(const double* X, double* Y, Index b) const {
    const Index n = p_.size();
    Eigen::Map<const MatD> x(X, n, b);
    Eigen::Map<MatD> y(Y, n, b);
    MatD t = p_ * x;
    t = ldlt_.solve(t);
    y = pinv_ * t;
  }

 private:
  Perm p_, pinv_;
  Eigen::SimplicialLDLT<SpMat, Eigen::Lower, Eigen::NaturalOrdering<int>> ldlt_;
};

// The k eigenvectors of M belonging to its largest eigenvalues, from a block Krylov method
// (block Lanczos with full reorthogonalisation and thick restart) applied to `op`: M itself,
// or the shift-invert operator T (same eigenvectors, order preserved). Converged when the
// residuals |M y - (y'My) y| of the k wanted Ritz vectors are <= 1e-12 (M has norm <= 1).
// Eigenvectors into E (n x k, column-major).
void blockKrylovTop(const Csr& M, const BlockOp& op, bool opIsM, Index k, Index b, Index p,
                    Index mmax, std::vector<double>& E, const std::function<bool()>& cancelled) {
  const Index n = static_cast<Index>(M.n);
  const double tol = 1e-12;
  const int maxRestarts = 5000;

  std::vector<double> V(static_cast<std::size_t>(n * mmax)), AV(static_cast<std::size_t>(n * mmax));
  std::vector<double> H(static_cast<std::size_t>(mmax * mmax), 0.0);
  std::vector<double> Z(static_cast<std::size_t>(n * b)), C(static_cast<std::size_t>(mmax * b));
  std::vector<double> xr, yr, w, S, Hc, Yr, AY, MY;
  Rng rng(0x5DEECE66Dull);

  for (Index i = 0; i < n * b; ++i) Z[i] = rng.uniform();
  orthonormalize(V.data(), n, 0, Z.data(), b, nullptr, rng);
  Index m = 0;
  double prevWorst = std::numeric_limits<double>::infinity();

  for (int restart = 0; restart <= maxRestarts; ++restart) {
    // Expand the basis block by block until it is full.
    while (m + b <= mmax) {
      poll(cancelled);
      std::memcpy(&V[m * n], Z.data(), sizeof(double) * static_cast<std::size_t>(n * b));
      op(&V[m * n], &AV[m * n], b);
      const Index m1 = m + b;
      // C = V[:, :m1]^T (Op Z): the new columns of H = V^T Op V.
      gemm(true, false, m1, b, n, 1.0, V.data(), n, &AV[m * n], n, 0.0, C.data(), m1);
      for (Index c = 0; c < b; ++c)
        for (Index r = 0; r < m1; ++r) {
          H[(m + c) * mmax + r] = C[c * m1 + r];
          H[r * mmax + (m + c)] = C[c * m1 + r];
        }
      for (Index c = 0; c < b; ++c)
        for (Index r = c + 1; r < b; ++r) {
          const double s = 0.5 * (H[(m + c) * mmax + m + r] + H[(m + r) * mmax + m + c]);
          H[(m + c) * mmax + m + r] = s;
          H[(m + r) * mmax + m + c] = s;
        }
      m = m1;
      // Next block: (I - V V^T) Op Z, orthonormalised.
      std::memcpy(Z.data(), &AV[(m - b) * n], sizeof(double) * static_cast<std::size_t>(n * b));
      orthonormalize(V.data(), n, m, Z.data(), b, C.data(), rng);
    }

    // Rayleigh-Ritz on span V.
    Hc.assign(static_cast<std::size_t>(m * m), 0.0);
    for (Index c = 0; c < m; ++c)
      for (Index r = 0; r < m; ++r) Hc[c * m + r] = H[c * mmax + r];
    symTop(Hc.data(), m, p, w, S);
    Yr.resize(static_cast<std::size_t>(n * p));
    AY.resize(static_cast<std::size_t>(n * p));
    gemm(false, false, n, p, m, 1.0, V.data(), n, S.data(), m, 0.0, Yr.data(), n);
    gemm(false, false, n, p, m, 1.0, AV.data(), n, S.data(), m, 0.0, AY.data(), n);
    const double* MYp = AY.data();
    if (!opIsM) {
      MY.resize(static_cast<std::size_t>(n * k));
      spmm(M, Yr.data(), MY.data(), k, xr, yr);
      MYp = MY.data();
    }
    double worst = 0, worstOp = 0;
    for (Index c = 0; c < k; ++c) {
      const double* y = &Yr[c * n];
      const double* my = MYp + c * n;
      const double mu = opIsM ? w[c] : dot(y, my, static_cast<std::size_t>(n));
      double s = 0, so = 0;
      for (Index i = 0; i < n; ++i) {
        const double r = my[i] - mu * y[i];
        s += r * r;
      }
      if (!opIsM) {
        for (Index i = 0; i < n; ++i) {
          const double r = AY[c * n + i] - w[c] * y[i];
          so += r * r;
        }
        worstOp = std::max(worstOp, std::sqrt(so) / std::fabs(w[0]));
      }
      worst = std::max(worst, std::sqrt(s));
    }
#ifdef DSE_CLUSTER_PROFILE
    std::fprintf(stderr, "  restart %d m=%ld resid %.3e op-resid %.3e theta_k %.15g\n", restart,
                 (long)m, worst, worstOp, w[k - 1]);
#endif
    // With shift-invert the residual in M can stall a little above 1e-12 (the solves are
    // accurate to about eps * cond(L + sigma I)); accept once the operator residual is at
    // rounding level and the M residual stopped improving.
    const bool stalled = !opIsM && worstOp <= 1e-14 && worst <= 1e-9 && worst >= 0.5 * prevWorst;
    if (worst <= tol || stalled) {
      E.assign(Yr.begin(), Yr.begin() + n * k);
      return;
    }
    prevWorst = worst;
    if (restart == maxRestarts) break;
    // Thick restart: keep the p Ritz pairs; Z (orthogonal to the old span) continues.
    std::memcpy(V.data(), Yr.data(), sizeof(double) * static_cast<std::size_t>(n * p));
    std::memcpy(AV.data(), AY.data(), sizeof(double) * static_cast<std::size_t>(n * p));
    std::fill(H.begin(), H.end(), 0.0);
    for (Index c = 0; c < p; ++c) H[c * mmax + c] = w[c];
    m = p;
    // Z was orthonormalised against the old basis, which spans the new one; re-orthogonalise
    // once against the Ritz vectors to remove the rounding of V S.
    orthonormalize(V.data(), n, m, Z.data(), b, nullptr, rng);
  }
  throw NumericError("spectral embedding: eigensolver did not converge");
}

// Dense path: M as a dense matrix, k largest eigenvectors.
void denseTopEigs(const Csr& M, Index k, std::vector<double>& E) {
  const Index n = static_cast<Index>(M.n);
  std::vector<double> A(static_cast<std::size_t>(n * n), 0.0);
  for (Index i = 0; i < n; ++i)
    for (std::size_t e = M.ptr[i]; e < M.ptr[i + 1]; ++e) A[static_cast<Index>(M.col[e]) * n + i] = M.val[e];
  std::vector<double> w;
  symTop(A.data(), n, k, w, E);
}

// ------------------------------------------------------------------------------------------
// cluster_qr on the embedding (row-major n x k).
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
    dgeqp3_(&m, &nn, A.data(), &lda, jpvt.data(), tau.data(), &wq, &lwork, &info);
    if (info != 0) throw NumericError("dgeqp3 workspace query failed");
    lwork = static_cast<int>(wq) + 1;
    std::vector<double> work(lwork);
    dgeqp3_(&m, &nn, A.data(), &lda, jpvt.data(), tau.data(), work.data(), &lwork, &info);
    if (info != 0) throw NumericError("dgeqp3 failed (info " + std::to_string(info) + ")");
    for (std::size_t t = 0; t < k; ++t) piv[t] = jpvt[t] - 1;
  }
#else
  {
    CMapM A(emb.data(), ik, in, Eigen::OuterStride<>(ik));
    Eigen::ColPivHouseholderQR<MatD> qr(A);
    for (std::size_t t = 0; t < k; ++t) piv[t] = qr.colsPermutation().indices()(static_cast<Index>(t));
  }
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
    dgesvd_(&job, &job, &m, &m, BT.data(), &m, s.data(), U.data(), &m, Vt.data(), &m, &wq, &lwork,
            &info, 1, 1);
    if (info != 0) throw NumericError("dgesvd workspace query failed");
    lwork = static_cast<int>(wq) + 1;
    std::vector<double> work(lwork);
    dgesvd_(&job, &job, &m, &m, BT.data(), &m, s.data(), U.data(), &m, Vt.data(), &m, work.data(),
            &lwork, &info, 1, 1);
    if (info != 0) throw NumericError("dgesvd failed (info " + std::to_string(info) + ")");
    gemm(false, false, ik, ik, ik, 1.0, U.data(), ik, Vt.data(), ik, 0.0, R.data(), ik);
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
  gemm(true, false, ik, in, ik, 1.0, R.data(), ik, emb.data(), ik, 0.0, P.data(), ik);
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

}  // namespace

void spectralClustering(const double* Y, std::size_t n, std::size_t d, std::size_t k,
                        std::size_t nNeighbors, int* labels,
                        const std::function<bool()>& cancelled) {
  if (n < 2) throw std::invalid_argument("spectralClustering: need at least 2 samples");
  if (d == 0) throw std::invalid_argument("spectralClustering: need at least 1 feature");
  if (k == 0) throw std::invalid_argument("spectralClustering: nClusters must be >= 1");
  if (k >= n)
    throw std::invalid_argument("spectralClustering: nClusters must be smaller than the number of samples");
  if (nNeighbors == 0) throw std::invalid_argument("spectralClustering: nNeighbors must be >= 1");
  if (nNeighbors > n)
    throw std::invalid_argument("spectralClustering: nNeighbors must not exceed the number of samples");
  toInt(n, "n");
  toInt(d, "d");
  if (Y == nullptr || labels == nullptr) throw std::invalid_argument("spectralClustering: null pointer");
  for (std::size_t t = 0; t < n * d; ++t)
    if (!std::isfinite(Y[t])) throw std::invalid_argument("spectralClustering: non-finite input value");
  poll(cancelled);

  if (k == 1) {  // cluster_qr on one column: argmax over a single entry
    std::fill(labels, labels + n, 0);
    return;
  }

  DSE_PROF_T(t0);
  std::vector<int> nbr;
  nearestNeighbors(Y, n, d, nNeighbors, nbr, cancelled);
  poll(cancelled);

  Csr M;
  std::vector<double> dd;
  buildAffinity(nbr, n, nNeighbors, M, dd);
  nbr.clear();
  nbr.shrink_to_fit();
  poll(cancelled);
  DSE_PROF_T(t1);

  const Index ik = static_cast<Index>(k);
  const std::size_t comps = countComponents(M);
  // Block size: >= the multiplicity of the eigenvalue 1 of M (one per connected component)
  // when those eigenvectors are all wanted, so that the block method resolves them.
  Index block = std::max<Index>(2, std::min<Index>(ik, 16));
  if (comps <= k) block = std::max<Index>(block, static_cast<Index>(comps));
  std::vector<double> E;  // n x k column-major
  const Index pM = ik + std::max<Index>(block, 8);
  const Index mmaxM = pM + std::max<Index>(6 * block, 48);
  if (n <= 600 || 2 * static_cast<std::size_t>(mmaxM) >= n) {
    denseTopEigs(M, ik, E);
  } else {
    // Shift-invert (as sklearn's ARPACK call) when the sparse factor stays small (low-
    // dimensional data, where the wanted eigenvalues are close together), plain block Krylov
    // on M otherwise (high-dimensional data: large fill, but well separated eigenvalues).
    ShiftInvert si;
    double fill = 0;
#ifdef DSE_CLUSTER_PROFILE
    if (const char* e = std::getenv("DSE_SI_FILL")) kSiFillPerRow = std::atof(e);
#endif
    const double maxFill = kSiFillPerRow * static_cast<double>(n);
    bool useSi = si.setup(M, 1e-5, maxFill, &fill);
#ifdef DSE_CLUSTER_PROFILE
    std::fprintf(stderr, "  fill %.0f (%.1f per row) -> %s\n", fill, fill / n, useSi ? "shift-invert" : "krylov");
#endif
    poll(cancelled);
    if (useSi) {
      const Index p = ik + std::max<Index>(block, 4);
      const Index mmax = p + 2 * block;
      blockKrylovTop(M, [&si](const double* X, double* Yo, Index b) { si.apply(X, Yo, b); }, false,
                     ik, block, p, mmax, E, cancelled);
    } else {
      std::vector<double> xr, yr;
      blockKrylovTop(M, [&](const double* X, double* Yo, Index b) { spmm(M, X, Yo, b, xr, yr); },
                     true, ik, block, pM, mmaxM, E, cancelled);
    }
  }
  poll(cancelled);
  DSE_PROF_T(t2);

  // embedding (row-major n x k) = eigenvectors / dd, then _deterministic_vector_sign_flip.
  std::vector<double> emb(n * k);
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t i = 0; i < n; ++i) emb[i * k + c] = E[c * n + i] / dd[i];
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t am = 0;
    double bv = -1;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = std::fabs(emb[i * k + c]);
      if (v > bv) {
        bv = v;
        am = i;
      }
    }
    const double x = emb[am * k + c];
    const double sg = (x > 0) ? 1.0 : (x < 0 ? -1.0 : 0.0);
    for (std::size_t i = 0; i < n; ++i) emb[i * k + c] *= sg;
  }
  clusterQr(emb, n, k, labels);
  DSE_PROF_T(t3);
  DSE_PROF_PRINT("knn+graph", t0, t1);
  DSE_PROF_PRINT("eigen", t1, t2);
  DSE_PROF_PRINT("qr", t2, t3);
}

}  // namespace dse
