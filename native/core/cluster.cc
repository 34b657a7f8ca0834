// SPDX-License-Identifier: MIT
// Spectral clustering as scikit-learn's
//   SpectralClustering(affinity='nearest_neighbors', assign_labels='cluster_qr')
// computes it: the driver, and the route for duplicated points and disconnected graphs. The
// stages are files of their own: the neighbour search (cluster_knn.cc), the affinity
// (cluster_affinity.cc), the eigensolvers (cluster_eigen.cc) and cluster_qr (cluster_qr.cc).
// See cluster.h for the steps.
#include "cluster.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cluster_parts.h"
#include "parallel.h"

namespace dse {
namespace {

using namespace cluster;

int toInt(std::size_t v, const char* what) {
  if (v > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::invalid_argument(std::string("spectralClustering: ") + what + " too large");
  return static_cast<int>(v);
}

// ------------------------------------------------------------------------------------------
// Duplicated points and disconnected graphs.
//
// Nodes whose affinity rows are identical ("twins": copies of one point get the same neighbour
// lists, and so do points nobody else picked) make M's spectrum massively degenerate: every
// vector supported on a class of twins and summing to zero there lies in M's null space, while
// the vectors constant on every class form an invariant subspace on which M acts as the small
// matrix R (one row per class). Components make it block diagonal. The iterative solvers stall
// on such spectra (wanted and unwanted eigenvalues coincide or differ by 1e-3), so the
// eigenpairs come from R, one component at a time, and the null space is known in closed form.
// When the k-th largest eigenvalue is shared with unwanted ones (more components than k, or
// the null space of the twins reached), the wanted eigenspace is not unique: scikit-learn's
// labels then follow ARPACK's rounding (they change with random_state), and ours take the
// projections of fixed pseudo-random vectors onto the shared eigenspace.
struct Twins {
  std::size_t count = 0;     // classes
  std::vector<int> cls;      // class of each node
  std::vector<int> rep;      // first node of each class
  std::vector<double> size;  // nodes in each class
  std::vector<int> comp;     // scratch: component labels
};

Twins findTwins(const Csr& M, const std::vector<double>& sval) {
  const std::size_t n = M.n;
  Twins t;
  t.cls.assign(n, -1);
  std::unordered_map<std::uint64_t, std::vector<int>> byHash;  // row hash -> classes
  auto sameRow = [&](std::size_t a, std::size_t b) {
    const std::size_t la = M.ptr[a + 1] - M.ptr[a];
    if (la != M.ptr[b + 1] - M.ptr[b]) return false;
    for (std::size_t e = 0; e < la; ++e)
      if (M.col[M.ptr[a] + e] != M.col[M.ptr[b] + e] || sval[M.ptr[a] + e] != sval[M.ptr[b] + e]) return false;
    return true;
  };
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a over (column, value bits)
    for (std::size_t e = M.ptr[i]; e < M.ptr[i + 1]; ++e) {
      std::uint64_t bits;
      std::memcpy(&bits, &sval[e], sizeof bits);
      h = (h ^ static_cast<std::uint64_t>(M.col[e])) * 1099511628211ull;
      h = (h ^ bits) * 1099511628211ull;
    }
    std::vector<int>& cands = byHash[h];
    int found = -1;
    for (int c : cands)
      if (sameRow(static_cast<std::size_t>(t.rep[static_cast<std::size_t>(c)]), i)) {
        found = c;
        break;
      }
    if (found < 0) {
      found = static_cast<int>(t.rep.size());
      t.rep.push_back(static_cast<int>(i));
      t.size.push_back(0);
      cands.push_back(found);
    }
    t.cls[i] = found;
    t.size[static_cast<std::size_t>(found)] += 1;
  }
  t.count = t.rep.size();
  return t;
}

// R = Q^T M Q, Q's columns the classes' indicators / sqrt(size). Twins are never adjacent (a
// row holds no diagonal entry), so R has none either.
Csr reducedMatrix(const Csr& M, const Twins& t) {
  Csr R;
  R.n = t.count;
  R.ptr.assign(t.count + 1, 0);
  std::vector<int> last(t.count, -1);
  for (std::size_t c = 0; c < t.count; ++c) {
    const std::size_t i = static_cast<std::size_t>(t.rep[c]);
    const std::size_t first = R.col.size();
    for (std::size_t e = M.ptr[i]; e < M.ptr[i + 1]; ++e) {
      const int c2 = t.cls[static_cast<std::size_t>(M.col[e])];
      if (last[static_cast<std::size_t>(c2)] == static_cast<int>(c)) continue;  // one entry per class
      last[static_cast<std::size_t>(c2)] = static_cast<int>(c);
      R.col.push_back(c2);
      R.val.push_back(std::sqrt(t.size[c] * t.size[static_cast<std::size_t>(c2)]) * M.val[e]);
    }
    std::vector<std::pair<int, double>> row;
    for (std::size_t e = first; e < R.col.size(); ++e) row.emplace_back(R.col[e], R.val[e]);
    std::sort(row.begin(), row.end());
    for (std::size_t e = 0; e < row.size(); ++e) {
      R.col[first + e] = row[e].first;
      R.val[first + e] = row[e].second;
    }
    R.ptr[c + 1] = R.col.size();
  }
  return R;
}

// The sub-matrix of R on the nodes `nodes` (ascending), renumbered.
Csr subMatrix(const Csr& R, const std::vector<int>& nodes, std::vector<int>& local) {
  Csr S;
  S.n = nodes.size();
  S.ptr.assign(S.n + 1, 0);
  for (std::size_t a = 0; a < nodes.size(); ++a) local[static_cast<std::size_t>(nodes[a])] = static_cast<int>(a);
  for (std::size_t a = 0; a < nodes.size(); ++a) {
    const std::size_t i = static_cast<std::size_t>(nodes[a]);
    for (std::size_t e = R.ptr[i]; e < R.ptr[i + 1]; ++e) {
      S.col.push_back(local[static_cast<std::size_t>(R.col[e])]);
      S.val.push_back(R.val[e]);
    }
    S.ptr[a + 1] = S.col.size();
  }
  return S;
}

constexpr double kTieTolerance = 1e-10;

void reducedTopEigs(const Csr& M, Twins& t, std::size_t k, std::vector<double>& E, CancelFlag cancel) {
  const std::size_t n = M.n, r = t.count;
  const Csr R = reducedMatrix(M, t);
  const std::size_t comps = componentLabels(R, t.comp);
  std::vector<std::vector<int>> members(comps);
  for (std::size_t c = 0; c < r; ++c) members[static_cast<std::size_t>(t.comp[c])].push_back(static_cast<int>(c));

  // Eigenpairs of each component's block of R: values, and vectors in R's coordinates.
  struct Pair {
    double value;
    std::size_t comp;
    std::vector<double> z;  // over members[comp]
  };
  std::vector<Pair> pairs;
  std::vector<int> local(r, 0);
  std::vector<double> xr, yr;
  for (std::size_t c = 0; c < comps; ++c) {
    checkpoint(cancel);
    const std::vector<int>& nodes = members[c];
    const std::size_t rc = nodes.size(), q = std::min(k, rc);
    const Csr S = subMatrix(R, nodes, local);
    std::vector<double> Z, w;
    if (rc == 1) {
      Z.assign(1, 1.0);
      w.assign(1, 0.0);
    } else if (embeddingSizes(rc, q, 1).dense || q >= rc) {
      std::vector<double> A(rc * rc, 0.0);
      for (std::size_t i = 0; i < rc; ++i)
        for (std::size_t e = S.ptr[i]; e < S.ptr[i + 1]; ++e) A[static_cast<std::size_t>(S.col[e]) * rc + i] = S.val[e];
      symTop(A.data(), static_cast<Index>(rc), static_cast<Index>(q), w, Z);
    } else {
      topEigs(S, q, 1, Z, cancel);
      std::vector<double> SZ(rc * q);
      spmm(S, Z.data(), SZ.data(), static_cast<Index>(q), xr, yr);
      w.resize(q);
      for (std::size_t j = 0; j < q; ++j) w[j] = dot(&Z[j * rc], &SZ[j * rc], rc);
    }
    for (std::size_t j = 0; j < q; ++j)
      pairs.push_back(
          {w[j], c,
           std::vector<double>(Z.begin() + static_cast<Index>(j * rc), Z.begin() + static_cast<Index>((j + 1) * rc))});
  }
  std::stable_sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.value > b.value; });

