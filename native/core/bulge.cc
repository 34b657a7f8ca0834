// SPDX-License-Identifier: MIT
#include "bulge.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "simd.h"

namespace dse {
namespace bulge {

namespace {

using simd::axpy;
using simd::dot;
using simd::load;
using simd::rows;
using simd::store;
using simd::Sum;
using simd::Vec;

// |x|_2 of x[0..n), without overflow or underflow for any finite entries.
template <typename T>
DSE_INLINE T norm2(int n, const T* x) {
  T scale = 0;
  for (int i = 0; i < n; ++i) scale = std::max(scale, std::abs(x[i]));
  if (scale == T(0)) return 0;
  // Squares of entries in [small, big] neither underflow nor overflow, nor does their sum.
  const T small = std::sqrt(std::numeric_limits<T>::min() / std::numeric_limits<T>::epsilon());
  const T big = std::sqrt(std::numeric_limits<T>::max()) / T(256);
  if (scale > small && scale < big) return std::sqrt(dot(n, x, x));
  // Divide, not multiply by 1 / scale: that overflows to inf for a subnormal scale (xLARFG's
  // norm stays finite there), and the band of a rank-1 kernel holds subnormal residues.
  Sum<T> squares;
  rows<T>(0, n, [&](auto width, int i) DSE_INLINE_LAMBDA {
    constexpr int W = decltype(width)::value;
    const Vec<T, W> y = load<W>(x + i) / scale;
    squares.template add<W>(y * y);
  });
  return scale * std::sqrt(squares.total());
}

// sqrt(a^2 + b^2) without overflow.
template <typename T>
DSE_INLINE T hypot2(T a, T b) {
  const T x = std::abs(a), y = std::abs(b);
  const T w = std::max(x, y), z = std::min(x, y);
  if (z == T(0)) return w;
  const T q = z / w;
  return w * std::sqrt(T(1) + q * q);
}

// The elementary reflector H = I - tau [1; v] [1; v]^T with H [alpha; x] = [beta; 0] (LAPACK's
// xLARFG): alpha becomes beta, x (n - 1 entries) becomes v.
template <typename T>
DSE_INLINE void reflector(int n, T& alpha, T* x, T& tau) {
  tau = 0;
  if (n <= 1) return;
  T xnorm = norm2(n - 1, x);
  if (xnorm == T(0)) return;
  T beta = -std::copysign(hypot2(alpha, xnorm), alpha);
  // LAPACK's safe minimum: below it 1 / (alpha - beta) could overflow, so scale up first.
  const T safmin = std::numeric_limits<T>::min() / (std::numeric_limits<T>::epsilon() / 2);
  int scaled = 0;
  if (std::abs(beta) < safmin) {
    const T up = T(1) / safmin;
    do {
      ++scaled;
      for (int i = 0; i < n - 1; ++i) x[i] *= up;
      beta *= up;
      alpha *= up;
    } while (std::abs(beta) < safmin && scaled < 20);
    xnorm = norm2(n - 1, x);
    beta = -std::copysign(hypot2(alpha, xnorm), alpha);
  }
  tau = (beta - alpha) / beta;
  const T s = T(1) / (alpha - beta);
  for (int i = 0; i < n - 1; ++i) x[i] *= s;
  for (int k = 0; k < scaled; ++k) beta *= safmin;
  alpha = beta;
}

// The reflector that zeroes col[1..m) (a column of the band below its top entry col[0]): the
// entries move into v[1..m) (v[0] = 1) and become zero, col[0] becomes beta.
template <typename T>
DSE_INLINE void reflectorOfColumn(int m, T* col, T* v, T& tau) {
  v[0] = 1;
  for (int i = 1; i < m; ++i) {
    v[i] = col[i];
    col[i] = 0;
  }
  reflector(m, col[0], v + 1, tau);
}

// Columns are taken four at a time: the loads of v and w are shared, and the four dot products
// run side by side.
constexpr int kColumns = 4;

// A := H A H for the symmetric m x m block whose lower triangle is at A (column stride ld),
// H = I - tau v v^T (LAPACK's xLARFY): w = tau A v, w -= (tau / 2)(w.v) v, A -= v w^T + w v^T.
// w: m entries of scratch.
template <typename T>
DSE_INLINE void twoSidedBody(int m, const T* __restrict v, T tau, T* __restrict A, int ld, T* __restrict w) {
  if (tau == T(0)) return;
  std::fill(w, w + m, T(0));
  for (int j0 = 0; j0 < m; j0 += kColumns) {
    const int nc = std::min(kColumns, m - j0), below = j0 + nc;
    const T* col[kColumns];
    for (int c = 0; c < nc; ++c) col[c] = A + static_cast<std::size_t>(j0 + c) * ld;
    // The diagonal block of these columns, entry by entry.
    for (int c = 0; c < nc; ++c) {
      const int j = j0 + c;
      T acc = col[c][j] * v[j];
      for (int i = j + 1; i < below; ++i) {
        w[i] += col[c][i] * v[j];
        acc += col[c][i] * v[i];
      }
      w[j] += acc;
    }
    if (nc < kColumns) continue;  // the last block: no rows below its diagonal block
    // Below it: w[i] += A(i, j) v[j] and w[j] += A(i, j) v[i], four columns at once.
    Sum<T> dots[kColumns];
    rows<T>(below, m, [&](auto width, int i) DSE_INLINE_LAMBDA {
      constexpr int W = decltype(width)::value;
      Vec<T, W> wi = load<W>(w + i);
      const Vec<T, W> vi = load<W>(v + i);
      for (int c = 0; c < kColumns; ++c) {
        const Vec<T, W> a = load<W>(col[c] + i);
        wi += a * v[j0 + c];
        dots[c].template add<W>(a * vi);
      }
      store<W>(w + i, wi);
    });
    for (int c = 0; c < kColumns; ++c) w[j0 + c] += dots[c].total();
  }
  for (int i = 0; i < m; ++i) w[i] *= tau;
  const T alpha = -(T(0.5) * tau) * dot(m, w, v);
  axpy(m, alpha, v, w);
  for (int j = 0; j < m; ++j) {
    T* cj = A + static_cast<std::size_t>(j) * ld;
    const T wj = w[j], vj = v[j];
    rows<T>(j, m, [&](auto width, int i) DSE_INLINE_LAMBDA {
      constexpr int W = decltype(width)::value;
      store<W>(cj + i, load<W>(cj + i) - (load<W>(v + i) * wj + load<W>(w + i) * vj));
    });
  }
}

// The block C (m x n, column stride ld) below a diagonal block: C := C (I - tau v v^T)
// (v: n entries), then the reflector [1; v2], tau2 that zeroes C's first column below its top
// entry, applied from the left to the other columns: C(:, 1:) := (I - tau2 v2 v2^T) C(:, 1:).
// w: m entries of scratch.
template <typename T>
DSE_INLINE void rightThenLeftBody(int m, int n, const T* __restrict v, T tau, T* __restrict C, int ld, T* __restrict v2,
                                  T& tau2, T* __restrict w) {
  const bool right = tau != T(0);
  auto column = [&](int j) DSE_INLINE_LAMBDA { return C + static_cast<std::size_t>(j) * ld; };
  // Calls block(NC, j0) for the columns from `from` in blocks of NC = kColumns (the last one
  // shorter), NC a compile-time constant so that the loops over a block's columns unroll.
  auto blocks = [&](int from, auto&& block) DSE_INLINE_LAMBDA {
    int j0 = from;
    for (; j0 + kColumns <= n; j0 += kColumns) block(std::integral_constant<int, kColumns>(), j0);
    switch (n - j0) {
      case 3:
        block(std::integral_constant<int, 3>(), j0);
        break;
      case 2:
        block(std::integral_constant<int, 2>(), j0);
        break;
      case 1:
        block(std::integral_constant<int, 1>(), j0);
        break;
      default:
        break;
    }
  };
  static_assert(kColumns == 4, "blocks() handles remainders of up to 3 columns");
  if (right) {
    // w = C v, a block of columns per pass over w.
    std::fill(w, w + m, T(0));
    blocks(0, [&](auto ncc, int j0) DSE_INLINE_LAMBDA {
      constexpr int NC = decltype(ncc)::value;
      rows<T>(0, m, [&](auto width, int i) DSE_INLINE_LAMBDA {
        constexpr int W = decltype(width)::value;
        Vec<T, W> wi = load<W>(w + i);
        for (int c = 0; c < NC; ++c) wi += load<W>(column(j0 + c) + i) * v[j0 + c];
        store<W>(w + i, wi);
      });
    });
    const T s = -(tau * v[0]);
    T* c0 = column(0);
    rows<T>(0, m, [&](auto width, int i) DSE_INLINE_LAMBDA {
      constexpr int W = decltype(width)::value;
      store<W>(c0 + i, load<W>(c0 + i) + load<W>(w + i) * s);
    });
  }
  reflectorOfColumn(m, C, v2, tau2);
  const bool left = tau2 != T(0);
  if (!right && !left) return;
  blocks(1, [&](auto ncc, int j0) DSE_INLINE_LAMBDA {
    constexpr int NC = decltype(ncc)::value;
    T* col[NC];
    T s[NC];
    for (int c = 0; c < NC; ++c) {
      col[c] = column(j0 + c);
      s[c] = right ? -(tau * v[j0 + c]) : T(0);
    }
    // The right product's update, and the dot products with v2 of the updated columns.
    Sum<T> dots[NC];
    rows<T>(0, m, [&](auto width, int i) DSE_INLINE_LAMBDA {
      constexpr int W = decltype(width)::value;
      const Vec<T, W> vi = load<W>(v2 + i);
      if (right) {
        const Vec<T, W> wi = load<W>(w + i);
        for (int c = 0; c < NC; ++c) {
          const Vec<T, W> a = load<W>(col[c] + i) + wi * s[c];
          store<W>(col[c] + i, a);
          dots[c].template add<W>(a * vi);
        }
      } else {
        for (int c = 0; c < NC; ++c) dots[c].template add<W>(load<W>(col[c] + i) * vi);
      }
    });
    if (!left) return;
    T t[NC];
    for (int c = 0; c < NC; ++c) t[c] = -(tau2 * dots[c].total());
    rows<T>(0, m, [&](auto width, int i) DSE_INLINE_LAMBDA {
      constexpr int W = decltype(width)::value;
      const Vec<T, W> vi = load<W>(v2 + i);
      for (int c = 0; c < NC; ++c) store<W>(col[c] + i, load<W>(col[c] + i) + vi * t[c]);
    });
  });
}

DSE_VECTOR_CLONES
void twoSided(int m, const double* v, double tau, double* A, int ld, double* w) { twoSidedBody(m, v, tau, A, ld, w); }
DSE_VECTOR_CLONES
void twoSided(int m, const float* v, float tau, float* A, int ld, float* w) { twoSidedBody(m, v, tau, A, ld, w); }
DSE_VECTOR_CLONES
void rightThenLeft(int m, int n, const double* v, double tau, double* C, int ld, double* v2, double& tau2, double* w) {
  rightThenLeftBody(m, n, v, tau, C, ld, v2, tau2, w);
}
DSE_VECTOR_CLONES
void rightThenLeft(int m, int n, const float* v, float tau, float* C, int ld, float* v2, float& tau2, float* w) {
  rightThenLeftBody(m, n, v, tau, C, ld, v2, tau2, w);
}

template <typename T>
void taskT(int ttype, int st, int ed, int sweep, int n, int kd, T* A, int lda, T* V, T* tau, T* work) {
  // With a leading dimension of lda - 1 the band reads as a dense matrix: entry (i, j), 0-based,
  // at A[i + j (lda - 1)].
  const int ld = lda - 1;
  auto at = [&](int i, int j) { return A + i + static_cast<std::size_t>(j) * ld; };
  const int half = ((sweep - 1) % 2) * n;  // this sweep's half of V and tau
  const int s = st - 1, e = ed - 1;        // 0-based
  if (ttype != 2) {
    const int m = e - s + 1;
    T* v = V + half + s;
    T& t = tau[half + s];
    // Column s - 1 below its subdiagonal (rows s + 1 .. e) moves into v and becomes zero.
    if (ttype == 1) reflectorOfColumn(m, at(s, s - 1), v, t);
    twoSided(m, v, t, at(s, s), ld, work);
    return;
  }
  const int j1 = e + 1, j2 = std::min(e + kd, n - 1);
  const int m = j2 - j1 + 1, cols = e - s + 1;
  if (m <= 0) return;
  rightThenLeft(m, cols, V + half + s, tau[half + s], at(j1, s), ld, V + half + j1, tau[half + j1], work);
}

}  // namespace

void task(int ttype, int st, int ed, int sweep, int n, int kd, double* A, int lda, double* V, double* tau,
          double* work) {
  taskT(ttype, st, ed, sweep, n, kd, A, lda, V, tau, work);
}
void task(int ttype, int st, int ed, int sweep, int n, int kd, float* A, int lda, float* V, float* tau, float* work) {
  taskT(ttype, st, ed, sweep, n, kd, A, lda, V, tau, work);
}

}  // namespace bulge
}  // namespace dse
