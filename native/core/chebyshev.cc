// SPDX-License-Identifier: MIT
#include "chebyshev.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>

#include <Eigen/Dense>

#include "blas.h"
#include "cancel.h"
#include "linalg.h"
#include "parallel.h"
#include "random.h"

namespace dse {

namespace {

// After the 1e-3 filter the kernel is often mostly zeros (its entries are about 1 / m, so at
// m >= 1000 nearly every off-diagonal entry goes unless sigma is small), and a sparse product
// then beats dense BLAS-3 by far. Measured here (two cores, m = 1000 and 2000, 100 probes, the
// 49 products of one call): both take the same time at 18% non-zeros; sparse is twice as fast at
// 12%, dense twice as fast at 31%.
constexpr double kSparseMaxDensity = 0.18;
// Rows per hand-out of the sparse product.
constexpr std::size_t kRowChunk = 32;

inline std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// xoshiro256** (Blackman & Vigna), seeded through SplitMix64 as its authors recommend.
class Xoshiro256 {
 public:
  explicit Xoshiro256(std::uint64_t seed) {
    for (auto& w : s_) w = random::splitmixNext(seed);
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  std::uint64_t s_[4];
};

// The filtered kernel as an operator on row-major m x P blocks: out = alpha K in + beta out.
// Dense: K's lower triangle, applied with dsymm (Eigen without OpenBLAS). Sparse: every row of
// the full symmetric K in compressed form, one output row per task, so each entry is summed in
// the same order whatever the number of threads.
class FilteredKernel {
 public:
  FilteredKernel(const InputMatrix& X, const std::int32_t* rows, std::size_t m, const ChebyshevSpec& spec,
                 std::size_t threads)
      : m_(m), threads_(threads) {
    dense_.reset(new double[m * m]);  // only the lower triangle is written or read
    KernelSpec kernel;
    kernel.kind = KernelKind::Diffusion;
    kernel.sigma = spec.sigma;
    buildKernel<double>(X, rows, m, kernel, dense_.get(), threads);
    double nnz = 0;
    for (std::size_t j = 0; j < m; ++j) {
      double* col = dense_.get() + j * m;
      for (std::size_t i = j; i < m; ++i) {
        if (std::abs(col[i]) < spec.threshold) col[i] = 0;
        else nnz += i == j ? 1 : 2;
      }
    }
    if (nnz <= kSparseMaxDensity * static_cast<double>(m) * static_cast<double>(m)) toSparse();
  }

  bool sparse() const { return !dense_; }

  void apply(const double* in, double* out, std::size_t P, double alpha, double beta) const {
    if (dense_) applyDense(in, out, P, alpha, beta);
    else applySparse(in, out, P, alpha, beta);
  }

 private:
  std::size_t m_;
  std::size_t threads_;
  std::unique_ptr<double[]> dense_;
  std::vector<std::size_t> ptr_;
  std::vector<std::int32_t> col_;
  std::vector<double> val_;

  void toSparse() {
    const std::size_t m = m_;
    const double* K = dense_.get();
    std::vector<std::size_t> count(m, 0);
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t i = j; i < m; ++i)
        if (K[i + j * m] != 0) {
          ++count[j];
          if (i != j) ++count[i];
        }
    ptr_.assign(m + 1, 0);
    for (std::size_t i = 0; i < m; ++i) ptr_[i + 1] = ptr_[i] + count[i];
    col_.resize(ptr_[m]);
    val_.resize(ptr_[m]);
    std::vector<std::size_t> fill(ptr_.begin(), ptr_.end() - 1);
    // Column j of the lower triangle is row j from the diagonal on, and adds entry (i, j) to
    // every row i > j. Taking j in order leaves each row's columns ascending.
    for (std::size_t j = 0; j < m; ++j)
      for (std::size_t i = j; i < m; ++i) {
        const double v = K[i + j * m];
        if (v == 0) continue;
        col_[fill[j]] = static_cast<std::int32_t>(i);
        val_[fill[j]++] = v;
        if (i != j) {
          col_[fill[i]] = static_cast<std::int32_t>(j);
          val_[fill[i]++] = v;
        }
      }
    dense_.reset();
  }

  void applySparse(const double* in, double* out, std::size_t P, double alpha, double beta) const {
    parallelFor(threads_, m_, kRowChunk, [&](std::size_t i, std::size_t) {
      // Accumulate in a small stack buffer when it fits, so each output row is written once.
      double local[256];
      std::vector<double> heap;
      double* acc = local;
      if (P > 256) {
        heap.assign(P, 0.0);
        acc = heap.data();
      } else {
        std::fill(local, local + P, 0.0);
      }
      for (std::size_t k = ptr_[i]; k < ptr_[i + 1]; ++k) {
        const double v = val_[k];
        const double* src = in + static_cast<std::size_t>(col_[k]) * P;
        for (std::size_t p = 0; p < P; ++p) acc[p] += v * src[p];
      }
      double* dst = out + i * P;
      if (beta == 0) {
        for (std::size_t p = 0; p < P; ++p) dst[p] = alpha * acc[p];
      } else {
        for (std::size_t p = 0; p < P; ++p) dst[p] = alpha * acc[p] + beta * dst[p];
      }
    });
  }

