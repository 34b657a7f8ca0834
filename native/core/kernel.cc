// SPDX-License-Identifier: MIT
#include "kernel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "blas.h"
#include "linalg.h"
#include "parallel.h"
#include "simd.h"

namespace dse {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr std::size_t kColumnChunk = 16;

// Row norms |x_i|^2 and, when X must be gathered or converted to T, the gathered rows (in the
// caller's scratch, reused from call to call).
template <typename T>
struct Rows {
  const T* data = nullptr;  // m x d row-major, row stride `stride`
  std::size_t stride = 0;
  const T* norms = nullptr;
};

// The rows `subset` of src (all rows when null) into `owned` as T; with `mean`, x - mean,
// subtracted in float64 and rounded once.
template <typename T, typename S>
void gatherRows(const S* src, std::size_t d, const std::int32_t* subset, std::size_t m, std::vector<T>& owned,
                std::size_t threads, const double* mean = nullptr) {
  owned.resize(m * d);
  parallelFor(threads, m, 64, [&](std::size_t r, std::size_t) {
    const S* from = src + static_cast<std::size_t>(subset ? subset[r] : static_cast<std::int32_t>(r)) * d;
    T* to = owned.data() + r * d;
    if (!mean) {
      for (std::size_t c = 0; c < d; ++c) to[c] = static_cast<T>(from[c]);
    } else {
      for (std::size_t c = 0; c < d; ++c) to[c] = static_cast<T>(static_cast<double>(from[c]) - mean[c]);
    }
  });
}

// The column means of the m rows `subset` of src (all rows when null), in float64, the rows
// added in order (row-major reads; the same bits on any thread count).
template <typename S>
std::vector<double> columnMeans(const S* src, std::size_t d, const std::int32_t* subset, std::size_t m) {
  std::vector<double> mean(d, 0.0);
  for (std::size_t r = 0; r < m; ++r) {
    const S* row = src + static_cast<std::size_t>(subset ? subset[r] : static_cast<std::int32_t>(r)) * d;
    for (std::size_t c = 0; c < d; ++c) mean[c] += static_cast<double>(row[c]);
  }
  for (double& v : mean) v /= static_cast<double>(m);
  return mean;
}

// |x|^2 in the order of numpy's einsum('ij,ij->i') (scikit-learn's row_norms): near-ties in
// the distances depend on these last bits. Two lanes, even and odd columns; each block of 8
// columns is added from its last pair to its first; then lane 0 + lane 1.
template <typename S>
inline S squaredNorm(const S* x, std::size_t d) {
  S even = 0, odd = 0;
  std::size_t c = 0;
  for (; c + 8 <= d; c += 8)
    for (std::size_t k = 8; k > 0; k -= 2) {
      even += x[c + k - 2] * x[c + k - 2];
      odd += x[c + k - 1] * x[c + k - 1];
    }
  for (; c < d; c += 2) {
    even += x[c] * x[c];
    if (c + 1 < d) odd += x[c + 1] * x[c + 1];
  }
  return even + odd;
}

// |x_r|^2 for the m rows of a row-major m x d matrix, summed in S (the rows' own precision),
// stored as T in `norms`.
template <typename T, typename S>
const T* squaredNorms(const S* data, std::size_t m, std::size_t d, std::size_t threads, std::vector<T>& norms) {
  norms.resize(m);
  T* out = norms.data();
  parallelFor(threads, m, 256,
              [&](std::size_t r, std::size_t) { out[r] = static_cast<T>(squaredNorm(data + r * d, d)); });
  return out;
}

template <typename T>
Rows<T> prepareRows(const InputMatrix& X, const std::int32_t* subset, std::size_t m, std::size_t threads,
                    KernelScratch<T>& scratch) {
  Rows<T> rows;
  const std::size_t d = X.cols;
  const bool sameType = X.isFloat32 == std::is_same<T, float>::value;
  if (!subset && sameType) {
    rows.data = static_cast<const T*>(X.data);  // zero-copy: BLAS reads the caller's buffer
  } else {
    if (X.isFloat32) gatherRows<T>(static_cast<const float*>(X.data), d, subset, m, scratch.rows, threads);
    else gatherRows<T>(static_cast<const double*>(X.data), d, subset, m, scratch.rows, threads);
    rows.data = scratch.rows.data();
  }
  rows.stride = d;
  rows.norms = squaredNorms(rows.data, m, d, threads, scratch.norms);
  return rows;
}

// Squared distance as scikit-learn forms it: (-2 x.y + |x|^2) + |y|^2, clamped at 0; then the
// reference takes sqrt and squares again, which we repeat so ties and roundings agree.
template <typename T>
inline T distance(T dot, T ni, T nj) {
  T d2 = (T(-2) * dot + ni) + nj;
  return std::sqrt(d2 > T(0) ? d2 : T(0));
}

// The squared distance as distance() forms it, without the sqrt (method 'slq's tiles: no ties
// to match there). Written out again: distance() calling this changes GCC's float32 code and bits.
template <typename T>
inline T squaredDistance(T dot, T ni, T nj) {
  const T d2 = (T(-2) * dot + ni) + nj;
  return d2 > T(0) ? d2 : T(0);
}

// Entry i summed over the per-block partial vectors (block b's at partial[b m]), in block order.
inline double blockSum(const std::vector<double>& partial, std::size_t nb, std::size_t m, std::size_t i) {
  double sum = 0;
  for (std::size_t b = 0; b < nb; ++b) sum += partial[b * m + i];
  return sum;
}

// Splits the columns of a lower triangle (column j holds m - j entries) into a fixed number of
// contiguous blocks of about equal area. The split depends on m only, never on the thread count.
std::vector<std::size_t> triangleBlocks(std::size_t m) {
  const std::size_t nb = std::max<std::size_t>(1, std::min<std::size_t>(16, m / 32));
  std::vector<std::size_t> b(nb + 1);
  for (std::size_t k = 0; k <= nb; ++k)
    b[k] = m -
           static_cast<std::size_t>(std::llround(static_cast<double>(m) * std::sqrt(static_cast<double>(nb - k) / nb)));
  b[0] = 0;
  b[nb] = m;
  return b;
}

// Horner's rule from the highest coefficient: ((c0 r + c1) r + c2) r + ..., a multiply and an add
// per step, in that order.
template <typename T>
inline T horner(T, T c) {
  return c;
}
template <typename T, typename... C>
inline T horner(T r, T c0, T c1, C... rest) {
  return horner<T>(r, c0 * r + c1, rest...);
}

// exp(x) for x <= 0, branch-free so that the compiler vectorises the loops that call it: Cody-Waite
// reduction x = n ln2 + r, |r| <= ln2 / 2, a Taylor polynomial (error below 1e-17 relative),
// and 2^n from the exponent bits. Within 2 ulp of the exact value; below x = -708 (results under
// 1e-307) it returns 0. Pure IEEE operations in a fixed order (and the build sets
// -ffp-contract=off), so every CPU and every vector width gives the same bits.
inline double expNonPositive(double x) {
  constexpr double lo = -708.0, shifter = 6755399441055744.0;  // 0x1.8p52: rounds to an integer
  const double xc = x > lo ? x : lo;
  const double t = xc * 1.4426950408889634 + shifter;
  const double fn = t - shifter;
  const double r = (xc - fn * 6.93147180369123816490e-01) - fn * 1.90821492927058770002e-10;
  const double p = horner(r, 1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,  // 1/13! ..
                          1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0,
                          0.5, 1.0, 1.0);
  std::uint64_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  bits = (bits - 0x4338000000000000ULL + 1023ULL) << 52;  // 2^n
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const double v = p * scale;
  return x < lo ? 0.0 : v;
}

inline float expNonPositive(float x) {
  constexpr float lo = -87.0f, shifter = 12582912.0f;  // 0x1.8p23
  const float xc = x > lo ? x : lo;
  const float t = xc * 1.44269504f + shifter;
  const float fn = t - shifter;
  const float r = (xc - fn * 0.693359375f) - fn * -2.12194440e-4f;
  const float p = horner(r, 1.0f / 40320.0f, 1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f,
                         0.5f, 1.0f, 1.0f);
  std::uint32_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  bits = (bits - 0x4B400000U + 127U) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float v = p * scale;
  return x < lo ? 0.0f : v;
}

// Column j of the lower triangle (entries i >= j, Gram products on entry) turned into Gaussian
// affinities in place; with `acc`, each entry is also added to the partial row sums acc[i] and
// the column's sum to acc[j]. Prebuilt binaries target baseline x86-64, so the hot loop is
// compiled three times (AVX-512, AVX2, baseline) and the loader picks one for the CPU.
template <bool Asymmetric, typename T>
inline void gaussianColumnBody(T* col, std::size_t j, std::size_t m, const T* norms, T twoSigma2, T invScale,
                               double* acc) {
  const T nj = norms[j];
  col[j] = invScale;  // exp(0): the diagonal distance is exactly 0, as scikit-learn sets it
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = j + 1;
  if constexpr (!Asymmetric) {
    // The exponentials in a loop of their own (vectorised), then the sums.
    for (std::size_t r = j + 1; r < m; ++r) {
      const T dist = distance(col[r], norms[r], nj);
      col[r] = expNonPositive(-(dist * dist) / twoSigma2) * invScale;
    }
    if (!acc) return;
    // Eight running sums in a fixed order: vectorisable, and the same bits on every CPU.
    for (; i + 8 <= m; i += 8) {
      for (std::size_t k = 0; k < 8; ++k) {
        const double g = static_cast<double>(col[i + k]);
        acc[i + k] += g;
        lane[k] += g;
      }
    }
  } else {
    // Row j's sum takes G(j, i), whose distance adds |x_j|^2 first: scikit-learn's distance matrix
    // is not symmetric in the last bits, and near-ties make those bits count. The triangle keeps
    // G(i, j), which is what the symmetric solver reads.
    for (; i + 8 <= m; i += 8) {
      for (std::size_t k = 0; k < 8; ++k) {
        const T dot = col[i + k];
        const T dij = distance(dot, norms[i + k], nj), dji = distance(dot, nj, norms[i + k]);
        const T gij = expNonPositive(-(dij * dij) / twoSigma2) * invScale;
        const T gji = expNonPositive(-(dji * dji) / twoSigma2) * invScale;
        col[i + k] = gij;
        acc[i + k] += static_cast<double>(gij);
        lane[k] += static_cast<double>(gji);
      }
    }
  }
  double colSum = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  for (; i < m; ++i) {
    if constexpr (Asymmetric) {
      const T dot = col[i];
      const T dij = distance(dot, norms[i], nj), dji = distance(dot, nj, norms[i]);
      col[i] = expNonPositive(-(dij * dij) / twoSigma2) * invScale;
      colSum += static_cast<double>(expNonPositive(-(dji * dji) / twoSigma2) * invScale);
    } else {
      colSum += col[i];
    }
    acc[i] += static_cast<double>(col[i]);
  }
  acc[j] += colSum + col[j];
}

DSE_VECTOR_CLONES
void gaussianColumn(double* col, std::size_t j, std::size_t m, const double* norms, double twoSigma2, double invScale,
                    double* acc, bool asymmetric) {
  if (asymmetric) gaussianColumnBody<true>(col, j, m, norms, twoSigma2, invScale, acc);
  else gaussianColumnBody<false>(col, j, m, norms, twoSigma2, invScale, acc);
}
DSE_VECTOR_CLONES
void gaussianColumn(float* col, std::size_t j, std::size_t m, const float* norms, float twoSigma2, float invScale,
                    double* acc, bool asymmetric) {
  if (asymmetric) gaussianColumnBody<true>(col, j, m, norms, twoSigma2, invScale, acc);
  else gaussianColumnBody<false>(col, j, m, norms, twoSigma2, invScale, acc);
}

// Whether G(i, j) and G(j, i) can differ by more than rounding noise: their squared distances
// differ by a few ulps of the largest |x|^2, which moves the exponent by ~4 eps max|x|^2 / 2 sigma^2.
// Below 32 (at most ~128 eps, 3e-14 relative in float64) the row sums take G(i, j) for both and the
// exponential is computed once per pair; rows far from the origin (the golden `far` cases) need both.
template <typename T>
bool asymmetricDistances(const T* norms, std::size_t m, T twoSigma2) {
  T largest = 0;
  for (std::size_t i = 0; i < m; ++i) largest = std::max(largest, norms[i]);
  return !(largest <= T(32) * twoSigma2);
}

// K = D^-1/2 G D^-1/2 on column j: entry (i, j) times r_i r_j.
template <typename T>
inline void normaliseColumnBody(T* col, std::size_t j, std::size_t m, const T* r) {
  const T rj = r[j];
  for (std::size_t i = j; i < m; ++i) col[i] = (r[i] * col[i]) * rj;
}
DSE_VECTOR_CLONES
void normaliseColumn(double* col, std::size_t j, std::size_t m, const double* r) { normaliseColumnBody(col, j, m, r); }
DSE_VECTOR_CLONES
void normaliseColumn(float* col, std::size_t j, std::size_t m, const float* r) { normaliseColumnBody(col, j, m, r); }

// The top eigenvector v = D^1/2 1 / |D^1/2 1| of K = D^-1/2 G D^-1/2, from r_i = 1 / sqrt(d_i).
void topEigenvector(const double* r, std::size_t m, double* v) {
  double S = 0;
  for (std::size_t i = 0; i < m; ++i) S += 1.0 / (r[i] * r[i]);
  for (std::size_t i = 0; i < m; ++i) v[i] = 1.0 / (r[i] * std::sqrt(S));
}

// Entry (i, j) of K - v v^T in float64 from the stored G_ij, rounded once.
template <typename T>
inline T heldApart(T g, double ri, double rj, double vi, double vj) {
  return static_cast<T>(static_cast<double>(g) * ri * rj - vi * vj);
}
template <typename T>
inline void holdApartColumnBody(T* col, std::size_t j, std::size_t m, const double* r, const double* v) {
  const double rj = r[j], vj = v[j];
  for (std::size_t i = j; i < m; ++i) col[i] = heldApart(col[i], r[i], rj, v[i], vj);
}
DSE_VECTOR_CLONES
void holdApartColumn(double* col, std::size_t j, std::size_t m, const double* r, const double* v) {
  holdApartColumnBody(col, j, m, r, v);
}
DSE_VECTOR_CLONES
void holdApartColumn(float* col, std::size_t j, std::size_t m, const double* r, const double* v) {
  holdApartColumnBody(col, j, m, r, v);
}

// Column j's part of y = K x: adds K_ij x_j to acc[i] below the diagonal, and returns
// sum_i>=j K_ij x_i (four running sums in a fixed order, so not one chain of dependent adds).
template <typename T>
inline double productColumnBody(const T* col, std::size_t j, std::size_t m, const double* x, double* acc) {
  const double xj = x[j];
  for (std::size_t i = j + 1; i < m; ++i) acc[i] += static_cast<double>(col[i]) * xj;
  double s[4] = {0, 0, 0, 0};
  std::size_t i = j + 1;
  for (; i + 4 <= m; i += 4)
    for (std::size_t q = 0; q < 4; ++q) s[q] += static_cast<double>(col[i + q]) * x[i + q];
  for (; i < m; ++i) s[0] += static_cast<double>(col[i]) * x[i];
  return static_cast<double>(col[j]) * xj + ((s[0] + s[1]) + (s[2] + s[3]));
}
DSE_VECTOR_CLONES
double productColumn(const double* col, std::size_t j, std::size_t m, const double* x, double* acc) {
  return productColumnBody(col, j, m, x, acc);
}
DSE_VECTOR_CLONES
double productColumn(const float* col, std::size_t j, std::size_t m, const double* x, double* acc) {
  return productColumnBody(col, j, m, x, acc);
}

// y = K x in float64 for the symmetric K stored as the lower triangle of M in layout L. Each block
// of columns accumulates privately and the blocks are added in a fixed order, so y is the same
// bits whatever the number of threads.
template <typename T>
void triangleProduct(const T* M, const TriangleLayout& L, const std::vector<std::size_t>& blocks, const double* x,
                     double* y, std::vector<double>& partial, std::size_t threads) {
  const std::size_t m = L.n, nb = blocks.size() - 1;
  partial.assign(nb * m, 0.0);
  parallelFor(threads, nb, 1, [&](std::size_t b, std::size_t) {
    double* acc = partial.data() + b * m;
    for (std::size_t j = blocks[b]; j < blocks[b + 1]; ++j) acc[j] += productColumn(M + L.column(j), j, m, x, acc);
  });
  for (std::size_t i = 0; i < m; ++i) y[i] = blockSum(partial, nb, m, i);
}

// The top eigenpair (lambda, v) of the stored plain Gaussian kernel by power iteration in
// float64 from the constant vector, or NaN when it does not pay: the residual |K v - lambda v|
// must fall to 1e-12 lambda, and shrink at least 10x a step from the fourth (the second
// eigenvalue under a tenth of the first; above that, float32's error is small already), and
// lambda must be at least twice the largest diagonal entry. A nearly flat kernel converges in a
// few steps.
template <typename T>
double gaussianTopPair(const T* M, const TriangleLayout& L, std::size_t threads, KernelScratch<T>& s) {
  const std::size_t m = L.n;
  const auto blocks = triangleBlocks(m);
  s.top.assign(2 * m, 1.0 / std::sqrt(static_cast<double>(m)));
  double* v = s.top.data();
  double* y = v + m;
  double previous = std::numeric_limits<double>::infinity();
  for (int step = 0; step < 16; ++step) {
    triangleProduct(M, L, blocks, v, y, s.partial, threads);
    double lambda = 0, residual = 0, norm = 0;
    for (std::size_t i = 0; i < m; ++i) lambda += v[i] * y[i];
    for (std::size_t i = 0; i < m; ++i) {
      residual += (y[i] - lambda * v[i]) * (y[i] - lambda * v[i]);
      norm += y[i] * y[i];
    }
    residual = std::sqrt(residual);
    if (!(lambda > 0) || !std::isfinite(residual)) break;
    if (residual <= 1e-12 * lambda) {
      // Near the identity (a sharp kernel) nothing dominates: there the solver's error is already
      // ~eps of every eigenvalue, and a held-apart pair would only cost the exact diagonal.
      double diagonal = 0;
      for (std::size_t j = 0; j < m; ++j) diagonal = std::max(diagonal, static_cast<double>(M[L.column(j) + j]));
      return lambda >= 2 * diagonal ? lambda : std::numeric_limits<double>::quiet_NaN();
    }
    if (step >= 3 && residual > 0.1 * previous) break;
    previous = residual;
    norm = std::sqrt(norm);
    for (std::size_t i = 0; i < m; ++i) v[i] = y[i] / norm;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// Entry (i, j) of G - lambda v v^T in float64 from the stored G_ij, rounded once.
template <typename T>
inline void holdApartGaussianColumn(T* col, std::size_t j, std::size_t m, double lambda, const double* v) {
  const double lvj = lambda * v[j];
  for (std::size_t i = j; i < m; ++i) col[i] = static_cast<T>(static_cast<double>(col[i]) - lvj * v[i]);
}

template <typename T>
void buildGaussianLike(T* M, const TriangleLayout& L, const Rows<T>& rows, const KernelSpec& spec, std::size_t threads,
                       KernelScratch<T>& scratch, bool holdTopApart) {
  const std::size_t m = L.n;
  const T sigma = static_cast<T>(spec.sigma);
  const T twoSigma2 = T(2) * (sigma * sigma);
  // The reference multiplies by 1 / (sigma sqrt(2 pi)).
  const T invScale = T(1) / (sigma * std::sqrt(T(2) * T(kPi)));
  const bool normalise = spec.kind == KernelKind::Diffusion || spec.kind == KernelKind::Anisotropic;
  // Row sums from the triangle: entry (i, j), i < j, adds to row i and to row j. Each block of
  // columns accumulates privately and the blocks are combined in a fixed order, so the sums
  // (and every result) are the same bits whatever the number of threads or their timing.
  const auto blocks = triangleBlocks(m);
  const std::size_t nb = blocks.size() - 1;
  std::vector<double>& partial = scratch.partial;
  if (normalise) partial.assign(nb * m, 0.0);
  const bool asymmetric = normalise && asymmetricDistances(rows.norms, m, twoSigma2);
  parallelFor(threads, nb, 1, [&](std::size_t b, std::size_t) {
    double* acc = normalise ? partial.data() + b * m : nullptr;
    for (std::size_t j = blocks[b]; j < blocks[b + 1]; ++j)
      gaussianColumn(M + L.column(j), j, m, rows.norms, twoSigma2, invScale, acc, asymmetric);
  });
  if (!normalise) {
    if (!holdTopApart) return;
    const double lambda = gaussianTopPair(M, L, threads, scratch);
    scratch.held = lambda;
    if (std::isnan(lambda)) return;
    const double* v = scratch.top.data();
    parallelFor(threads, m, kColumnChunk,
                [&](std::size_t j, std::size_t) { holdApartGaussianColumn(M + L.column(j), j, m, lambda, v); });
    return;
  }
  // 1 / sqrt(d_i), the row sum added over the column blocks in a fixed order.
  auto invSqrtRowSum = [&](std::size_t i) { return 1.0 / std::sqrt(blockSum(partial, nb, m, i)); };
  if (holdTopApart) {
    // The solver errs by ~eps ||M||: without the top pair, ||M|| is the second eigenvalue, not 1.
    scratch.top.resize(2 * m);
    double* r = scratch.top.data();
    double* v = r + m;
    for (std::size_t i = 0; i < m; ++i) r[i] = invSqrtRowSum(i);
    topEigenvector(r, m, v);
    parallelFor(threads, m, kColumnChunk,
                [&](std::size_t j, std::size_t) { holdApartColumn(M + L.column(j), j, m, r, v); });
    scratch.held = 1.0;
    return;
  }
  scratch.scale.resize(m);
  T* r = scratch.scale.data();
  for (std::size_t i = 0; i < m; ++i) r[i] = static_cast<T>(invSqrtRowSum(i));
  parallelFor(threads, m, kColumnChunk, [&](std::size_t j, std::size_t) { normaliseColumn(M + L.column(j), j, m, r); });
}

template <typename T>
void buildKnn(T* M, std::size_t m, const Rows<T>& rows, const KernelSpec& spec, std::size_t threads) {
  // Gram products mirrored, so that column i holds x_i . x_j for every j.
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = j + 1; i < m; ++i) M[j + i * m] = M[i + j * m];
  const T* n = rows.norms;
  // Dist(i, j) as scikit-learn rounds it, adding row i's norm first: not symmetric in the last
  // bits, and ties in a row's k smallest distances turn on those bits.
  auto dist = [n](T dot, std::size_t i, std::size_t j) { return i == j ? T(0) : distance(dot, n[i], n[j]); };
  const std::size_t k = std::min(spec.knn, m);
  std::vector<std::vector<T>> scratch(std::max<std::size_t>(1, threads), std::vector<T>(m));
  std::vector<T> threshold(m);
  parallelFor(threads, m, kColumnChunk, [&](std::size_t i, std::size_t w) {
    const T* dots = M + i * m;
    std::vector<T>& s = scratch[w];
    for (std::size_t j = 0; j < m; ++j) s[j] = dist(dots[j], i, j);
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(k - 1), s.end());
    threshold[i] = s[k - 1];
  });
  // A[i][j] = Dist[i][j] <= threshold of row i, stored column-major as LAPACK (and numpy's call
  // of it) sees A itself: A is far from normal, and its eigenvalues are sensitive enough that
  // the transpose's differ from numpy's in the 8th digit. Ties at the threshold are all
  // included, as the reference's `<=` includes them.
  parallelFor(threads, m, kColumnChunk, [&](std::size_t j, std::size_t) {
    T* col = M + j * m;
    for (std::size_t i = 0; i < m; ++i) col[i] = dist(col[i], i, j) <= threshold[i] ? T(1) : T(0);
  });
}

// ---------------------------------------------------------------------------------------------
// The tile layout (method 'slq').

// Kernel entries below this fraction of the diagonal are stored as 0: exp(-69) ~ 1e-30. They
// cannot move the entropy, and float32 denormals would slow every product down.
constexpr double kFlushExponent = 69.0;

// The rows `subset` of X as float64, centred: distances do not change, and the Gram products
// lose less to cancellation.
std::vector<double> centredRows(const InputMatrix& X, const std::int32_t* subset, std::size_t n, std::size_t threads) {
  const std::size_t d = X.cols;
  std::vector<double> Xc;
  if (X.isFloat32) {
    const auto* x = static_cast<const float*>(X.data);
    gatherRows<double>(x, d, subset, n, Xc, threads, columnMeans(x, d, subset, n).data());
  } else {
    const auto* x = static_cast<const double*>(X.data);
    gatherRows<double>(x, d, subset, n, Xc, threads, columnMeans(x, d, subset, n).data());
  }
  return Xc;
}

}  // namespace

