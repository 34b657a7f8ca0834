// SPDX-License-Identifier: MIT
// Spectral clustering's eigensolvers (cluster_parts.h): the top eigenvectors of the normalised
// affinity M, by a dense solver, Chebyshev-filtered subspace iteration on M, or block Krylov on
// the shift-invert operator, whichever a cost model predicts cheaper. Two back ends:
// OpenBLAS/LAPACK (DSE_HAVE_LAPACK, blas.h) and Eigen only.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/OrderingMethods>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#include "cluster_parts.h"
#include "parallel.h"

namespace dse {
namespace cluster {
namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using MapM = Eigen::Map<MatD, 0, Eigen::OuterStride<>>;
using CMapM = Eigen::Map<const MatD, 0, Eigen::OuterStride<>>;

// Eigen-decomposition of a small or moderate symmetric matrix (column-major n x n, lower
// triangle used, destroyed): the `nev` largest eigenvalues in descending order into w and
// their eigenvectors as the columns of Z (n x nev, column-major).
void symTopEigen(const double* A, Index n, Index nev, std::vector<double>& w, std::vector<double>& Z) {
  CMapM a(A, n, n, Eigen::OuterStride<>(n));
  Eigen::SelfAdjointEigenSolver<MatD> es;
  es.compute(a.selfadjointView<Eigen::Lower>().toDenseMatrix(), Eigen::ComputeEigenvectors);
  if (es.info() != Eigen::Success) throw NumericError("SelfAdjointEigenSolver did not converge");
  for (Index j = 0; j < nev; ++j) {
    const Index src = n - 1 - j;
    w[j] = es.eigenvalues()(src);
    for (Index i = 0; i < n; ++i) Z[j * n + i] = es.eigenvectors()(i, src);
  }
}

}  // namespace

void symTop(double* A, Index n, Index nev, std::vector<double>& w, std::vector<double>& Z) {
  w.assign(nev, 0.0);
  Z.assign(static_cast<std::size_t>(n * nev), 0.0);
#ifdef DSE_HAVE_LAPACK
  // dsyevr's MRRR can fail (info > 0) on exactly repeated eigenvalues, which duplicated points
  // produce: the implicit QL of Eigen's solver then runs on the saved copy.
  const std::vector<double> saved(A, A + n * n);
  const char jobz = 'V', range = 'I', uplo = 'L';
  const int in = static_cast<int>(n), il = static_cast<int>(n - nev + 1), iu = static_cast<int>(n);
  const double vl = 0, vu = 0, abstol = 0;
  int m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
  double wq = 0;
  std::vector<double> wa(n), za(static_cast<std::size_t>(n * nev));
  std::vector<int> isuppz(2 * static_cast<std::size_t>(nev));
  blas::syevr(&jobz, &range, &uplo, &in, A, &in, &vl, &vu, &il, &iu, &abstol, &m, wa.data(), za.data(), &in,
              isuppz.data(), &wq, &lwork, &iwq, &liwork, &info);
  if (info != 0) throw NumericError("dsyevr workspace query failed (info " + std::to_string(info) + ")");
  lwork = static_cast<int>(wq) + 1;
  liwork = iwq;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  blas::syevr(&jobz, &range, &uplo, &in, A, &in, &vl, &vu, &il, &iu, &abstol, &m, wa.data(), za.data(), &in,
              isuppz.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info > 0) {
    symTopEigen(saved.data(), n, nev, w, Z);
    return;
  }
  if (info != 0 || m != nev) throw NumericError("dsyevr failed (info " + std::to_string(info) + ")");
  for (Index j = 0; j < nev; ++j) {  // ascending -> descending
    const Index src = nev - 1 - j;
    w[j] = wa[src];
    std::memcpy(&Z[j * n], &za[src * n], sizeof(double) * n);
  }
#else
  symTopEigen(A, n, nev, w, Z);
#endif
}

double dot(const double* a, const double* b, std::size_t n) {
  using Vec = Eigen::Matrix<double, Eigen::Dynamic, 1>;
  return Eigen::Map<const Vec>(a, static_cast<Index>(n)).dot(Eigen::Map<const Vec>(b, static_cast<Index>(n)));
}

namespace {

double nrm2(const double* a, std::size_t n) { return std::sqrt(dot(a, a, n)); }
// |my - mu y|: the residual of the approximate eigenpair (mu, y), my = Op y.
double residualNorm(const double* my, const double* y, double mu, Index n) {
  double s = 0;
  for (Index i = 0; i < n; ++i) {
    const double r = my[i] - mu * y[i];
    s += r * r;
  }
  return std::sqrt(s);
}

}  // namespace

void orthonormalize(const double* V, Index n, Index m, double* Z, Index bz, const double* pre, Rng& rng, GemmFn mm) {
  std::vector<double> C(static_cast<std::size_t>(std::max<Index>(m, 1) * bz));
  std::vector<double> norm0(bz);
  for (Index c = 0; c < bz; ++c) norm0[c] = nrm2(Z + c * n, n);
  if (m > 0) {
    for (int pass = 0; pass < 2; ++pass) {
      const double* coef = pre;
      if (pass == 1 || pre == nullptr) {
        mm(true, false, m, bz, n, 1.0, V, n, Z, n, 0.0, C.data(), m);
        coef = C.data();
      }
      mm(false, false, n, bz, m, -1.0, V, n, coef, m, 1.0, Z, n);
    }
  }
  std::vector<double> cv(static_cast<std::size_t>(std::max<Index>(m, bz) + 1));
  for (Index c = 0; c < bz; ++c) {
    double* z = Z + c * n;
    bool replaced = false;
    for (int attempt = 0; attempt < 6; ++attempt) {
      double before = nrm2(z, n);
      // Project out the previous columns of this block (twice).
      if (c > 0)
        for (int pass = 0; pass < 2; ++pass) {
          gemmEigen(true, false, c, 1, n, 1.0, Z, n, z, n, 0.0, cv.data(), c);
          gemmEigen(false, false, n, 1, c, -1.0, Z, n, cv.data(), c, 1.0, z, n);
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
          gemmEigen(true, false, m, 1, n, 1.0, V, n, z, n, 0.0, cv.data(), m);
          gemmEigen(false, false, n, 1, m, -1.0, V, n, cv.data(), m, 1.0, z, n);
        }
    }
    const double nz = nrm2(z, n);
    if (!(nz > 0) || !std::isfinite(nz)) throw NumericError("spectral embedding: orthogonalisation failed");
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, 1>>(z, n) /= nz;
  }
}

namespace {

// Applies a symmetric operator to a column-major block: Y (n x b) = Op X.
using BlockOp = std::function<void(const double* X, double* Y, Index b)>;

// Shift-invert operator T = (L + sigma I)^-1 = ((1 + sigma) I - M)^-1 (L = I - M, the
// normalised Laplacian with unit diagonal; sklearn's ARPACK call uses sigma = -1e-5, i.e.
// L + 1e-5 I), by a sparse LDL^T factorisation with an AMD ordering. analyze() orders and
// counts the factor (nonzeros, flops) and gives up beyond maxFill nonzeros; factorize() then
// computes it.
class ShiftInvert {
 public:
  using SpMat = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;
  using Perm = Eigen::PermutationMatrix<Eigen::Dynamic, Eigen::Dynamic, int>;