  void applyDense(const double* in, double* out, std::size_t P, double alpha, double beta) const {
    // A row-major m x P block is a column-major P x m one, B; with K symmetric,
    // (K in)^T = B K, so out^T = alpha B K + beta out^T with K applied from the right.
#ifdef DSE_HAVE_LAPACK
    if (m_ > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        P > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw NumericError("chebyshev: the kernel is too large for BLAS's 32-bit integers");
    const int M = static_cast<int>(P), N = static_cast<int>(m_);
    blas::symm("R", "L", &M, &N, &alpha, dense_.get(), &N, in, &M, &beta, out, &M);
#else
    using ColMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
    Eigen::Map<const ColMat> K(dense_.get(), m_, m_);
    Eigen::Map<const ColMat> B(in, P, m_);
    Eigen::Map<ColMat> C(out, P, m_);
    ColMat product = B * K.selfadjointView<Eigen::Lower>();
    if (beta == 0) C = alpha * product;
    else C = alpha * product + beta * C;
#endif
  }
};

// mean over probes p of sum_i Z(i, p) T(i, p): the probes' quadratic forms, summed row by row
// in order, then averaged in probe order.
double moment(const double* Z, const double* T, std::size_t m, std::size_t P) {
  std::vector<double> perProbe(P, 0.0);
  for (std::size_t i = 0; i < m; ++i) {
    const double* z = Z + i * P;
    const double* t = T + i * P;
    for (std::size_t p = 0; p < P; ++p) perProbe[p] += z[p] * t[p];
  }
  double sum = 0;
  for (double v : perProbe) sum += v;
  return sum / static_cast<double>(P);
}

std::vector<double> momentsOf(const InputMatrix& X, const Subset& subset, const ChebyshevSpec& spec,
                              std::size_t threads, const std::atomic<std::int32_t>* cancel) {
  const std::size_t m = subset.size;
  const std::size_t P = std::max<std::size_t>(1, spec.probes);
  const std::size_t N = std::max<std::size_t>(2, spec.moments);  // as the reference: at least T_0 and T_1
  FilteredKernel K(X, subset.rows, m, spec, threads);
  checkpoint(cancel);
  std::vector<double> Z(m * P), A(m * P), B(m * P);
  rademacherProbes(spec.seed, m, P, Z.data());
  std::vector<double> c(N);
  // T_0 Z = Z, T_1 Z = K Z, T_{k+1} Z = 2 K T_k Z - T_{k-1} Z (computed in place over T_{k-1}).
  std::copy(Z.begin(), Z.end(), A.begin());
  K.apply(Z.data(), B.data(), P, 1.0, 0.0);
  c[0] = moment(Z.data(), A.data(), m, P);
  c[1] = moment(Z.data(), B.data(), m, P);
  for (std::size_t k = 2; k < N; ++k) {
    checkpoint(cancel);
    K.apply(B.data(), A.data(), P, 2.0, -1.0);
    std::swap(A, B);
    c[k] = moment(Z.data(), B.data(), m, P);
  }
  c.resize(std::max<std::size_t>(1, spec.moments));
  return c;
}

}  // namespace

void rademacherProbes(std::uint64_t seed, std::size_t m, std::size_t probes, double* Z) {
  Xoshiro256 rng(seed);
  std::uint64_t word = 0;
  int left = 0;
  for (std::size_t p = 0; p < probes; ++p)
    for (std::size_t i = 0; i < m; ++i) {
      if (left == 0) {
        word = rng.next();
        left = 64;
      }
      Z[i * probes + p] = (word & 1) ? -1.0 : 1.0;
      word >>= 1;
      --left;
    }
}

std::vector<std::vector<double>> runChebyshev(const InputMatrix& X, const std::vector<Subset>& subsets,
                                              const ChebyshevSpec& spec, const Control& control) {
  const std::size_t total = subsets.size();
  std::vector<std::vector<double>> results(total);
  const std::size_t threads = threadsFor(control.maxThreads);
  linalg::BlasThreadsScope blasScope(static_cast<int>(threads));
  std::size_t done = 0;
  for (std::size_t s = 0; s < total; ++s) {
    checkpoint(control.cancel);
    const Subset& a = subsets[s];
    // DSMI draws the same random subsets for clusters of equal size: compute each once.
    std::size_t same = s;
    for (std::size_t t = 0; t < s && same == s; ++t) {
      const Subset& b = subsets[t];
      if (a.size == b.size && (a.rows == nullptr) == (b.rows == nullptr) &&
          (!a.rows || std::equal(a.rows, a.rows + a.size, b.rows)))
        same = t;
    }
    results[s] = same == s ? momentsOf(X, a, spec, threads, control.cancel) : results[same];
    if (control.progress) control.progress(++done, total);
  }
  return results;
}

double estimateChebyshevBytes(std::size_t m, std::size_t cols, std::size_t probes) {
  const double n = static_cast<double>(m);
  const double kernel = n * n * 8.0;
  const double sparse = kSparseMaxDensity * n * n * 12.0 + (n + 1) * 8.0;
  const double blocks = 3.0 * n * static_cast<double>(std::max<std::size_t>(1, probes)) * 8.0;
  const double rows = n * static_cast<double>(cols) * 8.0 + 64.0 * n * 8.0;  // gathered rows, kernel scratch
  return kernel + sparse + blocks + rows;
}

}  // namespace dse
