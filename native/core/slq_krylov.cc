// SPDX-License-Identifier: MIT
// Method 'slq': block Krylov deflation and lockstep Lanczos (slq_parts.h), with their random
// start blocks and their block products (single-threaded BLAS calls inside our own fork-join
// regions, so that every result has a fixed summation order).
#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "blas.h"
#include "cancel.h"
#include "linalg.h"
#include "parallel.h"
#include "random.h"
#include "slq_parts.h"

namespace dse {
namespace slq {

namespace {
constexpr double kPi = 3.14159265358979323846;
using random::splitmix;
}  // namespace

// ---------------------------------------------------------------------------------------------
// Random numbers

double normalAt(std::uint64_t key, std::uint64_t index) {
  const double u1 = (static_cast<double>(splitmix(key, 2 * index) >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(splitmix(key, 2 * index + 1) >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

namespace {

// A Ritz pair is deflated when its residual is below this fraction of its value: its exact
// contribution f(theta) is then off by O((|r| / theta)^2) <= 1e-4 of that value's own share of
// the entropy (counted in systematicError). Looser deflates more of a slowly decaying spectrum
// (less variance), tighter deflates less; best around 1e-2 (docs/internals/slq.md).
constexpr double kRitzTolerance = 1e-2;
// A new Krylov direction (or Lanczos residual) below this fraction of the product it came from is
// treated as zero: the space is invariant to the precision of the float32 products (their
// rounding is ~1e-7 relative). Ending there loses only O(residual^2) of accuracy and saves the
// remaining products when the spectrum is flat (K close to I) or has few distinct values.
constexpr double kInvariantTolerance = 1e-5;

// Fills the n x cols column-major block A (leading dimension n) with normal deviates of a stream.
void normalBlock(std::uint64_t seed, std::uint64_t stream, std::uint64_t firstIndex, std::size_t n, std::size_t cols,
                 double* A, std::size_t threads) {
  const std::uint64_t key = splitmix(seed, stream);
  parallelFor(threads, cols, 1, [&](std::size_t c, std::size_t) {
    for (std::size_t r = 0; r < n; ++r) A[c * n + r] = normalAt(key, firstIndex + c * n + r);
  });
}

// ---------------------------------------------------------------------------------------------
// Products (blas.h), each called from one thread: C = alpha op(A) op(B) + beta C, column-major.

template <typename T>
using CMat = blas::ColMat<T>;
using blas::gemm;
using blas::syrkUpper;

// C (a x b) = A^T B for A (n x a) and B (n x b), both with leading dimension n. Row chunks of a
// fixed size run in parallel; their partial products are added in chunk order.
void crossProduct(const double* A, std::size_t a, const double* B, std::size_t b, std::size_t n, double* C,
                  std::size_t threads) {
  const std::size_t chunks = (n + kRowChunk - 1) / kRowChunk;
  if (a == 0 || b == 0) return;
  std::vector<double> partial(chunks * a * b);
  parallelFor(threads, chunks, 1, [&](std::size_t c, std::size_t) {
    const std::size_t r0 = c * kRowChunk, rows = std::min(kRowChunk, n - r0);
    gemm(true, false, a, b, rows, 1.0, A + r0, n, B + r0, n, 0.0, partial.data() + c * a * b, a);
  });
  std::fill(C, C + a * b, 0.0);
  for (std::size_t c = 0; c < chunks; ++c)
    for (std::size_t i = 0; i < a * b; ++i) C[i] += partial[c * a * b + i];
}

// Y (n x b) = alpha A C + beta Y for A (n x a, leading dimension n) and C (a x b), by row chunks.
void multiply(const double* A, std::size_t a, const double* C, std::size_t b, std::size_t n, double alpha, double beta,
              double* Y, std::size_t threads) {
  const std::size_t chunks = (n + kRowChunk - 1) / kRowChunk;
  parallelFor(threads, chunks, 1, [&](std::size_t c, std::size_t) {
    const std::size_t r0 = c * kRowChunk, rows = std::min(kRowChunk, n - r0);
    gemm(false, false, rows, b, a, alpha, A + r0, n, C, a, beta, Y + r0, n);
  });
}

// W -= B (B^T W), twice (classical Gram-Schmidt with reorthogonalisation). B: n x a, W: n x w.
void orthogonalise(const double* B, std::size_t a, double* W, std::size_t w, std::size_t n, std::size_t threads) {
  if (a == 0 || w == 0) return;
  std::vector<double> C(a * w);
  for (int pass = 0; pass < 2; ++pass) {
    crossProduct(B, a, W, w, n, C.data(), threads);
    multiply(B, a, C.data(), w, n, -1.0, 1.0, W, threads);
  }
}

// ---------------------------------------------------------------------------------------------
// Deflation: Rayleigh-Ritz on a block Krylov space.

// Orthonormal basis of the columns of W (n x w) in place, by Householder QR; returns false when
// W is rank deficient: a diagonal entry of R at most `threshold`.
bool orthonormalise(double* W, std::size_t w, std::size_t n, double threshold) {
  Eigen::Map<CMat<double>> Wm(W, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(w));
  Eigen::HouseholderQR<CMat<double>> qr(Wm);
  const auto& R = qr.matrixQR();
  for (std::size_t i = 0; i < w; ++i)
    if (!(std::abs(R(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i))) > threshold)) return false;
  CMat<double> Q =
      qr.householderQ() * CMat<double>::Identity(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(w));
  Wm = Q;
  return true;
}

}  // namespace

Deflation deflate(const TiledKernel& K, const SlqOptions& o, std::uint64_t streamBase, std::size_t threads,
                  const std::atomic<std::int32_t>* cancel) {
  Deflation out;
  const std::size_t n = K.n();
  const std::vector<double>& top = K.top();
  if (!top.empty()) {  // the exact pair (1, v); the Krylov space is kept orthogonal to v
    out.exactTop = true;
    out.theta.push_back(1.0);
    out.kuNorm2.push_back(1.0);
    out.U = top;
  }
  const std::size_t avail = n - out.k();
  const std::size_t b = std::min(o.blockSize, avail);
  if (b == 0 || o.blockIterations == 0) return out;
  const std::size_t cap = std::min(avail, b * o.blockIterations);
  std::vector<double> B(n * cap), KB(n * cap);
  // Start block: Gaussian, orthonormalised.
  normalBlock(o.seed, streamBase + 0, 0, n, b, B.data(), threads);
  if (!top.empty()) orthogonalise(top.data(), 1, B.data(), b, n, threads);
  if (!orthonormalise(B.data(), b, n, 1e-10)) return out;
  std::size_t cols = 0, width = b;  // columns with products in KB; width of the current block
  for (std::size_t it = 0; it < o.blockIterations; ++it) {
    K.apply(B.data() + cols * n, width, KB.data() + cols * n, threads);
    cols += width;
    checkpoint(cancel);
    if (it + 1 == o.blockIterations || cols >= cap) break;
    const std::size_t next = std::min(b, cap - cols);
    double* W = B.data() + cols * n;
    std::copy(KB.data() + (cols - width) * n, KB.data() + (cols - width + next) * n, W);
    double ref = 0;
    for (std::size_t i = 0; i < next * n; ++i) ref = std::max(ref, std::abs(W[i]));
    ref *= std::sqrt(static_cast<double>(n));
    if (!top.empty()) orthogonalise(top.data(), 1, W, next, n, threads);
    orthogonalise(B.data(), cols, W, next, n, threads);
    // ref bounds the norms of the products: a direction below kInvariantTolerance of it is
    // rounding, and the space found so far is invariant.
    if (!orthonormalise(W, next, n, kInvariantTolerance * ref)) break;
    width = next;
  }
  // Rayleigh-Ritz.
  CMat<double> Tm(cols, cols);
  crossProduct(B.data(), cols, KB.data(), cols, n, Tm.data(), threads);
  Tm = (0.5 * (Tm + Tm.transpose())).eval();
  Eigen::SelfAdjointEigenSolver<CMat<double>> es(Tm);
  if (es.info() != Eigen::Success) throw NumericError("slq: Rayleigh-Ritz eigensolver failed to converge");
  const CMat<double> Y = es.eigenvectors();
  const auto& theta = es.eigenvalues();
  // Residual norms |K B y - theta B y| for every Ritz pair, by row chunks (fixed order).
  const std::size_t chunks = (n + kRowChunk - 1) / kRowChunk;
  std::vector<double> partial(chunks * cols, 0.0);
  parallelFor(threads, chunks, 1, [&](std::size_t c, std::size_t) {
    const std::size_t r0 = c * kRowChunk, rows = std::min(kRowChunk, n - r0);
    std::vector<double> P(rows * cols), Q(rows * cols);
    gemm(false, false, rows, cols, cols, 1.0, KB.data() + r0, n, Y.data(), cols, 0.0, P.data(), rows);
    gemm(false, false, rows, cols, cols, 1.0, B.data() + r0, n, Y.data(), cols, 0.0, Q.data(), rows);
    for (std::size_t j = 0; j < cols; ++j) {
      double s = 0;
      for (std::size_t i = 0; i < rows; ++i) {
        const double e = P[j * rows + i] - theta(static_cast<Eigen::Index>(j)) * Q[j * rows + i];
        s += e * e;
      }
      partial[c * cols + j] = s;
    }
  });
  std::vector<double> res2(cols, 0.0);
  for (std::size_t c = 0; c < chunks; ++c)
    for (std::size_t j = 0; j < cols; ++j) res2[j] += partial[c * cols + j];
  KB.clear();
  KB.shrink_to_fit();
  // Deflate the converged pairs, largest first.
  std::vector<std::size_t> keep;
  for (std::size_t jj = cols; jj-- > 0;) {
    const double th = theta(static_cast<Eigen::Index>(jj));
    if (th > 0 && std::sqrt(res2[jj]) <= kRitzTolerance * th) keep.push_back(jj);
  }
  const std::size_t k = keep.size(), k0 = out.k();
  if (k == 0) return out;
  CMat<double> Ysel(cols, k);
  for (std::size_t i = 0; i < k; ++i) {
    Ysel.col(static_cast<Eigen::Index>(i)) = Y.col(static_cast<Eigen::Index>(keep[i]));
    out.theta.push_back(theta(static_cast<Eigen::Index>(keep[i])));
    out.kuNorm2.push_back(out.theta.back() * out.theta.back() + res2[keep[i]]);
  }
  out.U.resize(n * (k0 + k));
  multiply(B.data(), cols, Ysel.data(), k, n, 1.0, 0.0, out.U.data() + n * k0, threads);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lanczos on K from P z / |P z| for a block of probes in lockstep.

Tridiagonals lanczos(const TiledKernel& K, const Deflation& D, const SlqOptions& o, std::uint64_t streamBase,
                     std::size_t threads, const std::atomic<std::int32_t>* cancel) {
  const std::size_t n = K.n(), M = o.probes, s = o.steps;
  Tridiagonals out;
  out.probes = M;
  out.alpha.assign(M, {});
  out.beta.assign(M, {});
  std::vector<double> Q(n * M), Qprev(n * M, 0.0), W(n * M);
  normalBlock(o.seed, streamBase + 1, 0, n, M, Q.data(), threads);
  if (D.k() > 0) orthogonalise(D.U.data(), D.k(), Q.data(), M, n, threads);
  std::vector<double> betaPrev(M, 0.0);
  std::vector<char> active(M, 1);
  // Scale for "beta is zero": the largest eigenvalue is at most max(trace, sqrt(frob2)).
  std::vector<double> scale(M, 0.0);  // per probe: the largest |alpha|, beta so far
  parallelFor(threads, M, 1, [&](std::size_t c, std::size_t) {
    double* q = Q.data() + c * n;
    double s2 = 0;
    for (std::size_t i = 0; i < n; ++i) s2 += q[i] * q[i];
    const double norm = std::sqrt(s2);
    if (!(norm > 0)) {
      active[c] = 0;
      return;
    }
    for (std::size_t i = 0; i < n; ++i) q[i] /= norm;
  });
  for (std::size_t step = 0; step < s; ++step) {
    K.apply(Q.data(), M, W.data(), threads);
    checkpoint(cancel);
    parallelFor(threads, M, 1, [&](std::size_t c, std::size_t) {
      if (!active[c]) return;
      double* q = Q.data() + c * n;
      double* qp = Qprev.data() + c * n;
      double* w = W.data() + c * n;
      double a = 0;
      for (std::size_t i = 0; i < n; ++i) a += q[i] * w[i];
      const double bp = betaPrev[c];
      for (std::size_t i = 0; i < n; ++i) w[i] -= a * q[i] + bp * qp[i];
      double a2 = 0;  // local reorthogonalisation against q
      for (std::size_t i = 0; i < n; ++i) a2 += q[i] * w[i];
      for (std::size_t i = 0; i < n; ++i) w[i] -= a2 * q[i];
      out.alpha[c].push_back(a + a2);
      if (step + 1 == s) return;
      double b2 = 0;
      for (std::size_t i = 0; i < n; ++i) b2 += w[i] * w[i];
      const double b = std::sqrt(b2);
      scale[c] = std::max(scale[c], std::abs(a + a2));
      if (!(b > kInvariantTolerance * scale[c])) {  // an invariant subspace: the quadrature is complete
        active[c] = 0;
        std::fill(q, q + n, 0.0);
        return;
      }
      out.beta[c].push_back(b);
      scale[c] = std::max(scale[c], b);
      betaPrev[c] = b;
      std::copy(q, q + n, qp);
      for (std::size_t i = 0; i < n; ++i) q[i] = w[i] / b;
    });
    if (std::none_of(active.begin(), active.end(), [](char a) { return a != 0; })) break;
  }
  return out;
}

// Gauss quadrature nodes and weights of the first `len` steps of one probe's tridiagonal.
void quadrature(const std::vector<double>& alpha, const std::vector<double>& beta, std::size_t len,
                std::vector<double>& nodes, std::vector<double>& weights) {
  len = std::min(len, alpha.size());
  nodes.assign(len, 0.0);
  weights.assign(len, 0.0);
  if (len == 0) return;
  if (len == 1) {
    nodes[0] = alpha[0];
    weights[0] = 1;
    return;
  }
  Eigen::VectorXd d(static_cast<Eigen::Index>(len)), e(static_cast<Eigen::Index>(len - 1));
  for (std::size_t i = 0; i < len; ++i) d(static_cast<Eigen::Index>(i)) = alpha[i];
  for (std::size_t i = 0; i + 1 < len; ++i) e(static_cast<Eigen::Index>(i)) = beta[i];
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es;
  es.computeFromTridiagonal(d, e, Eigen::ComputeEigenvectors);
  if (es.info() != Eigen::Success) throw NumericError("slq: tridiagonal eigensolver failed to converge");
  for (std::size_t i = 0; i < len; ++i) {
    nodes[i] = es.eigenvalues()(static_cast<Eigen::Index>(i));
    const double v = es.eigenvectors()(0, static_cast<Eigen::Index>(i));
    weights[i] = v * v;
  }
}

}  // namespace slq
}  // namespace dse