  double fill = 0;   // nonzeros of the factor below the diagonal
  double flops = 0;  // ~ cost of the factorisation (sum of squared column counts)

  bool analyze(const Csr& M, double sigma, double maxFill) {
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
    ap_ = A.selfadjointView<Eigen::Lower>().twistedBy(p_);
    // Column counts of the factor (elimination tree, row subtrees), stopping early.
    std::vector<int> parent(n, -1), tag(n, -1), cnt(n, 0);
    fill = 0;
    for (int k = 0; k < n; ++k) {
      tag[k] = k;
      for (SpMat::InnerIterator it(ap_, k); it; ++it) {
        int i = static_cast<int>(it.index());
        if (i >= k) continue;
        for (; tag[i] != k; i = parent[i]) {
          if (parent[i] == -1) parent[i] = k;
          ++cnt[i];
          fill += 1;
          tag[i] = k;
        }
      }
      if (fill > maxFill) {
        flops = std::numeric_limits<double>::infinity();
        ap_ = SpMat();
        return false;
      }
    }
    flops = 0;
    for (int i = 0; i < n; ++i) flops += static_cast<double>(cnt[i]) * cnt[i];
    if (flops > kSiMaxFlops) {
      ap_ = SpMat();
      return false;
    }
    return true;
  }

