// SPDX-License-Identifier: MIT
// Method 'slq': the tiled float32 kernel (slq_parts.h).
#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "blas.h"
#include "cancel.h"
#include "linalg.h"
#include "parallel.h"
#include "slq_parts.h"

namespace dse {
namespace slq {

namespace {

// Kernel entries below this fraction of the diagonal are stored as 0: exp(-69) ~ 1e-30. They
// cannot move the entropy, and float32 denormals would slow every product down ~100x.
constexpr double kFlushExponent = 69.0;

using blas::gemm;
using blas::syrkUpper;

}  // namespace

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

void TiledKernel::build(const InputMatrix& X, const std::int32_t* subset, const KernelSpec& spec, std::size_t threads,
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
void TiledKernel::apply(const double* V, std::size_t cols, double* Y, std::size_t threads) const {
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

}  // namespace slq
}  // namespace dse