  // The k-th largest eigenvalue of M, counting the twins' null space (n - r zeros).
  const std::size_t nullDim = n - r;
  double kth = 0;
  {
    std::size_t taken = 0, pi = 0;
    bool nullUsed = nullDim == 0;
    for (;;) {
      const bool fromNull = !nullUsed && (pi >= pairs.size() || pairs[pi].value < 0.0);
      if (fromNull) {
        kth = 0.0;
        taken += nullDim;
        nullUsed = true;
      } else {
        if (pi >= pairs.size()) throw NumericError("spectral embedding: fewer eigenpairs than clusters");
        kth = pairs[pi++].value;
        ++taken;
      }
      if (taken >= k) break;
    }
  }
  const bool nullSure = nullDim > 0 && 0.0 > kth + kTieTolerance;
  const bool nullTied = nullDim > 0 && std::fabs(kth) <= kTieTolerance;

  // Lifts an R-space vector of component c to M's coordinates.
  auto lift = [&](const Pair& pr, double* x) {
    const std::vector<int>& nodes = members[pr.comp];
    std::vector<double> byClass(r, 0.0);
    for (std::size_t a = 0; a < nodes.size(); ++a)
      byClass[static_cast<std::size_t>(nodes[a])] = pr.z[a] / std::sqrt(t.size[static_cast<std::size_t>(nodes[a])]);
    for (std::size_t i = 0; i < n; ++i) x[i] = byClass[static_cast<std::size_t>(t.cls[i])];
  };
  E.assign(n * k, 0.0);
  std::size_t col = 0;
  std::vector<const Pair*> tied;
  for (const Pair& pr : pairs) {
    if (pr.value > kth + kTieTolerance) lift(pr, &E[col++ * n]);
    else if (std::fabs(pr.value - kth) <= kTieTolerance) tied.push_back(&pr);
  }
  Rng rng(0x5DEECE66Dull);
  if (nullSure) {  // the whole null space of the twins (fewer than k dimensions): e_first - e_other
    std::vector<int> first(r, -1);
    const std::size_t c0 = col;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t c = static_cast<std::size_t>(t.cls[i]);
      if (first[c] < 0) {
        first[c] = static_cast<int>(i);
        continue;
      }
      double* x = &E[col++ * n];
      x[first[c]] = 1.0;
      x[i] = -1.0;
    }
    orthonormalize(E.data(), static_cast<Index>(n), static_cast<Index>(c0), &E[c0 * n], static_cast<Index>(col - c0),
                   nullptr, rng, gemmEigen);
  }
  const std::size_t need = k - col;
  if (need == 0) return;
  const std::size_t tiedDim = tied.size() + (nullTied ? nullDim : 0);
  const std::size_t c0 = col;
  if (tiedDim == need && !nullTied) {  // the eigenspace is determined after all
    for (const Pair* pr : tied) lift(*pr, &E[col++ * n]);
  } else {
    // Projections of pseudo-random vectors g onto the shared eigenspace: the tied pairs' lifts
    // (coefficients from Q^T g), plus g minus its class means when the twins' null space is in.
    std::vector<double> g(n), h(r), y(r);
    for (std::size_t j = 0; j < need; ++j) {
      for (std::size_t i = 0; i < n; ++i) g[i] = rng.uniform();
      std::fill(h.begin(), h.end(), 0.0);
      for (std::size_t i = 0; i < n; ++i) h[static_cast<std::size_t>(t.cls[i])] += g[i];
      for (std::size_t c = 0; c < r; ++c) h[c] /= std::sqrt(t.size[c]);
      double* out = &E[col++ * n];
      if (nullTied)
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t c = static_cast<std::size_t>(t.cls[i]);
          out[i] = g[i] - h[c] / std::sqrt(t.size[c]);
        }
      std::fill(y.begin(), y.end(), 0.0);  // sum of coef z over the tied pairs, in R's coordinates
      for (const Pair* pr : tied) {
        const std::vector<int>& nodes = members[pr->comp];
        double coef = 0;
        for (std::size_t a = 0; a < nodes.size(); ++a) coef += pr->z[a] * h[static_cast<std::size_t>(nodes[a])];
        for (std::size_t a = 0; a < nodes.size(); ++a) y[static_cast<std::size_t>(nodes[a])] += coef * pr->z[a];
      }
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t c = static_cast<std::size_t>(t.cls[i]);
        out[i] += y[c] / std::sqrt(t.size[c]);
      }
    }
  }
  orthonormalize(E.data(), static_cast<Index>(n), static_cast<Index>(c0), &E[c0 * n], static_cast<Index>(need), nullptr,
                 rng, gemmEigen);
}
}  // namespace