template <typename T>
void buildKernel(const InputMatrix& X, const std::int32_t* subset, std::size_t m, const KernelSpec& spec, T* M,
                 std::size_t threads, KernelScratch<T>* scratch, TriangleLayout layout, bool holdTopApart) {
  if (layout.isFull()) layout = TriangleLayout::full(m);
  if (layout.n != m || (spec.kind == KernelKind::Knn && !layout.isFull()))
    throw std::logic_error("buildKernel: the layout must be m x m, and full for the kNN adjacency");
  KernelScratch<T> local;
  KernelScratch<T>& s = scratch ? *scratch : local;
  s.held = std::numeric_limits<double>::quiet_NaN();
  if constexpr (std::is_same<T, float>::value) {
    if (spec.kind != KernelKind::Knn) {
      // float32 forms a distance as |x|^2 + |y|^2 - 2 x.y: rows far from the origin next to their
      // spread would lose it to cancellation, so it works on x - mean, formed in float64 (no
      // distance changes), as method 'slq' does.
      const std::size_t d = X.cols;
      const std::vector<double> mean = X.isFloat32 ? columnMeans(static_cast<const float*>(X.data), d, subset, m)
                                                   : columnMeans(static_cast<const double*>(X.data), d, subset, m);
      Rows<float> rows;
      rows.stride = d;
      if (!subset && !X.isFloat32 && !layout.isFull()) {
        // In panels of the caller's float64 X, read in place (no m x d copy): the Gram products
        // of X in float64, less shift_i + shift_j with shift_i = mean . x_i - |mean|^2 / 2, which
        // makes them (x_i - mean) . (x_j - mean), then rounded to float32.
        const double* x = static_cast<const double*>(X.data);
        double meanNorm = 0;
        for (std::size_t c = 0; c < d; ++c) meanNorm += mean[c] * mean[c];
        std::vector<double> shift(m);
        s.norms.resize(m);
        parallelFor(threads, m, 256, [&](std::size_t r, std::size_t) {
          double dot = 0, norm = 0;
          for (std::size_t c = 0; c < d; ++c) {
            dot += mean[c] * x[r * d + c];
            norm += (x[r * d + c] - mean[c]) * (x[r * d + c] - mean[c]);
          }
          shift[r] = dot - meanNorm / 2;
          s.norms[r] = static_cast<float>(norm);
        });
        rows.norms = s.norms.data();
        linalg::gram(x, m, d, d, M, layout, threads, shift.data());
      } else {
        if (X.isFloat32) gatherRows(static_cast<const float*>(X.data), d, subset, m, s.rows, threads, mean.data());
        else gatherRows(static_cast<const double*>(X.data), d, subset, m, s.rows, threads, mean.data());
        rows.data = s.rows.data();
        rows.norms = squaredNorms(rows.data, m, d, threads, s.norms);
        linalg::gram(rows.data, m, d, rows.stride, M, layout, threads);
      }
      buildGaussianLike(M, layout, rows, spec, threads, s, holdTopApart);
      return;
    }
  }
  Rows<T> rows = prepareRows<T>(X, subset, m, threads, s);
  linalg::gram(rows.data, m, X.cols, rows.stride, M, layout, threads);
  if (spec.kind == KernelKind::Knn) buildKnn(M, m, rows, spec, threads);
  else buildGaussianLike(M, layout, rows, spec, threads, s, holdTopApart);
}