  void factorize() {
    ldlt_.compute(ap_);
    if (ldlt_.info() != Eigen::Success) throw NumericError("sparse LDL^T factorisation failed");
    ap_ = SpMat();
  }

  // Y = T X for a column-major block X (n x b). The solves with the factor P^T L D L^T P run
  // on a row-major copy, so each entry of L is read once for all b columns.
  void apply(const double* X, double* Y, Index b) {
    const auto& Lm = ldlt_.matrixL().nestedExpression();  // unit lower, diagonal not stored
    const auto& D = ldlt_.vectorD();
    const Index n = Lm.rows();
    const std::size_t bb = static_cast<std::size_t>(b);
    const int* perm = p_.indices().data();
    const int* Lp = Lm.outerIndexPtr();
    const int* Lnz = Lm.innerNonZeroPtr();
    const int* Li = Lm.innerIndexPtr();
    const double* Lx = Lm.valuePtr();
    buf_.resize(static_cast<std::size_t>(n) * bb);
    double* x = buf_.data();
    for (Index c = 0; c < b; ++c)
      for (Index i = 0; i < n; ++i) x[static_cast<std::size_t>(perm[i]) * bb + c] = X[c * n + i];
    using Arr = Eigen::Array<double, Eigen::Dynamic, 1>;
    for (Index j = 0; j < n; ++j) {  // L z = x
      Eigen::Map<const Arr> xj(x + j * bb, b);
      const int e1 = Lnz ? Lp[j] + Lnz[j] : Lp[j + 1];
      for (int e = Lp[j]; e < e1; ++e) Eigen::Map<Arr>(x + static_cast<std::size_t>(Li[e]) * bb, b) -= Lx[e] * xj;
    }
    for (Index j = 0; j < n; ++j)  // D
      Eigen::Map<Arr>(x + j * bb, b) *= 1.0 / D(j);
    for (Index j = n - 1; j >= 0; --j) {  // L^T
      Eigen::Map<Arr> xj(x + j * bb, b);
      const int e1 = Lnz ? Lp[j] + Lnz[j] : Lp[j + 1];
      for (int e = Lp[j]; e < e1; ++e) xj -= Lx[e] * Eigen::Map<const Arr>(x + static_cast<std::size_t>(Li[e]) * bb, b);
    }
    for (Index c = 0; c < b; ++c)
      for (Index i = 0; i < n; ++i) Y[c * n + i] = x[static_cast<std::size_t>(perm[i]) * bb + c];
  }