ClusteringBytes estimateSpectralClusteringBytes(std::size_t n, std::size_t d, std::size_t k, std::size_t nNeighbors) {
  // A connected graph (one component): more components than 16 can widen the blocks.
  const EmbeddingSizes s = embeddingSizes(n, k, 1);
  const double dn = static_cast<double>(n), tile = static_cast<double>(std::min<std::size_t>(n, 512));
  // The binding's float64 copy of Y, the neighbour heaps and kNN graph, two product tiles,
  // per-row scratch.
  const double base =
      dn * static_cast<double>(d) * 8 + dn * static_cast<double>(nNeighbors) * 64 + 2 * tile * tile * 8 + 64 * dn * 8;
  if (s.dense) return {base + 2 * dn * dn * 8, true};  // the n x n affinity and LAPACK's copy
  // The LDL^T factor (used only up to kSiMaxFillPerRow nonzeros per row, 12 bytes each) and the
  // n x (block) vector blocks of the Chebyshev and Krylov iterations.
  const double factor = dn * kSiMaxFillPerRow * 12;
  const double vectors = dn * 8 * static_cast<double>(11 * s.p + 2 * s.mmaxS + 4 * static_cast<Index>(k));
  return {base + factor + vectors, false};
}

void spectralClustering(const double* Y, std::size_t n, std::size_t d, std::size_t k, std::size_t nNeighbors,
                        int* labels, CancelFlag cancel) {
  if (n < 2) throw std::invalid_argument("spectralClustering: need at least 2 samples");
  if (d == 0) throw std::invalid_argument("spectralClustering: need at least 1 feature");
  if (k == 0) throw std::invalid_argument("spectralClustering: nClusters must be >= 1");
  if (k >= n) throw std::invalid_argument("spectralClustering: nClusters must be smaller than the number of samples");
  if (nNeighbors == 0) throw std::invalid_argument("spectralClustering: nNeighbors must be >= 1");
  if (nNeighbors > n)
    throw std::invalid_argument("spectralClustering: nNeighbors must not exceed the number of samples");
  toInt(n, "n");
  toInt(d, "d");
  if (Y == nullptr || labels == nullptr) throw std::invalid_argument("spectralClustering: null pointer");
  for (std::size_t t = 0; t < n * d; ++t)
    if (!std::isfinite(Y[t])) throw std::invalid_argument("spectralClustering: non-finite input value");
  checkpoint(cancel);

  if (k == 1) {  // cluster_qr on one column: argmax over a single entry
    std::fill(labels, labels + n, 0);
    return;
  }

  std::vector<int> nbr;
  nearestNeighbors(Y, n, d, nNeighbors, nbr, cancel);
  checkpoint(cancel);

  Csr M;
  std::vector<double> dd, sval;
  buildAffinity(nbr, n, nNeighbors, M, dd, sval);
  nbr.clear();
  nbr.shrink_to_fit();
  checkpoint(cancel);

  std::vector<double> E;  // n x k column-major
  Twins twins = findTwins(M, sval);
  sval.clear();
  sval.shrink_to_fit();
  if (twins.count == n && componentLabels(M, twins.comp) == 1) topEigs(M, k, 1, E, cancel);
  else reducedTopEigs(M, twins, k, E, cancel);
  checkpoint(cancel);

  // embedding (row-major n x k) = eigenvectors / dd, then _deterministic_vector_sign_flip.
  std::vector<double> emb(n * k);
  for (std::size_t c = 0; c < k; ++c)
    for (std::size_t i = 0; i < n; ++i) emb[i * k + c] = E[c * n + i] / dd[i];
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t am = 0;
    double bv = -1;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = std::fabs(emb[i * k + c]);
      if (v > bv) {
        bv = v;
        am = i;
      }
    }
    const double x = emb[am * k + c];
    const double sg = (x > 0) ? 1.0 : (x < 0 ? -1.0 : 0.0);
    for (std::size_t i = 0; i < n; ++i) emb[i * k + c] *= sg;
  }
  clusterQr(emb, n, k, labels);
}

}  // namespace dse
