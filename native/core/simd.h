// SPDX-License-Identifier: MIT
// Vectorised loops that give the same bits on every CPU. The hot loops are compiled several
// times (GCC's target_clones: AVX-512, AVX2, baseline x86-64) and the dynamic loader picks the
// widest version the CPU has; prebuilt binaries stay baseline. The build sets
// -ffp-contract=off, so no clone fuses a multiply-add, and every sum below runs in a fixed
// order of fixed lanes: the same bits from every clone and every thread count.
#pragma once

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

namespace dse {
namespace simd {

// Lanes of a running sum: one 64-byte vector (8 doubles, 16 floats).
template <typename T>
constexpr int kLanes = static_cast<int>(64 / sizeof(T));

// lane[k] += a[i] * b[i] over blocks of W entries from i; returns the first index not taken.
template <int W, typename T>
DSE_INLINE int dotBlock(int i, int n, const T* a, const T* b, T* lane) {
  if (i + W <= n) {
    for (int k = 0; k < W; ++k) lane[k] += a[i + k] * b[i + k];
    i += W;
  }
  return i;
}

// Adds a[i] * b[i], i < n, into the lanes: whole vectors first, then halves, quarters, ..., so
// that at most one entry is left for a scalar step.
template <typename T>
DSE_INLINE void dotInto(int n, const T* a, const T* b, T* lane) {
  constexpr int L = kLanes<T>;
  int i = 0;
  for (; i + L <= n; i += L)
    for (int k = 0; k < L; ++k) lane[k] += a[i + k] * b[i + k];
  if constexpr (L >= 16) i = dotBlock<8>(i, n, a, b, lane);
  i = dotBlock<4>(i, n, a, b, lane);
  i = dotBlock<2>(i, n, a, b, lane);
  if (i < n) lane[0] += a[i] * b[i];
}

// The lanes summed pairwise (a tree, in a fixed order).
template <typename T>
DSE_INLINE T laneSum(T* lane) {
  for (int h = kLanes<T> / 2; h >= 1; h /= 2)
    for (int k = 0; k < h; ++k) lane[k] += lane[k + h];
  return lane[0];
}

template <typename T>
DSE_INLINE T dot(int n, const T* a, const T* b) {
  T lane[kLanes<T>] = {};
  dotInto(n, a, b, lane);
  return laneSum(lane);
}

// y += s x (each entry on its own: any vector width gives the same bits).
template <typename T>
DSE_INLINE void axpy(int n, T s, const T* x, T* y) {
  for (int i = 0; i < n; ++i) y[i] += s * x[i];
}

}  // namespace simd
}  // namespace dse