 private:
  Perm p_, pinv_;
  SpMat ap_;
  Eigen::SimplicialLDLT<SpMat, Eigen::Lower, Eigen::NaturalOrdering<int>> ldlt_;
  std::vector<double> buf_;
};

// The k eigenvectors of M belonging to its largest eigenvalues, from a block Krylov method
// (block Lanczos with full reorthogonalisation and thick restart) applied to `op`, the
// shift-invert operator T (same eigenvectors as M, order preserved). Converged when the
// residuals |M y - (y'My) y| of the k wanted Ritz vectors are <= 1e-12 (M has norm <= 1).
// Eigenvectors into E (n x k, column-major). `init` (n x b, or null for random) starts the
// iteration.
void blockKrylovTop(const Csr& M, const BlockOp& op, Index k, Index b, Index p, Index mmax, const double* init,
                    std::vector<double>& E, CancelFlag cancel) {
  const Index n = static_cast<Index>(M.n);
  // Basis products with Eigen: the operator's single-threaded solves dominate, and threaded
  // BLAS calls between them would leave OpenBLAS's threads spin-waiting.
  const GemmFn mm = gemmEigen;
  const double tol = 1e-12;
  const int maxRestarts = 3000;

  std::vector<double> V(static_cast<std::size_t>(n * mmax)), AV(static_cast<std::size_t>(n * mmax));
  std::vector<double> H(static_cast<std::size_t>(mmax * mmax), 0.0);
  std::vector<double> Z(static_cast<std::size_t>(n * b)), C(static_cast<std::size_t>(mmax * b));
  std::vector<double> xr, yr, w, S, Hc, Yr, AY, MY;
  Rng rng(0x5DEECE66Dull);

  if (init) std::memcpy(Z.data(), init, sizeof(double) * static_cast<std::size_t>(n * b));
  else
    for (Index i = 0; i < n * b; ++i) Z[i] = rng.uniform();
  orthonormalize(V.data(), n, 0, Z.data(), b, nullptr, rng, mm);
  Index m = 0;
  double prevWorst = std::numeric_limits<double>::infinity();

  for (int restart = 0; restart <= maxRestarts; ++restart) {
    // Expand the basis block by block until it is full.
    while (m + b <= mmax) {
      checkpoint(cancel);
      std::memcpy(&V[m * n], Z.data(), sizeof(double) * static_cast<std::size_t>(n * b));
      op(&V[m * n], &AV[m * n], b);
      const Index m1 = m + b;
      // C = V[:, :m1]^T (Op Z): the new columns of H = V^T Op V.
      mm(true, false, m1, b, n, 1.0, V.data(), n, &AV[m * n], n, 0.0, C.data(), m1);
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
      orthonormalize(V.data(), n, m, Z.data(), b, C.data(), rng, mm);
    }

    // Rayleigh-Ritz on span V.
    Hc.assign(static_cast<std::size_t>(m * m), 0.0);
    for (Index c = 0; c < m; ++c)
      for (Index r = 0; r < m; ++r) Hc[c * m + r] = H[c * mmax + r];
    symTop(Hc.data(), m, p, w, S);
    Yr.resize(static_cast<std::size_t>(n * p));
    AY.resize(static_cast<std::size_t>(n * p));
    mm(false, false, n, p, m, 1.0, V.data(), n, S.data(), m, 0.0, Yr.data(), n);
    mm(false, false, n, p, m, 1.0, AV.data(), n, S.data(), m, 0.0, AY.data(), n);
    MY.resize(static_cast<std::size_t>(n * k));
    spmm(M, Yr.data(), MY.data(), k, xr, yr);
    double worst = 0, worstOp = 0;
    for (Index c = 0; c < k; ++c) {
      const double* y = &Yr[c * n];
      const double* my = MY.data() + c * n;
      const double mu = dot(y, my, static_cast<std::size_t>(n));
      worstOp = std::max(worstOp, residualNorm(&AY[c * n], y, w[c], n) / std::fabs(w[0]));
      worst = std::max(worst, residualNorm(my, y, mu, n));
    }
    // With shift-invert the residual in M can stall a little above 1e-12 (the solves are
    // accurate to about eps * cond(L + sigma I)); accept once the operator residual is at
    // rounding level and the M residual stopped improving.
    const bool stalled = worstOp <= 1e-14 && worst <= 1e-9 && worst >= 0.5 * prevWorst;
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
    orthonormalize(V.data(), n, m, Z.data(), b, nullptr, rng, mm);
  }
  throw NumericError("spectral embedding: eigensolver did not converge");
}

// The k eigenvectors of M belonging to its largest eigenvalues, by Chebyshev-filtered subspace
// iteration (Zhou and Saad, 2007) on a block of nb >= k vectors: each iteration applies a
// Chebyshev polynomial in M that damps the interval [-1, cut] (cut: the smallest Ritz value of
// the block, an estimate of the unwanted part's top) and grows everything above it, then
// orthonormalises the block and takes Ritz vectors. Only sparse products run between the
// orthonormalisations, so an iteration costs `degree` cheap products where block Krylov
// spends dense orthogonalisations on every block; on graphs whose wanted eigenvalues lie close
// to the next ones (high-dimensional noise: thousands of matrix applications) that is the
// difference between seconds and a tenth of one. The degree is capped so that the top Ritz
// value's growth exceeds the k-th's by at most kChebRatio: the k-th direction then keeps
// ~eps * kChebRatio relative accuracy through the filter. Same convergence test as
// blockKrylovTop (residuals <= 1e-12). Converged leading Ritz vectors are locked: no longer
// filtered, their directions removed from the rest every kChebDeflateEvery steps, so that the
// degree cap only weighs the unlocked ones. `giveUp(iteration, remainingCost)` is asked after
// every Rayleigh-Ritz step (remainingCost: the predicted work still to do); when it returns
// true E gets the `keep` leading Ritz vectors and the result is false.
constexpr double kChebRatio = 1e3;
constexpr int kChebMaxDegree = 64;
// The damped interval is never narrower than this (a block whose smallest Ritz value is -1).
constexpr double kChebMinWidth = 1e-3;
// Filter steps between two removals of the locked directions: the top eigenvalue 1 grows by at
// most T_8(3) ~ 1e6 over the unwanted end in that many steps, far from swamping the rest.
constexpr int kChebDeflateEvery = 8;

bool chebyshevTop(const Csr& M, Index k, Index nb, Index keep, const std::function<bool(int, double)>& giveUp,
                  std::vector<double>& E, CancelFlag cancel) {
  const Index n = static_cast<Index>(M.n);
  const std::size_t sz = static_cast<std::size_t>(n * nb);
  const double tol = 1e-12, lo = -1.0;  // M's spectrum lies in [-1, 1]
  const int maxIterations = 2000;
  std::vector<double> X(sz), MX(sz), X0(sz), X1(sz), T(sz), H, w, S, xr, yr;
  Rng rng(0x5DEECE66Dull);
  for (std::size_t i = 0; i < sz; ++i) X[i] = rng.uniform();
  orthonormalize(X.data(), n, 0, X.data(), nb, nullptr, rng, gemmEigen);
  const double nnz = static_cast<double>(M.col.size()), dn = static_cast<double>(n), dnb = static_cast<double>(nb);
  int degree = 0;  // the first Rayleigh-Ritz step runs on the random block
  // The filter maps [lo, cut] onto [-1, 1] by (M - c) / e; set from each Rayleigh-Ritz step.
  double c = 0, e = 1;
  Index locked = 0;  // leading Ritz vectors already converged: no longer filtered
  std::vector<double> resid(static_cast<std::size_t>(k)), P, history;
  // Z (n x b) minus its components along the locked vectors: (I - L L^T) Z.
  auto deflate = [&](double* Z, Index b) {
    if (locked == 0) return;
    P.resize(static_cast<std::size_t>(locked * b));
    gemmEigen(true, false, locked, b, n, 1.0, X.data(), n, Z, n, 0.0, P.data(), locked);
    gemmEigen(false, false, n, b, locked, -1.0, X.data(), n, P.data(), locked, 1.0, Z, n);
  };
  for (int it = 0; it <= maxIterations; ++it) {
    checkpoint(cancel);
    if (degree > 0) {
      // Chebyshev recurrence on (M - c) / e, applied to the unlocked columns. The locked ones
      // span an invariant subspace (to the tolerance), so removing their directions commutes
      // with the polynomial; it is repeated every few steps, before their growth (up to the
      // top eigenvalue's) can swamp the rest.
      const Index b = nb - locked;
      const std::size_t bs = static_cast<std::size_t>(n * b);
      double* active = X.data() + static_cast<std::size_t>(n * locked);
      std::memcpy(X0.data(), active, sizeof(double) * bs);
      spmm(M, X0.data(), T.data(), b, xr, yr);
      for (std::size_t i = 0; i < bs; ++i) X1[i] = (T[i] - c * X0[i]) / e;
      for (int j = 2; j <= degree; ++j) {
        if (j % kChebDeflateEvery == 0) {
          deflate(X0.data(), b);
          deflate(X1.data(), b);
        }
        spmm(M, X1.data(), T.data(), b, xr, yr);
        for (std::size_t i = 0; i < bs; ++i) X0[i] = 2.0 * (T[i] - c * X1[i]) / e - X0[i];
        X0.swap(X1);
      }
      std::memcpy(active, X1.data(), sizeof(double) * bs);
      orthonormalize(X.data(), n, locked, active, b, nullptr, rng, gemmEigen);
    }
    // Rayleigh-Ritz on span X.
    spmm(M, X.data(), MX.data(), nb, xr, yr);
    H.resize(static_cast<std::size_t>(nb * nb));
    gemmEigen(true, false, nb, nb, n, 1.0, X.data(), n, MX.data(), n, 0.0, H.data(), nb);
    for (Index j = 0; j < nb; ++j)
      for (Index r = j + 1; r < nb; ++r) {
        const double v = 0.5 * (H[j * nb + r] + H[r * nb + j]);
        H[j * nb + r] = v;
        H[r * nb + j] = v;
      }
    symTop(H.data(), nb, nb, w, S);
    gemmEigen(false, false, n, nb, nb, 1.0, X.data(), n, S.data(), nb, 0.0, T.data(), n);
    X.swap(T);
    gemmEigen(false, false, n, nb, nb, 1.0, MX.data(), n, S.data(), nb, 0.0, T.data(), n);
    MX.swap(T);
    double worst = 0;
    for (Index j = 0; j < k; ++j) {
      resid[static_cast<std::size_t>(j)] = residualNorm(&MX[j * n], &X[j * n], w[j], n);
      worst = std::max(worst, resid[static_cast<std::size_t>(j)]);
    }
    locked = 0;
    while (locked < k && resid[static_cast<std::size_t>(locked)] <= tol) ++locked;
    if (worst <= tol) {
      E.assign(X.begin(), X.begin() + n * k);
      return true;
    }
    // Next filter: damp up to the block's smallest Ritz value; its degree from the growth of
    // the k-th Ritz value's direction against the top unlocked one's.
    const double cut = std::max(w[static_cast<std::size_t>(nb - 1)], lo + kChebMinWidth);
    c = 0.5 * (cut + lo);
    e = 0.5 * (cut - lo);
    const double xTop = (w[static_cast<std::size_t>(locked)] - c) / e,
                 xK = (w[static_cast<std::size_t>(k - 1)] - c) / e;
    const double aTop = xTop > 1 ? std::acosh(xTop) : 0.0, aK = xK > 1 ? std::acosh(xK) : 0.0;
    const double spread = aTop - aK;
    degree = spread > 0 ? static_cast<int>(std::log(kChebRatio) / spread) : kChebMaxDegree;
    // No more than the residual needs: the unwanted part shrinks by 1 / T_degree(xK) against
    // the k-th direction, and the iteration stops at 1e-12 (a factor 10 to spare).
    if (aK > 0) degree = std::min(degree, static_cast<int>(std::ceil(std::acosh(10.0 * worst / tol) / aK)));
    degree = std::max(2, std::min(kChebMaxDegree, degree));
    // Work still to do (cost-model units, as spectralClustering's): the wanted directions gain
    // a factor ~e^aK per filter step over the unwanted ones; infinite when the residual stalls.
    const double active = static_cast<double>(nb - locked);
    const double steps = aK > 0 ? std::log(worst / tol) / aK : std::numeric_limits<double>::infinity();
    double remainingCost =
        steps * (8.0 * nnz * active + 8.0 * dn * active) + (steps / degree + 1.0) * 16.0 * dn * dnb * dnb;
    history.push_back(worst);
    if (history.size() > 3 && worst > 0.9 * history[history.size() - 4])
      remainingCost = std::numeric_limits<double>::infinity();
    if (giveUp && giveUp(it, remainingCost)) {
      E.assign(X.begin(), X.begin() + n * keep);
      return false;
    }
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

}  // namespace

EmbeddingSizes embeddingSizes(std::size_t n, std::size_t k, std::size_t comps) {
  const Index ik = static_cast<Index>(k);
  EmbeddingSizes s{};
  s.block = std::max<Index>(2, std::min<Index>(ik, 16));
  if (comps <= k) s.block = std::max<Index>(s.block, static_cast<Index>(comps));
  s.p = ik + std::max<Index>(s.block, 8);
  s.mmaxM = s.p + std::max<Index>(6 * s.block, 48);
  s.mmaxS = s.p + 3 * s.block;
  s.dense = n <= kDenseMaxN || 2 * static_cast<std::size_t>(s.mmaxM) >= n;
  return s;
}

void topEigs(const Csr& M, std::size_t k, std::size_t comps, std::vector<double>& E, CancelFlag cancel) {
  const std::size_t n = M.n;
  const Index ik = static_cast<Index>(k);
  const EmbeddingSizes sizes = embeddingSizes(n, k, comps);
  const Index block = sizes.block, p = sizes.p, mmaxM = sizes.mmaxM, mmaxS = sizes.mmaxS;
  if (sizes.dense) {
    denseTopEigs(M, ik, E);
  } else {
    // Shift-invert (as sklearn's ARPACK call) or Chebyshev-filtered subspace iteration on M,
    // whichever a cost model predicts cheaper. Shift-invert wins on low-dimensional data
    // (small fill, wanted eigenvalues crowded near 1); the filtered iteration on
    // high-dimensional data (large fill). It starts when shift-invert is not clearly cheap, and
    // hands over (its Ritz vectors as the start) once it predicts more work.
    const double dn = static_cast<double>(n), nnzM = static_cast<double>(M.col.size());
    const double db = static_cast<double>(block), dk = static_cast<double>(k);
    // Work units ~ flops weighted by speed (sparse ops are memory bound).
    auto restartCost = [&](double opPerVector, Index mmax) {
      const double blocks = static_cast<double>(mmax - p) / db;
      const double mAvg = 0.5 * static_cast<double>(mmax + p);
      return blocks * (opPerVector * db + 8.0 * dn * mAvg * db) +
             4.0 * dn * static_cast<double>(mmax) * static_cast<double>(p);
    };
    const double krRestart = restartCost(8.0 * nnzM, mmaxM);
    ShiftInvert si;
    const bool siFeasible = si.analyze(M, 1e-5, kSiMaxFillPerRow * dn);
    const double siCost =
        siFeasible ? kSiFactorWeight * si.flops + kSiRestarts * (restartCost(16.0 * si.fill, mmaxS) + 8.0 * nnzM * dk)
                   : std::numeric_limits<double>::infinity();
    bool useSi = siCost <= kSiDirectRestarts * krRestart;
    checkpoint(cancel);
    std::vector<double> start;
    if (!useSi) {
      const bool allowSwitch = siFeasible;
      auto giveUp = [&](int it, double remainingCost) {
        // Iteration 0 is the random block's Rayleigh-Ritz step, 1 the first filtered one.
        if (!allowSwitch || it < 2) return false;
        return !(remainingCost <= kSiSwitchMargin * siCost);
      };
      const bool done = chebyshevTop(M, ik, p, block, giveUp, E, cancel);
      if (!done) {
        useSi = true;
        start.swap(E);
      }
    }
    if (useSi) {
      si.factorize();
      checkpoint(cancel);
      blockKrylovTop(
          M, [&si](const double* X, double* Yo, Index bw) { si.apply(X, Yo, bw); }, ik, block, p, mmaxS,
          start.empty() ? nullptr : start.data(), E, cancel);
    }
  }
}

}  // namespace cluster
}  // namespace dse
