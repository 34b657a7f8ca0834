// SPDX-License-Identifier: MIT
// The stages of method 'slq' (slq.h) that the estimator (slq.cc) composes: the tiled float32
// kernel (slq_tiles.cc), and block Krylov deflation and lockstep Lanczos (slq_krylov.cc).
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
// The kernel: upper tiles (I <= J) of the symmetric N x N matrix, each column-major rI x cJ,
// float32. Diagonal tiles are stored whole (both triangles).

// The tile size for n rows, and the bytes of the tiles.
std::size_t tileSizeFor(std::size_t n);
double tiledBytes(std::size_t n);

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

  // Fills the tiles with the kernel of the rows `subset` of X (all rows when null): rows centred
  // in float64, exp in float32, flushed below exp(-kFlushExponent), normalised, K - v v^T.
  void build(const InputMatrix& X, const std::int32_t* subset, const KernelSpec& spec, std::size_t threads,
             const std::atomic<std::int32_t>* cancel);
  // Y = K V for V and Y n x cols, column-major, leading dimension n (see slq_tiles.cc).
  void apply(const double* V, std::size_t cols, double* Y, std::size_t threads) const;

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
