// SPDX-License-Identifier: MIT
// The stages of method 'slq' (slq.h) that the estimator (slq.cc) composes: the tiled float32
// kernel (built by kernel.cc, applied by slq_tiles.cc), and block Krylov deflation and lockstep
// Lanczos (slq_krylov.cc).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "kernel.h"
#include "slq.h"

namespace dse {
namespace slq {

// Row chunk of the N x (columns) float64 block operations: fixed, so sums have a fixed order.
constexpr std::size_t kRowChunk = 2048;

// ---------------------------------------------------------------------------------------------
// The kernel: float32, in the tile layout (layout.h), built by kernel.cc.

class TiledKernel {
 public:
  // Uninitialised: every entry is written by build(), and the pages are first touched there, by
  // the worker that fills the tile (a zeroing pass would be one more sweep over K; docs/internals/slq.md).
  explicit TiledKernel(std::size_t n) : L_(TileLayout::forRows(n)), data_(new float[L_.size()]) {}

  std::size_t n() const { return L_.n; }
  std::size_t tile() const { return L_.tile; }
  // tr K and ||K||_F^2 of the whole kernel (including the top pair held apart, if any).
  double trace() const { return sums_.trace; }
  double frobenius2() const { return sums_.frobenius2; }
  // The diffusion kernel's top eigenpair (1, D^1/2 1 / |D^1/2 1|) is known exactly and is held
  // apart: the tiles store K - v v^T (kernel.h). Empty for the plain Gaussian kernel.
  const std::vector<double>& top() const { return sums_.top; }

  // Fills the tiles with the kernel of the rows `subset` of X (all rows when null): kernel.h's
  // buildKernelTiles.
  void build(const InputMatrix& X, const std::int32_t* subset, const KernelSpec& spec, std::size_t threads,
             CancelFlag cancel) {
    sums_ = buildKernelTiles(X, subset, spec, L_, data_.get(), threads, cancel);
  }
  // Y = K V for V and Y n x cols, column-major, leading dimension n (see slq_tiles.cc).
  void apply(const double* V, std::size_t cols, double* Y, std::size_t threads) const;

 private:
  const float* tile(std::size_t I, std::size_t J) const { return data_.get() + L_.offset(I, J); }

  TileLayout L_;
  std::unique_ptr<float[]> data_;
  TiledKernelSums sums_;
};

// ---------------------------------------------------------------------------------------------
// Deflation: Rayleigh-Ritz on a block Krylov space; Lanczos on K from P z / |P z| for a block of
// probes in lockstep.

struct Deflation {
  std::vector<double> theta;    // deflated values, descending (the exact top pair first, if any)
  std::vector<double> kuNorm2;  // |K u_i|^2 = theta_i^2 + |r_i|^2
  std::vector<double> U;        // n x k, column-major
  bool exactTop = false;        // theta[0] is the diffusion kernel's exact eigenvalue 1
  std::size_t k() const { return theta.size(); }
};

Deflation deflate(const TiledKernel& K, const SlqOptions& o, std::uint64_t streamBase, std::size_t threads,
                  const std::atomic<std::int32_t>* cancel);

struct Tridiagonals {
  std::size_t probes = 0;
  std::vector<std::vector<double>> alpha, beta;  // per probe; beta has alpha.size() - 1 entries
};

Tridiagonals lanczos(const TiledKernel& K, const Deflation& D, const SlqOptions& o, std::uint64_t streamBase,
                     std::size_t threads, const std::atomic<std::int32_t>* cancel);

// Gauss quadrature nodes and weights of the first `len` steps of one probe's tridiagonal.
void quadrature(const std::vector<double>& alpha, const std::vector<double>& beta, std::size_t len,
                std::vector<double>& nodes, std::vector<double>& weights);

// Normal deviate `index` of the stream keyed `key` (slq.h: slqNormal).
double normalAt(std::uint64_t key, std::uint64_t index);

}  // namespace slq
}  // namespace dse
