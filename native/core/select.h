// SPDX-License-Identifier: MIT
// nth_element with libstdc++'s order of the elements on each side, whatever the C++ library.
//
// The standard fixes only which element lands at nth. The k-d tree of spectral clustering
// (cluster_knn.cc) reproduces scikit-learn's, whose wheels partition with libstdc++'s
// introselect, and the order within each side decides which neighbour comes first among equal
// distances (duplicated rows). libc++ (the zig builds of the prebuilds) orders them otherwise,
// so the algorithm is written out here: GCC 12's introselect (median-of-three pivot, unguarded
// partition, heap select past the depth limit, insertion sort below four elements).
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>

namespace dse::select {

namespace detail {

inline std::ptrdiff_t floorLog2(std::ptrdiff_t n) {
  std::ptrdiff_t k = 0;
  while (n > 1) {
    n >>= 1;
    ++k;
  }
  return k;
}

template <typename It, typename T, typename Less>
void pushHeap(It first, std::ptrdiff_t hole, std::ptrdiff_t top, T value, Less& less) {
  std::ptrdiff_t parent = (hole - 1) / 2;
  while (hole > top && less(*(first + parent), value)) {
    *(first + hole) = std::move(*(first + parent));
    hole = parent;
    parent = (hole - 1) / 2;
  }
  *(first + hole) = std::move(value);
}

template <typename It, typename T, typename Less>
void adjustHeap(It first, std::ptrdiff_t hole, std::ptrdiff_t len, T value, Less& less) {
  const std::ptrdiff_t top = hole;
  std::ptrdiff_t child = hole;
  while (child < (len - 1) / 2) {
    child = 2 * (child + 1);
    if (less(*(first + child), *(first + (child - 1)))) --child;
    *(first + hole) = std::move(*(first + child));
    hole = child;
  }
  if ((len & 1) == 0 && child == (len - 2) / 2) {
    child = 2 * (child + 1);
    *(first + hole) = std::move(*(first + (child - 1)));
    hole = child - 1;
  }
  pushHeap(first, hole, top, std::move(value), less);
}

template <typename It, typename Less>
void heapSelect(It first, It middle, It last, Less& less) {
  const std::ptrdiff_t len = middle - first;
  if (len >= 2) {
    for (std::ptrdiff_t parent = (len - 2) / 2;; --parent) {
      auto value = std::move(*(first + parent));
      adjustHeap(first, parent, len, std::move(value), less);
      if (parent == 0) break;
    }
  }
  for (It i = middle; i < last; ++i) {
    if (less(*i, *first)) {
      auto value = std::move(*i);
      *i = std::move(*first);
      adjustHeap(first, std::ptrdiff_t(0), len, std::move(value), less);
    }
  }
}

template <typename It, typename Less>
void moveMedianToFirst(It result, It a, It b, It c, Less& less) {
  if (less(*a, *b)) {
    if (less(*b, *c)) std::iter_swap(result, b);
    else if (less(*a, *c)) std::iter_swap(result, c);
    else std::iter_swap(result, a);
  } else if (less(*a, *c)) {
    std::iter_swap(result, a);
  } else if (less(*b, *c)) {
    std::iter_swap(result, c);
  } else {
    std::iter_swap(result, b);
  }
}

template <typename It, typename Less>
It unguardedPartition(It first, It last, It pivot, Less& less) {
  for (;;) {
    while (less(*first, *pivot)) ++first;
    --last;
    while (less(*pivot, *last)) --last;
    if (!(first < last)) return first;
    std::iter_swap(first, last);
    ++first;
  }
}

template <typename It, typename Less>
void insertionSort(It first, It last, Less& less) {
  if (first == last) return;
  for (It i = first + 1; i != last; ++i) {
    auto value = std::move(*i);
    if (less(value, *first)) {
      for (It j = i; j != first; --j) *j = std::move(*(j - 1));
      *first = std::move(value);
    } else {
      It hole = i;
      It prev = i - 1;
      while (less(value, *prev)) {
        *hole = std::move(*prev);
        hole = prev;
        --prev;
      }
      *hole = std::move(value);
    }
  }
}

}  // namespace detail

// std::nth_element(first, nth, last, less), leaving the elements where libstdc++'s would.
template <typename It, typename Less>
void nthElement(It first, It nth, It last, Less less) {
  if (first == last || nth == last) return;
  std::ptrdiff_t depth = detail::floorLog2(last - first) * 2;
  while (last - first > 3) {
    if (depth == 0) {
      detail::heapSelect(first, nth + 1, last, less);
      std::iter_swap(first, nth);
      return;
    }
    --depth;
    It mid = first + (last - first) / 2;
    detail::moveMedianToFirst(first, first + 1, mid, last - 1, less);
    It cut = detail::unguardedPartition(first + 1, last, first, less);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  detail::insertionSort(first, last, less);
}

}  // namespace dse::select
