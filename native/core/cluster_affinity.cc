// SPDX-License-Identifier: MIT
// Spectral clustering's affinity (cluster_parts.h): the kNN graph made symmetric, S = 0.5 (A + A^T),
// and normalised, M = D^-1/2 S_offdiag D^-1/2, the operator whose top eigenvectors are those of the
// normalised Laplacian L = I - M.
#include <algorithm>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "cluster_parts.h"

namespace dse {
namespace cluster {

void buildAffinity(const std::vector<int>& nbr, std::size_t n, std::size_t nn, Csr& M, std::vector<double>& dd,
                   std::vector<double>& sval) {
  // S = 0.5 (A + A^T), A_ij = 1 for j among the neighbours of i. Only off-diagonal entries:
  // scipy's laplacian excludes the diagonal from the degree and sklearn sets diag(L) = 1.
  std::vector<std::size_t> cnt(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < nn; ++t) {
      const std::size_t j = static_cast<std::size_t>(nbr[i * nn + t]);
      if (j == i) continue;
      ++cnt[i + 1];
      ++cnt[j + 1];
    }
  for (std::size_t i = 0; i < n; ++i) cnt[i + 1] += cnt[i];
  std::vector<int> tmpCol(cnt[n]);
  std::vector<std::size_t> fill(cnt.begin(), cnt.end() - 1);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t t = 0; t < nn; ++t) {
      const std::size_t j = static_cast<std::size_t>(nbr[i * nn + t]);
      if (j == i) continue;
      tmpCol[fill[i]++] = static_cast<int>(j);
      tmpCol[fill[j]++] = static_cast<int>(i);
    }
  M.n = n;
  M.ptr.assign(n + 1, 0);
  M.col.clear();
  M.val.clear();
  M.col.reserve(cnt[n]);
  M.val.reserve(cnt[n]);
  std::vector<double> w(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    auto b = tmpCol.begin() + static_cast<Index>(cnt[i]);
    auto e = tmpCol.begin() + static_cast<Index>(cnt[i + 1]);
    std::sort(b, e);
    for (auto it = b; it != e;) {
      auto jt = it;
      while (jt != e && *jt == *it) ++jt;
      const double s = 0.5 * static_cast<double>(jt - it);  // 0.5 or 1.0
      M.col.push_back(*it);
      M.val.push_back(s);
      w[i] += s;
      it = jt;
    }
    M.ptr[i + 1] = M.col.size();
  }
  sval = M.val;
  dd.resize(n);
  for (std::size_t i = 0; i < n; ++i) dd[i] = (w[i] == 0.0) ? 1.0 : std::sqrt(w[i]);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t e = M.ptr[i]; e < M.ptr[i + 1]; ++e)
      M.val[e] = (M.val[e] / dd[i]) / dd[static_cast<std::size_t>(M.col[e])];
}

std::size_t componentLabels(const Csr& M, std::vector<int>& comp) {
  const std::size_t n = M.n;
  comp.assign(n, -1);
  std::vector<int> stack;
  std::size_t comps = 0;
  for (std::size_t s = 0; s < n; ++s) {
    if (comp[s] >= 0) continue;
    const int c = static_cast<int>(comps++);
    comp[s] = c;
    stack.push_back(static_cast<int>(s));
    while (!stack.empty()) {
      const std::size_t i = static_cast<std::size_t>(stack.back());
      stack.pop_back();
      for (std::size_t e = M.ptr[i]; e < M.ptr[i + 1]; ++e) {
        const int j = M.col[e];
        if (comp[j] < 0) {
          comp[j] = c;
          stack.push_back(j);
        }
      }
    }
  }
  return comps;
}

void spmm(const Csr& M, const double* X, double* Yout, Index b, std::vector<double>& xr, std::vector<double>& yr) {
  const std::size_t n = M.n;
  const std::size_t bb = static_cast<std::size_t>(b);
  xr.resize(n * bb);
  yr.resize(n * bb);
  for (std::size_t c = 0; c < bb; ++c)
    for (std::size_t i = 0; i < n; ++i) xr[i * bb + c] = X[c * n + i];
  using Arr = Eigen::Array<double, Eigen::Dynamic, 1>;
  for (std::size_t i = 0; i < n; ++i) {
    Eigen::Map<Arr> acc(&yr[i * bb], b);
    acc.setZero();
    for (std::size_t e = M.ptr[i]; e < M.ptr[i + 1]; ++e)
      acc += M.val[e] * Eigen::Map<const Arr>(&xr[static_cast<std::size_t>(M.col[e]) * bb], b);
  }
  for (std::size_t c = 0; c < bb; ++c)
    for (std::size_t i = 0; i < n; ++i) Yout[c * n + i] = yr[i * bb + c];
}

}  // namespace cluster
}  // namespace dse
