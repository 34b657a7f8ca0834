// SPDX-License-Identifier: MIT
#include "kernel.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Core>

#include "linalg.h"
#include "parallel.h"

namespace dse {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr std::size_t kColumnChunk = 16;

// Row norms |x_i|^2 and, when X must be gathered or converted to T, the gathered rows.
template <typename T>
struct Rows {
  const T* data = nullptr;  // m x d row-major, row stride `stride`
  std::size_t stride = 0;
  std::vector<T> owned;
  std::vector<T> norms;
};

template <typename T, typename S>
void gatherRows(const S* src, std::size_t d, const std::int32_t* subset, std::size_t m, Rows<T>& rows,
                std::size_t threads) {
  rows.owned.resize(m * d);
  parallelFor(threads, m, 64, [&](std::size_t r, std::size_t) {
    const S* from = src + static_cast<std::size_t>(subset ? subset[r] : static_cast<std::int32_t>(r)) * d;
    T* to = rows.owned.data() + r * d;
    for (std::size_t c = 0; c < d; ++c) to[c] = static_cast<T>(from[c]);
  });
  rows.data = rows.owned.data();
  rows.stride = d;
}

template <typename T>
Rows<T> prepareRows(const InputMatrix& X, const std::int32_t* subset, std::size_t m, std::size_t threads) {
  Rows<T> rows;
  const std::size_t d = X.cols;
  const bool sameType = X.isFloat32 == std::is_same<T, float>::value;
  if (!subset && sameType) {
    rows.data = static_cast<const T*>(X.data);  // zero-copy: BLAS reads the caller's buffer
    rows.stride = d;
  } else if (X.isFloat32) {
    gatherRows<T>(static_cast<const float*>(X.data), d, subset, m, rows, threads);
  } else {
    gatherRows<T>(static_cast<const double*>(X.data), d, subset, m, rows, threads);
  }
  rows.norms.resize(m);
  parallelFor(threads, m, 256, [&](std::size_t r, std::size_t) {
    const T* x = rows.data + r * rows.stride;
    T s = 0;
    for (std::size_t c = 0; c < d; ++c) s += x[c] * x[c];
    rows.norms[r] = s;
  });
  return rows;
}

// Squared distance as scikit-learn forms it: (-2 x.y + |x|^2) + |y|^2, clamped at 0; then the
// reference takes sqrt and squares again, which we repeat so ties and roundings agree.
template <typename T>
inline T distance(T dot, T ni, T nj) {
  T d2 = (T(-2) * dot + ni) + nj;
  return std::sqrt(d2 > T(0) ? d2 : T(0));
}

// Splits the columns of an upper triangle into a fixed number of contiguous blocks of about
// equal area. The split depends on m only, never on the thread count.
std::vector<std::size_t> triangleBlocks(std::size_t m) {
  const std::size_t nb = std::max<std::size_t>(1, std::min<std::size_t>(16, m / 32));
  std::vector<std::size_t> b(nb + 1);
  for (std::size_t k = 0; k <= nb; ++k)
    b[k] = static_cast<std::size_t>(std::llround(static_cast<double>(m) * std::sqrt(static_cast<double>(k) / nb)));
  b[nb] = m;
  return b;
}

// Column j of the upper triangle (entries i <= j) turned into Gaussian affinities in place.
template <typename T>
void gaussianColumn(T* col, std::size_t j, const T* norms, T twoSigma2, T scale) {
  const T nj = norms[j];
  for (std::size_t i = 0; i < j; ++i) {
    const T dist = distance(col[i], norms[i], nj);
    col[i] = -(dist * dist) / twoSigma2;
  }
  col[j] = T(0);  // the diagonal distance is exactly 0, as scikit-learn sets it
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> v(col, static_cast<Eigen::Index>(j + 1));
  v = v.exp() / scale;
}

template <typename T>
void buildGaussianLike(T* M, std::size_t m, const Rows<T>& rows, const KernelSpec& spec, std::size_t threads) {
  const T sigma = static_cast<T>(spec.sigma);
  const T twoSigma2 = T(2) * (sigma * sigma);
  const T scale = sigma * std::sqrt(T(2) * T(kPi));
  const bool normalise = spec.kind == KernelKind::Diffusion || spec.kind == KernelKind::Anisotropic;
  // Row sums from the triangle: entry (i, j), i < j, adds to row i and to row j. Each block of
  // columns accumulates privately and the blocks are combined in a fixed order, so the sums
  // (and every result) are the same bits whatever the number of threads or their timing.
  const auto blocks = triangleBlocks(m);
  const std::size_t nb = blocks.size() - 1;
  std::vector<double> partial(normalise ? nb * m : 0, 0.0);
  parallelFor(threads, nb, 1, [&](std::size_t b, std::size_t) {
    double* acc = normalise ? partial.data() + b * m : nullptr;
    for (std::size_t j = blocks[b]; j < blocks[b + 1]; ++j) {
      T* col = M + j * m;
      gaussianColumn(col, j, rows.norms.data(), twoSigma2, scale);
      if (!normalise) continue;
      double colSum = 0;
      for (std::size_t i = 0; i < j; ++i) {
        acc[i] += col[i];
        colSum += col[i];
      }
      acc[j] += colSum + col[j];
    }
  });
  if (!normalise) return;
  std::vector<T> r(m);
  for (std::size_t i = 0; i < m; ++i) {
    double d = 0;
    for (std::size_t b = 0; b < nb; ++b) d += partial[b * m + i];
    r[i] = static_cast<T>(1.0 / std::sqrt(d));
  }
  parallelFor(threads, m, kColumnChunk, [&](std::size_t j, std::size_t) {
    T* col = M + j * m;
    const T rj = r[j];
    for (std::size_t i = 0; i <= j; ++i) col[i] = (r[i] * col[i]) * rj;
  });
}

template <typename T>
void buildKnn(T* M, std::size_t m, const Rows<T>& rows, const KernelSpec& spec, std::size_t threads) {
  // Distances in the upper triangle, mirrored so that column i holds row i of Dist.
  parallelFor(threads, m, kColumnChunk, [&](std::size_t j, std::size_t) {
    T* col = M + j * m;
    for (std::size_t i = 0; i < j; ++i) col[i] = distance(col[i], rows.norms[i], rows.norms[j]);
    col[j] = T(0);
  });
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = j + 1; i < m; ++i) M[i + j * m] = M[j + i * m];
  const std::size_t k = std::min(spec.knn, m);
  std::vector<std::vector<T>> scratch(std::max<std::size_t>(1, threads), std::vector<T>(m));
  std::vector<T> threshold(m);
  parallelFor(threads, m, kColumnChunk, [&](std::size_t i, std::size_t w) {
    // Dist is symmetric: column i is row i.
    const T* row = M + i * m;
    std::vector<T>& s = scratch[w];
    std::copy(row, row + m, s.begin());
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k - 1), s.end());
    threshold[i] = s[k - 1];
  });
  // A[i][j] = Dist[i][j] <= threshold of row i, stored column-major as LAPACK (and numpy's call
  // of it) sees A itself: A is far from normal, and its eigenvalues are sensitive enough that
  // the transpose's differ from numpy's in the 8th digit. Ties at the threshold are all
  // included, as the reference's `<=` includes them.
  parallelFor(threads, m, kColumnChunk, [&](std::size_t j, std::size_t) {
    T* col = M + j * m;
    for (std::size_t i = 0; i < m; ++i) col[i] = col[i] <= threshold[i] ? T(1) : T(0);
  });
}

}  // namespace

