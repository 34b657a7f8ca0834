// SPDX-License-Identifier: MIT
// Kernels of one (sub)matrix of X, built in place in one m x m buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "cancel.h"
#include "layout.h"

namespace dse {

enum class KernelKind {
  Diffusion,    // K = D^-1/2 G D^-1/2, the symmetric form of the diffusion operator
  Gaussian,     // G = exp(-|xi - xj|^2 / (2 sigma^2)) / (sigma sqrt(2 pi))
  Anisotropic,  // the same K as Diffusion (the reference's anisotropic adjacency)
  Knn,          // A_ij = 1 if |xi - xj| <= the knn-th smallest distance of row i (self included)
};

struct KernelSpec {
  KernelKind kind = KernelKind::Diffusion;
  double sigma = 10;
  std::size_t knn = 10;
};

// A row-major matrix of the caller's: float64 or float32, read in place.
struct InputMatrix {
  const void* data = nullptr;
  bool isFloat32 = false;
  std::size_t rows = 0;
  std::size_t cols = 0;
};

// Buffers buildKernel reuses from one call to the next on the same thread (gathered rows, row
// norms, row sums), so that a batch of many small subsets allocates them once per worker.
template <typename T>
struct KernelScratch {
  std::vector<T> rows;
  std::vector<T> norms;
  std::vector<double> partial;
  std::vector<T> scale;
  std::vector<double> top;  // holdTopApart: 1 / sqrt(d_i), then v (diffusion); v, then K v (Gaussian)
  // holdTopApart: the eigenvalue held apart, or NaN when none was.
  double held = std::numeric_limits<double>::quiet_NaN();
};

// Builds the kernel of the rows `subset` of X (all rows when subset is null) into M
// (m = subset size). Symmetric kernels fill the lower triangle only, in `layout` (layout.h):
// column-major m x m by default (the strictly upper triangle is never written, nor read), or
// panels of the width linalg::panelWidth(m) gives, for linalg::symEigvalsPanels. The kNN
// adjacency fills the whole column-major matrix and takes the default layout only.
// `threads` bounds the threads used here and by BLAS. T is the working precision (double or
// float); `scratch` (optional) is reused between calls. In float32 the rows are centred first
// (in float64; distances do not change), so that |x|^2 + |y|^2 - 2 x.y keeps them. With
// `holdTopApart`, a diffusion or anisotropic kernel K is stored as K - v v^T, where (1, v) is
// its exact top eigenpair
// (v = D^1/2 1 / |D^1/2 1| for the stored G): entries in float64 from the stored G, then
// rounded to T. Its spectrum is K's with the eigenvalue 1 replaced by 0. A plain Gaussian
// kernel has no such closed form: its top pair (lambda, v) of the stored G comes from a power
// iteration in float64, and G - lambda v v^T is stored when that converges within a few steps
// (a nearly flat kernel, the case that needs it); otherwise G is left as it is. scratch->held
// says which eigenvalue was held apart (1, lambda), or NaN for none.
template <typename T>
void buildKernel(const InputMatrix& X, const std::int32_t* subset, std::size_t m, const KernelSpec& spec, T* M,
                 std::size_t threads, KernelScratch<T>* scratch = nullptr, TriangleLayout layout = TriangleLayout(),
                 bool holdTopApart = false);

// What buildKernelTiles returns: tr K and ||K||_F^2 of the whole kernel, and the diffusion
// kernel's top eigenvector v (empty for the plain Gaussian kernel).
struct TiledKernelSums {
  double trace = 0;
  double frobenius2 = 0;
  std::vector<double> top;
};

// The float32 kernel of method 'slq' of the rows `subset` of X (all rows when null; m = L.n),
// in the tile layout L (layout.h), into M (L.size() entries): rows centred in float64, Gram
// products and exponents in float64, exp in float32, entries below exp(-69) stored as 0, and
// no factor 1 / (sigma sqrt(2 pi)) (the normalisation cancels it; the plain Gaussian's entropy
// does not depend on it). The diffusion kernel K = D^-1/2 G D^-1/2 has the eigenpair (1, v),
// v = D^1/2 1 / |D^1/2 1|: the tiles hold K - v v^T (kernel.cc says why). Polls `cancel`.
TiledKernelSums buildKernelTiles(const InputMatrix& X, const std::int32_t* subset, const KernelSpec& spec,
                                 const TileLayout& L, float* M, std::size_t threads, CancelFlag cancel);

// True when the m x m column-major matrix M equals its transpose exactly.
template <typename T>
bool isSymmetric(const T* M, std::size_t m);

// The reference's matrix-entry entropy of the kernel K held in M's lower triangle:
// P = diag(1 / rowsum K) K, p = |P_ij| / sum |P|, H = -sum (p + eps) log2(p + eps) over all m^2
// entries, eps = 2^-52.
template <typename T>
double entryEntropy(const T* M, std::size_t m, std::size_t threads);

}  // namespace dse