TiledKernelSums buildKernelTiles(const InputMatrix& X, const std::int32_t* subset, const KernelSpec& spec,
                                 const TileLayout& L, float* M, std::size_t threads, CancelFlag cancel) {
  const std::size_t n = L.n, d = X.cols, T = L.tile;
  std::vector<std::pair<std::size_t, std::size_t>> tiles;
  for (std::size_t J = 0; J < L.count; ++J)
    for (std::size_t I = 0; I <= J; ++I) tiles.push_back({I, J});
  std::vector<double> Xc = centredRows(X, subset, n, threads), norms;
  squaredNorms(Xc.data(), n, d, threads, norms);
  checkpoint(cancel);

  // Entries stay in [0, 1] whatever sigma (no 1 / (sigma sqrt(2 pi))), so float32 never underflows.
  const double sigma = spec.sigma;
  const double twoSigma2 = 2.0 * (sigma * sigma);
  const bool normalise = spec.kind == KernelKind::Diffusion || spec.kind == KernelKind::Anisotropic;
  // Per tile: partial row sums (rows of I) and column sums (rows of J), reduced in tile order.
  std::vector<std::vector<double>> rowPart(tiles.size()), colPart(tiles.size());
  std::vector<std::vector<double>> scratch(threads, std::vector<double>(T * T));
  parallelFor(threads, tiles.size(), 1, [&](std::size_t k, std::size_t w) {
    checkpoint(cancel);
    const std::size_t I = tiles[k].first, J = tiles[k].second;
    const std::size_t rI = L.rows(I), cJ = L.rows(J), i0 = I * T, j0 = J * T;
    double* C = scratch[w].data();
    // C = X_I X_J^T: the rows are row-major, i.e. column-major d x rows. A diagonal tile needs
    // only its upper triangle (mirrored below after the exp): half the flops with xSYRK.
    if (d == 0) std::fill(C, C + rI * cJ, 0.0);
    else if (I == J) blas::syrkUpper(Xc.data() + i0 * d, rI, d, d, C);
    else blas::gemm(true, false, rI, cJ, d, 1.0, Xc.data() + i0 * d, d, Xc.data() + j0 * d, d, 0.0, C, rI);
    // exp in float32: the argument's rounding to float costs at most 2^-24 |a| e^-a <= 2^-24 / e
    // of the largest entry, the order of the float32 storage rounding itself.
    float* out = M + L.offset(I, J);
    for (std::size_t jj = 0; jj < cJ; ++jj) {
      const double* col = C + jj * rI;
      float* o = out + jj * rI;
      const double nj = norms[j0 + jj];
      const std::size_t upto = I == J ? jj + 1 : rI;  // a diagonal tile: its upper triangle
      for (std::size_t ii = 0; ii < upto; ++ii) {
        const double a = -squaredDistance(col[ii], norms[i0 + ii], nj) / twoSigma2;
        o[ii] = expNonPositive(static_cast<float>(a < -kFlushExponent ? -100.0 : a));
      }
      if (I == J) o[jj] = 1.0f;  // exp(0): the diagonal distance is exactly 0
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
        if (f < tiny) o[ii] = f = 0.0f;  // flushed
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
  std::vector<double> r(n, 1.0);
  if (normalise) {
    std::vector<double> rowsum(n, 0.0);
    parallelFor(threads, L.count, 1, [&](std::size_t B, std::size_t) {
      for (std::size_t k = 0; k < tiles.size(); ++k) {
        const std::size_t I = tiles[k].first, J = tiles[k].second;
        if (I == B)
          for (std::size_t ii = 0; ii < L.rows(I); ++ii) rowsum[I * T + ii] += rowPart[k][ii];
        else if (J == B)
          for (std::size_t jj = 0; jj < L.rows(J); ++jj) rowsum[J * T + jj] += colPart[k][jj];
      }
    });
    for (std::size_t i = 0; i < n; ++i) r[i] = 1.0 / std::sqrt(rowsum[i]);
  }
  // K = D^-1/2 G D^-1/2 has the eigenpair (1, v), v = D^1/2 1 / |D^1/2 1|, exactly (for the
  // stored G). The tiles hold K - v v^T, computed in float64 and then rounded: for a flat
  // kernel (large sigma) K is nearly v v^T, and the small difference keeps the float32
  // products' summands (hence their rounding) small, where storing K itself would add
  // rounding noise far above the small eigenvalues that carry the remaining entropy.
  // Traces in float64 from the stored float32 entries, plus the held-apart pair.
  TiledKernelSums sums;
  std::vector<double>& v = sums.top;
  if (normalise) {
    v.resize(n);
    topEigenvector(r.data(), n, v.data());
  }
  std::vector<double> traceParts(tiles.size(), 0.0), frobParts(tiles.size(), 0.0);
  parallelFor(threads, tiles.size(), 1, [&](std::size_t k, std::size_t) {
    const std::size_t I = tiles[k].first, J = tiles[k].second;
    const std::size_t rI = L.rows(I), cJ = L.rows(J), i0 = I * T, j0 = J * T;
    float* A = M + L.offset(I, J);
    double fro = 0, tr = 0;
    for (std::size_t jj = 0; jj < cJ; ++jj) {
      const double rj = r[j0 + jj];
      for (std::size_t ii = 0; ii < rI; ++ii) {
        float& a = A[ii + jj * rI];
        if (normalise) a = heldApart(a, r[i0 + ii], rj, v[i0 + ii], v[j0 + jj]);
        const double e = a;
        fro += e * e;
      }
      if (I == J) tr += A[jj + jj * rI];
    }
    traceParts[k] = tr;
    frobParts[k] = I == J ? fro : 2 * fro;
  });
  for (std::size_t k = 0; k < tiles.size(); ++k) {
    sums.trace += traceParts[k];
    sums.frobenius2 += frobParts[k];
  }
  if (normalise) {  // tr K = tr(K - v v^T) + 1 and ||K||^2 = ||K - v v^T||^2 + 1 (K v = v)
    sums.trace += 1;
    sums.frobenius2 += 1;
  }
  return sums;
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
  // Row sums of K from its lower triangle.
  std::vector<double> s(m, 0.0);
  for (std::size_t j = 0; j < m; ++j) {
    const T* col = M + j * m;
    double colSum = 0;
    for (std::size_t i = j + 1; i < m; ++i) {
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
    for (std::size_t i = j + 1; i < m; ++i) {
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
    for (std::size_t i = j + 1; i < m; ++i) {
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
                                  std::size_t, KernelScratch<double>*, TriangleLayout, bool);
template void buildKernel<float>(const InputMatrix&, const std::int32_t*, std::size_t, const KernelSpec&, float*,
                                 std::size_t, KernelScratch<float>*, TriangleLayout, bool);
template bool isSymmetric<double>(const double*, std::size_t);
template bool isSymmetric<float>(const float*, std::size_t);
template double entryEntropy<double>(const double*, std::size_t, std::size_t);
template double entryEntropy<float>(const float*, std::size_t, std::size_t);

}  // namespace dse