template <typename T>
void buildKernel(const InputMatrix& X, const std::int32_t* subset, std::size_t m, const KernelSpec& spec, T* M,
                 std::size_t threads) {
  Rows<T> rows = prepareRows<T>(X, subset, m, threads);
  linalg::gram(rows.data, m, X.cols, rows.stride, M);
  if (spec.kind == KernelKind::Knn) buildKnn(M, m, rows, spec, threads);
  else buildGaussianLike(M, m, rows, spec, threads);
}

template <typename T>
bool isSymmetric(const T* M, std::size_t m) {
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = j + 1; i < m; ++i)
      if (M[i + j * m] != M[j + i * m]) return false;
  return true;
}

template <typename T>
double entryEntropy(const T* M, std::size_t m, std::size_t threads) {
  // Row sums of K from its upper triangle.
  std::vector<double> s(m, 0.0);
  for (std::size_t j = 0; j < m; ++j) {
    const T* col = M + j * m;
    double colSum = 0;
    for (std::size_t i = 0; i < j; ++i) {
      s[i] += col[i];
      colSum += col[i];
    }
    s[j] += colSum + col[j];
  }
  // Total mass of |P|; each off-diagonal K_ij appears as P_ij = K_ij / s_i and P_ji = K_ij / s_j.
  // Per-column partial sums, reduced in column order: the same bits for any thread count.
  std::vector<double> perColumn(m);
  parallelFor(threads, m, kColumnChunk, [&](std::size_t j, std::size_t) {
    const T* col = M + j * m;
    double acc = std::abs(static_cast<double>(col[j])) / s[j];
    for (std::size_t i = 0; i < j; ++i) {
      const double k = std::abs(static_cast<double>(col[i]));
      acc += k / s[i] + k / s[j];
    }
    perColumn[j] = acc;
  });
  double total = 0;
  for (double p : perColumn) total += p;
  const double eps = std::ldexp(1.0, -52);
  auto term = [&](double p) {
    const double q = p / total + eps;
    return q * std::log2(q);
  };
  parallelFor(threads, m, kColumnChunk, [&](std::size_t j, std::size_t) {
    const T* col = M + j * m;
    double acc = term(std::abs(static_cast<double>(col[j])) / s[j]);
    for (std::size_t i = 0; i < j; ++i) {
      const double k = std::abs(static_cast<double>(col[i]));
      acc += term(k / s[i]) + term(k / s[j]);
    }
    perColumn[j] = acc;
  });
  double h = 0;
  for (double p : perColumn) h += p;
  return -h;
}

template void buildKernel<double>(const InputMatrix&, const std::int32_t*, std::size_t, const KernelSpec&, double*,
                                  std::size_t);
template void buildKernel<float>(const InputMatrix&, const std::int32_t*, std::size_t, const KernelSpec&, float*,
                                 std::size_t);
template bool isSymmetric<double>(const double*, std::size_t);
template bool isSymmetric<float>(const float*, std::size_t);
template double entryEntropy<double>(const double*, std::size_t, std::size_t);
template double entryEntropy<float>(const float*, std::size_t, std::size_t);

}  // namespace dse
