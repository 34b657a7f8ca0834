// SPDX-License-Identifier: MIT
// Method 'slq': see slq.h for the estimator. Layout of this file: random numbers, small BLAS
// wrappers (single-threaded calls inside our own fork-join regions, so that every result has a
// fixed summation order), the tiled float32 kernel, block Krylov deflation, lockstep Lanczos,
// and the estimator.
#include "slq.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <vector>

#include <Eigen/Dense>

#include "blas.h"
#include "cancel.h"
#include "linalg.h"
#include "parallel.h"
#include "random.h"


namespace dse {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kLn2 = 0.69314718055994530942;
constexpr double kEps = 2.220446049250313e-16;  // 2^-52, numpy's eps
// Kernel entries below this fraction of the diagonal are stored as 0: exp(-69) ~ 1e-30. They
// cannot move the entropy, and float32 denormals would slow every product down ~100x.
constexpr double kFlushExponent = 69.0;
// Row chunk of the N x (columns) float64 block operations: fixed, so sums have a fixed order.
constexpr std::size_t kRowChunk = 2048;
// A Ritz pair is deflated when its residual is below this fraction of its value: its exact
// contribution f(theta) is then off by O((|r| / theta)^2) <= 1e-4 of that value's own share of
// the entropy (counted in systematicError). Looser deflates more of a slowly decaying spectrum
// (less variance), tighter deflates less; measured best around 1e-2 (docs/performance.md).
constexpr double kRitzTolerance = 1e-2;
// Allowance for storing K in float32 (relative rounding 2^-24 per entry): the entropy of the
// rounded kernel differed from the float64 kernel's by at most 2e-7 bits in our measurements.
constexpr double kFloat32Allowance = 0x1.0p-22;
// A new Krylov direction (or Lanczos residual) below this fraction of the product it came from is
// treated as zero: the space is invariant to the precision of the float32 products (their
// rounding is ~1e-7 relative). Ending there loses only O(residual^2) of accuracy and saves the
// remaining products when the spectrum is flat (K close to I) or has few distinct values.
constexpr double kInvariantTolerance = 1e-5;

// ---------------------------------------------------------------------------------------------
// Random numbers

using random::splitmix;

inline double normalAt(std::uint64_t key, std::uint64_t index) {
  const double u1 = (static_cast<double>(splitmix(key, 2 * index) >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(splitmix(key, 2 * index + 1) >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

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
// The kernel: upper tiles (I <= J) of the symmetric N x N matrix, each column-major rI x cJ,
// float32. Diagonal tiles are stored whole (both triangles).

std::size_t tileSizeFor(std::size_t n) {
  // Depends on n only (never on the thread count), so the bits do not either.
  std::size_t t = (n + 7) / 8;
  t = (t + 63) / 64 * 64;
  return std::max<std::size_t>(256, std::min<std::size_t>(2048, t));
}

double tiledBytes(std::size_t n) {
  const std::size_t T = tileSizeFor(n), nb = (n + T - 1) / T;
  double bytes = 0;
  for (std::size_t J = 0; J < nb; ++J)
    for (std::size_t I = 0; I <= J; ++I)
      bytes += static_cast<double>(std::min(T, n - I * T)) * static_cast<double>(std::min(T, n - J * T)) * 4.0;
  return bytes;
}

class TiledKernel {
 public:
  explicit TiledKernel(std::size_t n) : n_(n), T_(tileSizeFor(n)), nb_((n + T_ - 1) / T_), offsets_(nb_ * nb_, 0) {
    std::size_t total = 0;
    for (std::size_t J = 0; J < nb_; ++J)
      for (std::size_t I = 0; I <= J; ++I) {
        offsets_[I * nb_ + J] = total;
        total += rows(I) * rows(J);
        tiles_.push_back({I, J});
      }
    // Uninitialised: every entry is written by build(), and the pages are first touched there,
    // by the worker that fills the tile (a zeroing pass would cost ~1 s at N = 40000).
    data_.reset(new float[total]);
  }

  std::size_t n() const { return n_; }
  std::size_t tile() const { return T_; }
  // tr K and ||K||_F^2 of the whole kernel (including the top pair held apart, if any).
  double trace() const { return trace_; }
  double frobenius2() const { return frob2_; }
  // The diffusion kernel's top eigenpair (1, D^1/2 1 / |D^1/2 1|) is known exactly and is held
  // apart: the tiles store K - v v^T (see build). Empty for the plain Gaussian kernel.
  const std::vector<double>& top() const { return top_; }

  void build(const InputMatrix& X, const std::int32_t* subset, const KernelSpec& spec, std::size_t threads,
             const std::atomic<std::int32_t>* cancel) {
    const std::size_t d = X.cols;
    // Rows as float64, centred (distances do not change; the Gram products lose less to
    // cancellation), and their squared norms.
    std::vector<double> Xc(n_ * d);
    parallelFor(threads, n_, 256, [&](std::size_t r, std::size_t) {
      const std::size_t src = subset ? static_cast<std::size_t>(subset[r]) : r;
      if (X.isFloat32) {
        const float* from = static_cast<const float*>(X.data) + src * d;
        for (std::size_t c = 0; c < d; ++c) Xc[r * d + c] = from[c];
      } else {
        const double* from = static_cast<const double*>(X.data) + src * d;
        for (std::size_t c = 0; c < d; ++c) Xc[r * d + c] = from[c];
      }
    });
    std::vector<double> mean(d, 0.0);
    parallelFor(threads, d, 16, [&](std::size_t c, std::size_t) {
      double s = 0;
      for (std::size_t r = 0; r < n_; ++r) s += Xc[r * d + c];
      mean[c] = s / static_cast<double>(n_);
    });
    std::vector<double> norms(n_);
    parallelFor(threads, n_, 256, [&](std::size_t r, std::size_t) {
      double s = 0;
      for (std::size_t c = 0; c < d; ++c) {
        const double v = Xc[r * d + c] - mean[c];
        Xc[r * d + c] = v;
        s += v * v;
      }
      norms[r] = s;
    });
    checkpoint(cancel);

    // exp(-d^2 / (2 sigma^2)) without the factor 1 / (sigma sqrt(2 pi)): the normalisation
    // D^-1/2 G D^-1/2 cancels it, and the entropy of the plain Gaussian G does not depend on
    // it (p is normalised). Entries stay in [0, 1] whatever sigma, so float32 never underflows.
    const double sigma = spec.sigma;
    const double inv2s2 = 1.0 / (2.0 * sigma * sigma);
    const bool normalise = spec.kind == KernelKind::Diffusion || spec.kind == KernelKind::Anisotropic;
    // Per tile: partial row sums (rows of I) and column sums (rows of J), reduced in tile order.
    std::vector<std::vector<double>> rowPart(tiles_.size()), colPart(tiles_.size());
    std::vector<std::vector<double>> scratch(threads, std::vector<double>(T_ * T_));
    parallelFor(threads, tiles_.size(), 1, [&](std::size_t k, std::size_t w) {
      checkpoint(cancel);
      const std::size_t I = tiles_[k].first, J = tiles_[k].second;
      const std::size_t rI = rows(I), cJ = rows(J), i0 = I * T_, j0 = J * T_;
      double* C = scratch[w].data();
      // C = X_I X_J^T: the rows are row-major, i.e. column-major d x rows. A diagonal tile needs
      // only its upper triangle (mirrored below after the exp): half the flops with xSYRK.
      if (d == 0) std::fill(C, C + rI * cJ, 0.0);
      else if (I == J) syrkUpper(Xc.data() + i0 * d, rI, d, d, C);
      else gemm(true, false, rI, cJ, d, 1.0, Xc.data() + i0 * d, d, Xc.data() + j0 * d, d, 0.0, C, rI);
      // exp in float32 (4 lanes): the argument's rounding to float costs at most 2^-24 |a| e^-a
      // <= 2^-24 / e of the largest entry, the order of the float32 storage rounding itself.
      float* out = tile(I, J);
      for (std::size_t jj = 0; jj < cJ; ++jj) {
        const double* col = C + jj * rI;
        float* o = out + jj * rI;
        const double nj = norms[j0 + jj];
        const std::size_t upto = I == J ? jj + 1 : rI;  // a diagonal tile: its upper triangle
        for (std::size_t ii = 0; ii < upto; ++ii) {
          double d2 = (norms[i0 + ii] + nj) - 2.0 * col[ii];
          d2 = d2 > 0 ? d2 : 0.0;  // clamp as scikit-learn does
          const double a = -d2 * inv2s2;
          o[ii] = static_cast<float>(a < -kFlushExponent ? -100.0 : a);
        }
        if (I == J) o[jj] = 0.0f;  // exact 0 diagonal distance
        Eigen::Map<Eigen::ArrayXf> v(o, static_cast<Eigen::Index>(upto));
        v = v.exp();
      }
      if (I == J) {  // the same bits in both triangles
        for (std::size_t jj = 0; jj < cJ; ++jj)
          for (std::size_t ii = jj + 1; ii < rI; ++ii) out[ii + jj * rI] = out[jj + ii * rI];
      }
      std::vector<double> rs(rI, 0.0), cs(I == J ? 0 : cJ, 0.0);
      const float tiny = static_cast<float>(std::exp(-kFlushExponent));
      for (std::size_t jj = 0; jj < cJ; ++jj) {
        float* o = out + jj * rI;
        double colSum = 0;
        for (std::size_t ii = 0; ii < rI; ++ii) {
          float f = o[ii];
          if (f < tiny) o[ii] = f = 0.0f;  // flushed (exp(-100) is a float32 denormal)
          rs[ii] += f;
          colSum += f;
        }
        if (I != J) cs[jj] = colSum;
      }
      rowPart[k] = std::move(rs);
      colPart[k] = std::move(cs);
    });
    scratch.clear();
    scratch.shrink_to_fit();
    Xc.clear();
    Xc.shrink_to_fit();

    // Row sums d_i, each in a fixed order over the tiles of its block row.
    std::vector<double> r(n_, 1.0);
    if (normalise) {
      std::vector<double> rowsum(n_, 0.0);
      parallelFor(threads, nb_, 1, [&](std::size_t B, std::size_t) {
        for (std::size_t k = 0; k < tiles_.size(); ++k) {
          const std::size_t I = tiles_[k].first, J = tiles_[k].second;
          if (I == B)
            for (std::size_t ii = 0; ii < rows(I); ++ii) rowsum[I * T_ + ii] += rowPart[k][ii];
          else if (J == B)
            for (std::size_t jj = 0; jj < rows(J); ++jj) rowsum[J * T_ + jj] += colPart[k][jj];
        }
      });
      for (std::size_t i = 0; i < n_; ++i) r[i] = 1.0 / std::sqrt(rowsum[i]);
    }
    // K = D^-1/2 G D^-1/2 has the eigenpair (1, v), v = D^1/2 1 / |D^1/2 1|, exactly (for the
    // stored G). The tiles hold K - v v^T, computed in float64 and then rounded: for a flat
    // kernel (large sigma) K is nearly v v^T, and the small difference keeps the float32
    // products' summands (hence their rounding) small, where storing K itself would add
    // rounding noise far above the small eigenvalues that carry the remaining entropy.
    // Traces in float64 from the stored float32 entries, plus the held-apart pair.
    std::vector<double> v;
    if (normalise) {
      double S = 0;
      for (std::size_t i = 0; i < n_; ++i) S += 1.0 / (r[i] * r[i]);
      v.resize(n_);
      for (std::size_t i = 0; i < n_; ++i) v[i] = 1.0 / (r[i] * std::sqrt(S));
    }
    std::vector<double> traceParts(tiles_.size(), 0.0), frobParts(tiles_.size(), 0.0);
    parallelFor(threads, tiles_.size(), 1, [&](std::size_t k, std::size_t) {
      const std::size_t I = tiles_[k].first, J = tiles_[k].second;
      const std::size_t rI = rows(I), cJ = rows(J), i0 = I * T_, j0 = J * T_;
      float* A = tile(I, J);
      double fro = 0, tr = 0;
      for (std::size_t jj = 0; jj < cJ; ++jj) {
        const double rj = r[j0 + jj];
        for (std::size_t ii = 0; ii < rI; ++ii) {
          float& a = A[ii + jj * rI];
          if (normalise) a = static_cast<float>(static_cast<double>(a) * r[i0 + ii] * rj - v[i0 + ii] * v[j0 + jj]);
          const double v = a;
          fro += v * v;
        }
        if (I == J) tr += A[jj + jj * rI];
      }
      traceParts[k] = tr;
      frobParts[k] = I == J ? fro : 2 * fro;
    });
    trace_ = 0;
    frob2_ = 0;
    for (std::size_t k = 0; k < tiles_.size(); ++k) {
      trace_ += traceParts[k];
      frob2_ += frobParts[k];
    }
    if (normalise) {  // tr K = tr(K - v v^T) + 1 and ||K||^2 = ||K - v v^T||^2 + 1 (K v = v)
      trace_ += 1;
      frob2_ += 1;
      top_ = std::move(v);
    }
  }

  // Y = K V for V and Y n x cols, column-major, leading dimension n. Each block row of Y is
  // computed by one worker from float32 products of one tile each, accumulated in float64 in
  // tile order.
  void apply(const double* V, std::size_t cols, double* Y, std::size_t threads) const {
    if (cols == 0) return;
    std::vector<float> Vf(n_ * cols);
    parallelFor(threads, cols, 1, [&](std::size_t c, std::size_t) {
      for (std::size_t r = 0; r < n_; ++r) Vf[c * n_ + r] = static_cast<float>(V[c * n_ + r]);
    });
    std::vector<std::vector<float>> scratch(std::min(threads, nb_), std::vector<float>(T_ * cols));
    parallelFor(threads, nb_, 1, [&](std::size_t I, std::size_t w) {
      const std::size_t rI = rows(I), i0 = I * T_;
      float* S = scratch[w].data();
      for (std::size_t c = 0; c < cols; ++c) std::fill(Y + c * n_ + i0, Y + c * n_ + i0 + rI, 0.0);
      for (std::size_t J = 0; J < nb_; ++J) {
        const std::size_t rJ = rows(J), j0 = J * T_;
        if (J >= I) gemm(false, false, rI, cols, rJ, 1.0f, tile(I, J), rI, Vf.data() + j0, n_, 0.0f, S, rI);
        else gemm(true, false, rI, cols, rJ, 1.0f, tile(J, I), rJ, Vf.data() + j0, n_, 0.0f, S, rI);
        for (std::size_t c = 0; c < cols; ++c) {
          double* y = Y + c * n_ + i0;
          const float* s = S + c * rI;
          for (std::size_t ii = 0; ii < rI; ++ii) y[ii] += s[ii];
        }
      }
    });
  }

 private:
  std::size_t rows(std::size_t I) const { return std::min(T_, n_ - I * T_); }
  float* tile(std::size_t I, std::size_t J) { return data_.get() + offsets_[I * nb_ + J]; }
  const float* tile(std::size_t I, std::size_t J) const { return data_.get() + offsets_[I * nb_ + J]; }

  std::size_t n_, T_, nb_;
  std::vector<std::size_t> offsets_;
  std::vector<std::pair<std::size_t, std::size_t>> tiles_;
  std::unique_ptr<float[]> data_;
  double trace_ = 0, frob2_ = 0;
  std::vector<double> top_;
};

// ---------------------------------------------------------------------------------------------
// Deflation: Rayleigh-Ritz on a block Krylov space.

struct Deflation {
  std::vector<double> theta;   // deflated values, descending (the exact top pair first, if any)
  std::vector<double> kuNorm2; // |K u_i|^2 = theta_i^2 + |r_i|^2
  std::vector<double> U;       // n x k, column-major
  bool exactTop = false;       // theta[0] is the diffusion kernel's exact eigenvalue 1
  std::size_t k() const { return theta.size(); }
};

// Orthonormal basis of the columns of W (n x w) in place, by Householder QR; returns false when
// W is rank deficient: a diagonal entry of R at most `threshold`.
bool orthonormalise(double* W, std::size_t w, std::size_t n, double threshold) {
  Eigen::Map<CMat<double>> Wm(W, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(w));
  Eigen::HouseholderQR<CMat<double>> qr(Wm);
  const auto& R = qr.matrixQR();
  for (std::size_t i = 0; i < w; ++i)
    if (!(std::abs(R(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(i))) > threshold)) return false;
  CMat<double> Q = qr.householderQ() * CMat<double>::Identity(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(w));
  Wm = Q;
  return true;
}

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

struct Tridiagonals {
  std::size_t probes = 0;
  std::vector<std::vector<double>> alpha, beta;  // per probe; beta has alpha.size() - 1 entries
};

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

// ---------------------------------------------------------------------------------------------
// The estimator.

// |x|^t and g(x) = |x|^t ln |x|^t (0 at x = 0). The reference takes |lambda|, so the rounding
// noise around 0 (tiny negative Ritz values and quadrature nodes) counts with its modulus.
inline double powAbs(double x, double t) { return std::pow(std::abs(x), t); }
inline double gFun(double x, double t) {
  const double a = std::abs(x);
  if (!(a > 0)) return 0;
  return std::pow(a, t) * (t * std::log(a));
}
// c(p) = (p + eps) log2(p + eps) - p log2 p, without cancellation.
inline double epsTerm(double p) {
  if (!(p > 0)) return kEps * std::log2(kEps);
  return kEps * std::log2(p + kEps) + p * std::log1p(kEps / p) / kLn2;
}

struct ProbeFeatures {
  // per probe: remainder estimates of tr P f(K) P for f = |x|^t, g, x, x^2
  std::vector<double> pw, g, x1, x2;
  std::vector<std::vector<double>> nodes, weights;
};

// lengthFraction < 1 keeps that fraction of the steps of each probe that ran all `steps` (a
// probe that stopped early found an invariant subspace: its quadrature is exact as it is).
ProbeFeatures features(const Tridiagonals& T, std::size_t steps, double t, double nrem, double lengthFraction) {
  ProbeFeatures f;
  const std::size_t M = T.probes;
  f.pw.resize(M);
  f.g.resize(M);
  f.x1.resize(M);
  f.x2.resize(M);
  f.nodes.resize(M);
  f.weights.resize(M);
  for (std::size_t j = 0; j < M; ++j) {
    const std::size_t full = T.alpha[j].size();
    std::size_t len = full;
    if (lengthFraction < 1 && full >= steps) len = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(lengthFraction * full)));
    quadrature(T.alpha[j], T.beta[j], len, f.nodes[j], f.weights[j]);
    double pw = 0, g = 0, x1 = 0, x2 = 0;
    for (std::size_t l = 0; l < f.nodes[j].size(); ++l) {
      const double x = f.nodes[j][l], w = f.weights[j][l];
      pw += w * powAbs(x, t);
      g += w * gFun(x, t);
      x1 += w * x;
      x2 += w * x * x;
    }
    f.pw[j] = nrem * pw;
    f.g[j] = nrem * g;
    f.x1[j] = nrem * x1;
    f.x2[j] = nrem * x2;
  }
  return f;
}

struct Knowns {
  double n = 0, nrem = 0, t = 1;
  double trace = 0, frob2 = 0;  // of K
  double T1 = 0, T2 = 0;        // tr(P K P), tr(P K^2 P)
  double dT1 = 0, dT2 = 0;      // bounds on their rounding errors (they are differences)
  double Zdef = 0, Gdef = 0;    // deflated contributions to Z and tr g(K)
  const std::vector<double>* theta = nullptr;
};

// Which control variates an estimate uses: bit 0 = x (tr P K P), bit 1 = x^2 (tr P K^2 P).
using CvMask = unsigned;

// Mean of y over `idx` minus its least-squares regression on the zero-mean control variates
// selected by `mask` (c1 = per-probe x estimate - T1, c2 = per-probe x^2 estimate - T2).
double controlled(const std::vector<double>& y, const std::vector<double>& c1, const std::vector<double>& c2,
                  const std::vector<std::size_t>& idx, CvMask mask) {
  const double m = static_cast<double>(idx.size());
  double ym = 0, a = 0, b = 0;
  for (std::size_t i : idx) {
    ym += y[i];
    a += c1[i];
    b += c2[i];
  }
  ym /= m;
  a /= m;
  b /= m;
  if (idx.size() < 6 || mask == 0) return ym;
  // Normal equations of the centred regression y ~ beta1 c1 + beta2 c2.
  double s11 = 0, s12 = 0, s22 = 0, s1y = 0, s2y = 0;
  for (std::size_t i : idx) {
    const double u = c1[i] - a, v = c2[i] - b, z = y[i] - ym;
    s11 += u * u;
    s12 += u * v;
    s22 += v * v;
    s1y += u * z;
    s2y += v * z;
  }
  const bool use1 = (mask & 1u) && s11 > 0, use2 = (mask & 2u) && s22 > 0;
  double beta1 = 0, beta2 = 0;
  const double det = s11 * s22 - s12 * s12;
  if (use1 && use2 && det > 1e-10 * s11 * s22) {
    beta1 = (s22 * s1y - s12 * s2y) / det;
    beta2 = (s11 * s2y - s12 * s1y) / det;
  } else if (use1 && (!use2 || s11 * s22 == 0 || s11 >= s22)) {
    beta1 = s1y / s11;
  } else if (use2) {
    beta2 = s2y / s22;
  }
  return ym - beta1 * a - beta2 * b;
}

double entropyFrom(const ProbeFeatures& f, const Knowns& k, const std::vector<std::size_t>& idx, CvMask mask,
                   double* Zout = nullptr) {
  double Z, G;
  if (k.nrem > 0 && !idx.empty()) {
    std::vector<double> c1(f.x1.size()), c2(f.x2.size());
    for (std::size_t i = 0; i < c1.size(); ++i) {
      c1[i] = f.x1[i] - k.T1;
      c2[i] = f.x2[i] - k.T2;
    }
    G = k.Gdef + controlled(f.g, c1, c2, idx, mask);
    if (k.t == 1) Z = k.trace;
    else if (k.t == 2) Z = k.frob2;
    else Z = k.Zdef + controlled(f.pw, c1, c2, idx, mask);
  } else {
    G = k.Gdef;
    Z = k.t == 1 ? k.trace : k.t == 2 ? k.frob2 : k.Zdef;
  }
  if (!(Z > 0) || !std::isfinite(Z))
    throw NumericError("slq: the estimated sum of |eigenvalue|^t is not positive; the entropy is undefined");
  if (Zout) *Zout = Z;
  const double H0 = std::log2(Z) - G / (Z * kLn2);
  // The reference's +eps on every p: exact on the deflated values, by quadrature on the rest.
  double C = 0;
  for (double th : *k.theta) C += epsTerm(powAbs(th, k.t) / Z);
  if (k.nrem > 0 && !idx.empty()) {
    double acc = 0;
    for (std::size_t j : idx) {
      double e = 0;
      for (std::size_t l = 0; l < f.nodes[j].size(); ++l) e += f.weights[j][l] * epsTerm(powAbs(f.nodes[j][l], k.t) / Z);
      acc += e;
    }
    C += k.nrem * acc / static_cast<double>(idx.size());
  }
  return H0 - C;
}

// Jackknife standard error over the probes of the estimate with control variates `mask`.
double jackknife(const ProbeFeatures& f, const Knowns& k, CvMask mask) {
  const std::size_t M = f.g.size();
  std::vector<double> loo(M);
  std::vector<std::size_t> idx;
  idx.reserve(M);
  for (std::size_t j = 0; j < M; ++j) {
    idx.clear();
    for (std::size_t i = 0; i < M; ++i)
      if (i != j) idx.push_back(i);
    loo[j] = entropyFrom(f, k, idx, mask);
  }
  const double mean = std::accumulate(loo.begin(), loo.end(), 0.0) / static_cast<double>(M);
  double ss = 0;
  for (double v : loo) ss += (v - mean) * (v - mean);
  return std::sqrt(ss * static_cast<double>(M - 1) / static_cast<double>(M));
}

SlqEstimate estimateOne(const SlqRequest& req, const Subset& subset, std::size_t index, std::size_t threads,
                        const std::atomic<std::int32_t>* cancel) {
  const std::size_t n = subset.size;
  const double t = req.t;
  SlqEstimate est;
  est.n = static_cast<double>(n);
  if (t == 0) {  // |lambda|^0 = 1 for every eigenvalue (numpy's 0.0 ** 0 is 1): p = 1/n
    const double p = 1.0 / static_cast<double>(n) + kEps;
    est.value = -static_cast<double>(n) * p * std::log2(p);
    return est;
  }
  const std::uint64_t streamBase = 3 * static_cast<std::uint64_t>(index);
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  auto t0 = Clock::now();
  TiledKernel K(n);
  K.build(req.X, subset.rows, req.kernel, threads, cancel);
  est.kernelSeconds = since(t0);
  checkpoint(cancel);
  t0 = Clock::now();
  Deflation D = deflate(K, req.options, streamBase, threads, cancel);
  est.deflationSeconds = since(t0);
  t0 = Clock::now();
  Knowns k;
  k.n = static_cast<double>(n);
  k.nrem = static_cast<double>(n - D.k());
  k.t = t;
  k.trace = K.trace();
  k.frob2 = K.frobenius2();
  k.T1 = k.trace;
  k.T2 = k.frob2;
  for (std::size_t i = 0; i < D.k(); ++i) {
    k.T1 -= D.theta[i];
    k.T2 -= D.kuNorm2[i];
    k.Zdef += powAbs(D.theta[i], t);
    k.Gdef += gFun(D.theta[i], t);
  }
  const std::size_t ritz = D.k() - (D.exactTop ? 1 : 0);
  if (ritz > 0) {
    // T1 and T2 subtract Rayleigh quotients computed with float32 products (per-tile sums of up
    // to `tile` terms): each is off by up to ~gamma lambda_max (K is entrywise >= 0, so
    // |u|^T K |u| <= lambda_max), gamma = 2^-24 (2 + sqrt(tile)); counted as sqrt(k) + 1 such
    // errors, twice over. When the remainder is tiny next to the deflated part (steep spectra)
    // these bounds exceed T1, T2 themselves and the control variates are not used.
    const double gamma = 0x1.0p-24 * (2 + std::sqrt(static_cast<double>(K.tile())));
    const double lmax = std::abs(D.theta[D.exactTop ? 1 : 0]), count = std::sqrt(static_cast<double>(ritz)) + 1;
    k.dT1 = 2 * gamma * lmax * count;
    k.dT2 = 4 * gamma * lmax * lmax * count;
  }
  k.theta = &D.theta;
  est.deflated = static_cast<double>(D.k());
  // Deterministic error allowances: the deflated pairs' O((|r| / theta)^2) and float32 storage.
  // Storage: rounding G to float32 perturbs K by E with entries ~ 2^-24 |K_ij| / sqrt(3), whose
  // eigenvalues fill [-R, R], R = 2 2^-24 sqrt(|K|_F^2 / (3 n)) (semicircle, mean modulus
  // 0.42 R). Where the true remainder eigenvalues are below that, n such values of modulus
  // r0 = 0.42 R add up to n p0 (log2(1 / p0) + 1 / ln 2), p0 = r0^t / Z, to the entropy (a
  // bound that matched the measured effect within a factor 1.5).
  const double r0 = 0.42 * 2 * 0x1.0p-24 * std::sqrt(k.frob2 / (3 * static_cast<double>(n)));
  // Deflation: u^T f(K) u - f(theta) = sum_j c_j^2 [f(l_j) - f(theta) - f'(theta)(l_j - theta)]
  // over the eigenpairs (l_j, v_j) mixed into u, |r|^2 = sum_j c_j^2 (l_j - theta)^2: at most
  // |f''(theta)| |r|^2 / 2 for nearby l_j, plus (|r| / theta)^2 (|f(theta)| + theta |f'(theta)|)
  // for l_j near 0; for f = g (into G) and f = |x|^t (into Z, when Z is estimated).
  auto systematic = [&](double Z, double H) {
    const double p0 = powAbs(r0, t) / Z;
    double e = p0 > 0 ? static_cast<double>(n) * p0 * (std::abs(std::log2(p0)) + 1 / kLn2) : 0;
    const double GoverZ = kLn2 * (std::log2(Z) - H);
    const double dHdZ = std::abs(1 + GoverZ) / (Z * kLn2), dHdG = 1 / (Z * kLn2);
    const bool zEstimated = t != 1 && t != 2;
    for (std::size_t i = 0; i < D.k(); ++i) {
      const double th = std::abs(D.theta[i]), r2 = std::max(0.0, D.kuNorm2[i] - th * th);
      if (!(r2 > 0) || !(th > 0)) continue;
      const double lt = std::log(th), xt = std::pow(th, t);
      const double g = t * xt * lt, g1 = t * xt / th * (t * lt + 1), g2 = t * xt / (th * th) * ((t - 1) * (t * lt + 1) + t);
      const double p1 = t * xt / th, p2 = t * (t - 1) * xt / (th * th);
      const double rho = r2 / (th * th);
      e += dHdG * (0.5 * std::abs(g2) * r2 + rho * (std::abs(g) + th * std::abs(g1)));
      if (zEstimated) e += dHdZ * (0.5 * std::abs(p2) * r2 + rho * (xt + th * std::abs(p1)));
    }
    return e + kFloat32Allowance * (1 + std::abs(H));
  };
  if (D.k() >= n) {  // the Krylov space was the whole space: every eigenvalue is known
    std::vector<std::size_t> none;
    ProbeFeatures empty;
    double Z = 0;
    est.value = entropyFrom(empty, k, none, 0, &Z);
    est.systematicError = systematic(Z, est.value);
    est.standardError = est.systematicError;
    est.lanczosSeconds = since(t0);
    return est;
  }
  Tridiagonals T = lanczos(K, D, req.options, streamBase, threads, cancel);
  const std::size_t M = T.probes;
  std::vector<std::size_t> all(M);
  std::iota(all.begin(), all.end(), 0);
  const ProbeFeatures f = features(T, req.options.steps, t, k.nrem, 1.0);
  // The control variates to use: the set with the smallest total error, counting for each one
  // used the effect of its known trace's rounding bound on the value.
  double bestTotal = std::numeric_limits<double>::infinity();
  CvMask best = 0;
  double bestValue = 0, bestProbe = 0, bestBias = 0, bestZ = 0;
  for (CvMask mask = 0; mask < 4; ++mask) {
    double Z = 0;
    const double value = entropyFrom(f, k, all, mask, &Z);
    const double probe = jackknife(f, k, mask);
    double bias = 0;
    if (mask & 1u) {
      Knowns shifted = k;
      shifted.T1 += k.dT1;
      bias += std::abs(entropyFrom(f, shifted, all, mask) - value);
    }
    if (mask & 2u) {
      Knowns shifted = k;
      shifted.T2 += k.dT2;
      bias += std::abs(entropyFrom(f, shifted, all, mask) - value);
    }
    const double total = std::sqrt(probe * probe + bias * bias);
    if (total < bestTotal) {
      bestTotal = total;
      best = mask;
      bestValue = value;
      bestProbe = probe;
      bestBias = bias;
      bestZ = Z;
    }
  }
  est.value = bestValue;
  est.probeError = bestProbe;
  est.systematicError = systematic(bestZ, est.value) + bestBias;
  // Quadrature truncation: the same probes with half the steps. Gauss quadrature of x ln x
  // (t = 1) converges like steps^-2 (measured), so H(s/2) - H(s) ~ 3 err(s); half of that
  // difference is the (slightly conservative) estimate of err(s).
  const ProbeFeatures fHalf = features(T, req.options.steps, t, k.nrem, 0.5);
  est.quadratureError = 0.5 * std::abs(est.value - entropyFrom(fHalf, k, all, best));
  est.standardError = std::sqrt(est.probeError * est.probeError + est.quadratureError * est.quadratureError +
                                est.systematicError * est.systematicError);
  est.lanczosSeconds = since(t0);
  return est;
}

void checkRequest(const SlqRequest& req) {
  if (req.kernel.kind == KernelKind::Knn)
    throw NumericError("slq: the kNN adjacency is not symmetric; method 'slq' needs a symmetric kernel");
  if (req.options.probes < 4) throw NumericError("slq: probes must be >= 4");
  if (req.options.steps < 2) throw NumericError("slq: steps must be >= 2");
  if (!(req.t >= 0) || !std::isfinite(req.t)) throw NumericError("slq: t must be finite and >= 0");
}

}  // namespace

double slqNormal(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  return normalAt(splitmix(seed, stream), index);
}

std::vector<SlqEstimate> runSlq(const SlqRequest& req, const Control& control) {
  checkRequest(req);
  const std::size_t total = req.subsets.size();
  std::vector<SlqEstimate> out(total);
  const std::size_t threads = threadsFor(control.maxThreads);
  // Every BLAS call below is single-threaded inside our own parallel regions.
  linalg::BlasThreadsScope blasScope(1);
  for (std::size_t s = 0; s < total; ++s) {
    checkpoint(control.cancel);
    out[s] = estimateOne(req, req.subsets[s], s, threads, control.cancel);
    if (control.progress) control.progress(s + 1, total);
  }
  return out;
}

double estimateSlqBytes(const SlqRequest& req, std::size_t threads) {
  double peak = 0;
  for (const auto& s : req.subsets) {
    const double n = static_cast<double>(s.size), d = static_cast<double>(req.X.cols);
    if (req.t == 0) continue;
    const double T = static_cast<double>(tileSizeFor(s.size));
    const double tiles = tiledBytes(s.size);
    const double nbd = std::ceil(n / T);
    // Building: centred rows, per-thread Gram scratch, partial row sums.
    const double build = n * d * 8 + static_cast<double>(threads) * T * T * 8 + 2 * n * nbd * 8;
    const double b = static_cast<double>(std::min<std::size_t>(req.options.blockSize, s.size));
    const double cap = std::min(n, b * static_cast<double>(req.options.blockIterations));
    const double cols = std::max(cap, b);
    // apply(): float32 copy of the block and per-thread float32 scratch.
    auto applyBytes = [&](double c) { return n * c * 4 + static_cast<double>(threads) * T * c * 4; };
    // Deflation: B, KB (n x cap) + Ritz residual chunks, then U (n x k <= cap).
    const double krylov = 2 * n * cap * 8 + applyBytes(b) + static_cast<double>(threads) * 2 * kRowChunk * cols * 8 +
                          cols * cols * 8 * 3 + n * cap * 8;
    const double M = static_cast<double>(req.options.probes);
    const double lanczosBytes = n * cap * 8 + 3 * n * M * 8 + applyBytes(M);
    peak = std::max(peak, tiles + std::max({build, krylov, lanczosBytes}));
  }
  return peak;
}

}  // namespace dse
