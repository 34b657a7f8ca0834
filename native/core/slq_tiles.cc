// SPDX-License-Identifier: MIT
// Method 'slq': the product with the tiled float32 kernel (slq_parts.h; kernel.cc builds it).
#include <algorithm>
#include <vector>

#include "blas.h"
#include "parallel.h"
#include "slq_parts.h"

namespace dse {
namespace slq {

// Y = K V for V and Y n x cols, column-major, leading dimension n. Each block row of Y is
// computed by one worker from float32 products of one tile each, accumulated in float64 in
// tile order.
void TiledKernel::apply(const double* V, std::size_t cols, double* Y, std::size_t threads) const {
  if (cols == 0) return;
  const std::size_t n = L_.n, T = L_.tile, nb = L_.count;
  std::vector<float> Vf(n * cols);
  parallelFor(threads, cols, 1, [&](std::size_t c, std::size_t) {
    for (std::size_t r = 0; r < n; ++r) Vf[c * n + r] = static_cast<float>(V[c * n + r]);
  });
  std::vector<std::vector<float>> scratch(std::min(threads, nb), std::vector<float>(T * cols));
  parallelFor(threads, nb, 1, [&](std::size_t I, std::size_t w) {
    const std::size_t rI = L_.rows(I), i0 = I * T;
    float* S = scratch[w].data();
    for (std::size_t c = 0; c < cols; ++c) std::fill(Y + c * n + i0, Y + c * n + i0 + rI, 0.0);
    for (std::size_t J = 0; J < nb; ++J) {
      const std::size_t rJ = L_.rows(J), j0 = J * T;
      if (J >= I) blas::gemm(false, false, rI, cols, rJ, 1.0f, tile(I, J), rI, Vf.data() + j0, n, 0.0f, S, rI);
      else blas::gemm(true, false, rI, cols, rJ, 1.0f, tile(J, I), rJ, Vf.data() + j0, n, 0.0f, S, rI);
      for (std::size_t c = 0; c < cols; ++c) {
        double* y = Y + c * n + i0;
        const float* s = S + c * rI;
        for (std::size_t ii = 0; ii < rI; ++ii) y[ii] += s[ii];
      }
    }
  });
}

}  // namespace slq
}  // namespace dse
