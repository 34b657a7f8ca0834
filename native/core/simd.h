// SPDX-License-Identifier: MIT
// Vectorised loops that give the same bits on every CPU. The hot loops are compiled several
// times (GCC's target_clones: AVX-512, AVX2, baseline x86-64) and the dynamic loader picks the
// widest version the CPU has; prebuilt binaries stay baseline. The build sets
// -ffp-contract=off, so no clone fuses a multiply-add, and every sum below runs in a fixed
// order of fixed lanes: the same bits from every clone and every thread count.
#pragma once

#include <cstring>
#include <type_traits>
#include <utility>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) && !defined(DSE_SANITIZE)
#define DSE_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DSE_VECTOR_CLONES
#endif

// For the bodies a cloned function calls: inlined, they are compiled for each clone's target.
// DSE_INLINE_LAMBDA goes after a lambda's parameter list, for the same reason.
#if defined(__GNUC__)
#define DSE_INLINE inline __attribute__((always_inline))
#define DSE_INLINE_LAMBDA __attribute__((always_inline))
#else
#define DSE_INLINE inline
#define DSE_INLINE_LAMBDA
#endif

// The vector types below only travel between always-inlined functions, so GCC's note that their
// calling convention differs between targets does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace dse {
namespace simd {

// Lanes of a full vector: 64 bytes (8 doubles, 16 floats).
template <typename T>
constexpr int kLanes = static_cast<int>(64 / sizeof(T));

// Vectors of W lanes of T (GCC's vector extensions: each clone maps them onto its own
// registers, and every operation is elementwise, so every clone gives the same bits).
template <typename T, int W>
struct VecOf {
  typedef T type __attribute__((vector_size(W * sizeof(T))));
};
template <typename T, int W>
using Vec = typename VecOf<T, W>::type;

template <int W, typename T>
DSE_INLINE Vec<T, W> load(const T* p) {
  Vec<T, W> x;
  std::memcpy(&x, p, sizeof x);
  return x;
}
template <int W, typename T>
DSE_INLINE void store(T* p, const Vec<T, W>& x) {
  std::memcpy(p, &x, sizeof x);
}

// The halves of a vector of W lanes.
template <typename T, int W, int... I>
DSE_INLINE Vec<T, W / 2> lowHalf(const Vec<T, W>& x, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(x, x, I...);
}
template <typename T, int W, int... I>
DSE_INLINE Vec<T, W / 2> highHalf(const Vec<T, W>& x, std::integer_sequence<int, I...>) {
  return __builtin_shufflevector(x, x, (I + W / 2)...);
}

// The lanes summed pairwise, halves first (lane k + lane k + W/2, ...), in registers.
template <int W, typename T>
DSE_INLINE T sum(const Vec<T, W>& x) {
  if constexpr (W == 1) {
    return x[0];
  } else {
    const auto idx = std::make_integer_sequence<int, W / 2>();
    return sum<W / 2, T>(lowHalf<T, W>(x, idx) + highHalf<T, W>(x, idx));
  }
}

// Runs body(width, i) over the entries [i, end) in steps of the full vector width (width an
// std::integral_constant), then one step each of half and a quarter of it, then single entries:
// few scalar steps for any length.
template <typename T, typename Body>
DSE_INLINE void rows(int i, int end, Body&& body) {
  constexpr int L = kLanes<T>;
  for (; i + L <= end; i += L) body(std::integral_constant<int, L>(), i);
  if (i + L / 2 <= end) {
    body(std::integral_constant<int, L / 2>(), i);
    i += L / 2;
  }
  if constexpr (L / 4 >= 2) {
    if (i + L / 4 <= end) {
      body(std::integral_constant<int, L / 4>(), i);
      i += L / 4;
    }
  }
  for (; i < end; ++i) body(std::integral_constant<int, 1>(), i);
}

// A running sum fed by rows(): full vectors add lane by lane, the shorter steps at the end add
// their sums to a scalar tail. A fixed order for any vector width.
template <typename T>
struct Sum {
  static constexpr int L = kLanes<T>;
  Vec<T, L> lanes = {};
  T tail = 0;
  template <int W>
  DSE_INLINE void add(const Vec<T, W>& p) {
    if constexpr (W == L) lanes += p;
    else tail += sum<W, T>(p);
  }
  DSE_INLINE T total() const { return sum<L, T>(lanes) + tail; }
};

// a . b over n entries.
template <typename T>
DSE_INLINE T dot(int n, const T* a, const T* b) {
  Sum<T> s;
  rows<T>(0, n, [&](auto width, int i) DSE_INLINE_LAMBDA {
    constexpr int W = decltype(width)::value;
    s.template add<W>(load<W>(a + i) * load<W>(b + i));
  });
  return s.total();
}

// y += s x (each entry on its own: any vector width gives the same bits).
template <typename T>
DSE_INLINE void axpy(int n, T s, const T* x, T* y) {
  for (int i = 0; i < n; ++i) y[i] += s * x[i];
}

}  // namespace simd
}  // namespace dse
