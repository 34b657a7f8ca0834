// SPDX-License-Identifier: MIT
// Where a symmetric kernel lives in its buffer: its lower triangle (full or panels), or tiles.
#pragma once

#include <algorithm>
#include <cstddef>

namespace dse {

// The lower triangle of an n x n symmetric matrix, column j's entries (i, j), i >= j, stored
// contiguously at M[column(j) + i]. Two layouts:
// - full (panel == 0): column-major n x n, leading dimension n, entry (i, j) at i + j n. The
//   strictly upper triangle is never written (its pages are never even mapped in where no
//   entry of the triangle shares them), and LAPACK reads the matrix as it is.
// - panels of width `panel`: panel J holds columns [J panel, min(n, (J + 1) panel)) for rows
//   [J panel, n), column-major with leading dimension n - J panel, the panels one after the
//   other. That is the triangle plus the upper halves of the diagonal blocks: about
//   n (n + panel) / 2 entries, every page of them filled, where the full layout's triangle
//   touches one page more per column (docs/internals/performance-history.md, "float32").
//   linalg::symEigvalsPanels reduces it to a band without ever forming the full matrix.
struct TriangleLayout {
  std::size_t n = 0;
  std::size_t panel = 0;

  static TriangleLayout full(std::size_t n) { return TriangleLayout{n, 0}; }
  static TriangleLayout panels(std::size_t n, std::size_t width) { return TriangleLayout{n, width}; }

  bool isFull() const { return panel == 0; }
  std::size_t panelCount() const { return panel ? (n + panel - 1) / panel : 0; }
  // Rows (the leading dimension) and columns of panel J.
  std::size_t panelRows(std::size_t J) const { return n - J * panel; }
  std::size_t panelColumns(std::size_t J) const { return n - J * panel < panel ? n - J * panel : panel; }
  // Where panel J's first entry, (J panel, J panel), is: the panels before it are all full width.
  std::size_t panelOffset(std::size_t J) const { return J ? panel * (J * n - panel * J * (J - 1) / 2) : 0; }
  std::size_t column(std::size_t j) const {
    if (!panel) return j * n;
    const std::size_t J = j / panel;
    return panelOffset(J) + (j - J * panel) * panelRows(J) - J * panel;
  }
  // Entries the buffer needs.
  std::size_t size() const {
    if (!panel) return n * n;
    if (!n) return 0;
    const std::size_t last = panelCount() - 1;
    return panelOffset(last) + panelRows(last) * panelColumns(last);
  }
};

// The upper tiles (I <= J) of an n x n symmetric matrix cut into square tiles of side `tile`
// (those of the last tile row and column cut at n), each column-major with leading dimension its
// rows, the diagonal tiles whole (both triangles), one after the other: tile column J after
// tile column J - 1, tile I <= J within it. Every tile is one BLAS operand: method 'slq' keeps
// its float32 kernel so.
struct TileLayout {
  std::size_t n = 0;
  std::size_t tile = 0;
  std::size_t count = 0;  // tiles per side

  // Depends on n only (never on the thread count), so the bits do not either.
  static TileLayout forRows(std::size_t n) {
    std::size_t t = (n + 7) / 8;
    t = std::max<std::size_t>(256, std::min<std::size_t>(2048, (t + 63) / 64 * 64));
    return TileLayout{n, t, (n + t - 1) / t};
  }

  std::size_t rows(std::size_t I) const { return std::min(tile, n - I * tile); }
  // Where tile (I, J) starts: the tiles before it are all full but the last row's and column's.
  std::size_t offset(std::size_t I, std::size_t J) const {
    return tile * tile * (J * (J + 1) / 2) + I * tile * rows(J);
  }
  // Entries the buffer needs.
  std::size_t size() const { return count ? offset(count - 1, count - 1) + rows(count - 1) * rows(count - 1) : 0; }
};

}  // namespace dse
