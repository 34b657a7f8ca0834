// SPDX-License-Identifier: MIT
// Spectral clustering's neighbour search (cluster.h): sklearn's brute force or KD-tree,
// with its tie order.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "blas.h"
#include "cluster.h"
#include "parallel.h"
#include "select.h"
#include "threads.h"

namespace dse {
namespace cluster {
namespace {

using Index = std::ptrdiff_t;
using blas::gemm;

// The threads of the KD-tree queries (and of the distance GEMMs without BLAS): the budget's
// threads now, at most 8.
unsigned maxThreads() { return static_cast<unsigned>(std::min<std::size_t>(threadsNow(concurrency()), 8)); }

// ------------------------------------------------------------------------------------------
// k nearest neighbours, as sklearn's kneighbors_graph(Y, nn, include_self=True) finds them:
// NearestNeighbors(algorithm='auto').fit(Y).kneighbors(Y, nn) with Y passed as the query, so
// each point is its own neighbour at distance 0 like any other (duplicates compete with it).
// Exact ties in distance are resolved as sklearn resolves them: its fixed-size max-heap
// (sklearn.utils._heap.heap_push) receives the candidates in the same order, so the same
// candidates survive.

// sklearn.utils._heap.heap_push, verbatim: keep the `size` smallest values seen.
inline void heapPush(double* values, std::int64_t* indices, std::size_t size, double val, std::int64_t valIdx) {
  if (val >= values[0]) return;
  values[0] = val;
  indices[0] = valIdx;
  std::size_t cur = 0;
  for (;;) {
    const std::size_t l = 2 * cur + 1, r = l + 1;
    std::size_t sw;
    if (l >= size) {
      break;
    } else if (r >= size) {
      if (values[l] > val) sw = l;
      else break;
    } else if (values[l] >= values[r]) {
      if (val < values[l]) sw = l;
      else break;
    } else {
      if (val < values[r]) sw = r;
      else break;
    }
    values[cur] = values[sw];
    indices[cur] = indices[sw];
    cur = sw;
  }
  values[cur] = val;
  indices[cur] = valIdx;
}

// Heaps of `cap` entries for `rows` rows, initialised as sklearn does (DBL_MAX / inf).
struct HeapSet {
  std::size_t cap;
  std::vector<double> d;
  std::vector<std::int64_t> j;
  HeapSet(std::size_t rows, std::size_t c, double init) : cap(c), d(rows * c, init), j(rows * c, -1) {}
  double* dist(std::size_t row) { return &d[row * cap]; }
  std::int64_t* idx(std::size_t row) { return &j[row * cap]; }
};

// sklearn's euclidean_rdist64: the squared distance summed in feature order.
DSE_NO_CONTRACT_FN inline double rdist(const double* x1, const double* x2, std::size_t d) {
  DSE_NO_CONTRACT
  double s = 0;
  for (std::size_t t = 0; t < d; ++t) {
    const double u = x1[t] - x2[t];
    s += u * u;
  }
  return s;
}

// sklearn's KDTree (leaf_size 30), reproduced: the same node layout (n_levels, the array
// heap of nodes), split dimension (first of largest spread), partition (libstdc++'s nth_element,
// select.h, with sklearn's IndexComparator on int64 indices), node bounds, min_rdist, and depth-first
// query order; the pushes reach the heap in sklearn's order.
class SkKdTree {
 public:
  SkKdTree(const double* Y, std::size_t n, std::size_t d) : Y_(Y), d_(d), idx_(n) {
    for (std::size_t i = 0; i < n; ++i) idx_[i] = static_cast<std::int64_t>(i);
    const double leafSize = 30;
    const int nLevels = static_cast<int>(std::log2(std::max(1.0, static_cast<double>(n - 1) / leafSize)) + 1);
    nNodes_ = (std::size_t{1} << nLevels) - 1;
    nodes_.resize(nNodes_);
    lo_.resize(nNodes_ * d_);
    hi_.resize(nNodes_ * d_);
    build(0, 0, n);
  }

  void query(std::size_t q, double* hd, std::int64_t* hj, std::size_t cap) const {
    const double* pt = Y_ + q * d_;
    visit(0, pt, hd, hj, cap, minRdist(0, pt));
  }

 private:
  struct Node {
    std::size_t start = 0, end = 0;
    bool leaf = true;
  };

  void build(std::size_t node, std::size_t start, std::size_t end) {
    Node& nd = nodes_[node];
    nd.start = start;
    nd.end = end;
    double* lo = &lo_[node * d_];
    double* hi = &hi_[node * d_];
    for (std::size_t t = 0; t < d_; ++t) {
      lo[t] = std::numeric_limits<double>::infinity();
      hi[t] = -std::numeric_limits<double>::infinity();
    }
    for (std::size_t p = start; p < end; ++p) {
      const double* row = Y_ + static_cast<std::size_t>(idx_[p]) * d_;
      for (std::size_t t = 0; t < d_; ++t) {
        lo[t] = std::fmin(lo[t], row[t]);
        hi[t] = std::fmax(hi[t], row[t]);
      }
    }
    const std::size_t nPoints = end - start;
    if (2 * node + 1 >= nNodes_ || nPoints < 2) {
      nd.leaf = true;
      return;
    }
    nd.leaf = false;
    // find_node_split_dim
    std::size_t jMax = 0;
    double maxSpread = 0;
    for (std::size_t t = 0; t < d_; ++t) {
      double mx = Y_[static_cast<std::size_t>(idx_[start]) * d_ + t], mn = mx;
      for (std::size_t p = start + 1; p < end; ++p) {
        const double v = Y_[static_cast<std::size_t>(idx_[p]) * d_ + t];
        mx = std::fmax(mx, v);
        mn = std::fmin(mn, v);
      }
      const double spread = mx - mn;
      if (spread > maxSpread) {
        maxSpread = spread;
        jMax = t;
      }
    }
    // partition_node_indices
    const std::size_t nMid = nPoints / 2;
    const double* data = Y_;
    const std::size_t nf = d_;
    select::nthElement(idx_.begin() + static_cast<Index>(start), idx_.begin() + static_cast<Index>(start + nMid),
                       idx_.begin() + static_cast<Index>(end),
                       [data, nf, jMax](const std::int64_t& a, const std::int64_t& b) {
                         const double av = data[static_cast<std::size_t>(a) * nf + jMax];
                         const double bv = data[static_cast<std::size_t>(b) * nf + jMax];
                         return av == bv ? a < b : av < bv;
                       });
    build(2 * node + 1, start, start + nMid);
    build(2 * node + 2, start + nMid, end);
  }

  DSE_NO_CONTRACT_FN double minRdist(std::size_t node, const double* pt) const {
    DSE_NO_CONTRACT
    const double* lo = &lo_[node * d_];
    const double* hi = &hi_[node * d_];
    double r = 0.0;
    for (std::size_t t = 0; t < d_; ++t) {
      const double dLo = lo[t] - pt[t];
      const double dHi = pt[t] - hi[t];
      const double dd = (dLo + std::fabs(dLo)) + (dHi + std::fabs(dHi));
      const double h = 0.5 * dd;
      r += h * h;  // pow(0.5 * d, 2)
    }
    return r;
  }

  void visit(std::size_t node, const double* pt, double* hd, std::int64_t* hj, std::size_t cap, double lb) const {
    const Node& nd = nodes_[node];
    if (lb > hd[0]) return;
    if (nd.leaf) {
      for (std::size_t p = nd.start; p < nd.end; ++p) {
        const std::int64_t j = idx_[p];
        heapPush(hd, hj, cap, rdist(pt, Y_ + static_cast<std::size_t>(j) * d_, d_), j);
      }
      return;
    }
    const std::size_t i1 = 2 * node + 1, i2 = i1 + 1;
    const double lb1 = minRdist(i1, pt), lb2 = minRdist(i2, pt);
    if (lb1 <= lb2) {
      visit(i1, pt, hd, hj, cap, lb1);
      visit(i2, pt, hd, hj, cap, lb2);
    } else {
      visit(i2, pt, hd, hj, cap, lb2);
      visit(i1, pt, hd, hj, cap, lb1);
    }
  }

  const double* Y_;
  std::size_t d_;
  std::size_t nNodes_ = 0;
  std::vector<std::int64_t> idx_;
  std::vector<Node> nodes_;
  std::vector<double> lo_, hi_;
};

double sqNorm(const double* x, std::size_t d) {
#ifdef DSE_HAVE_LAPACK
  const int id = static_cast<int>(d), one = 1;
  return blas::dot(&id, x, &one, x, &one);  // as sklearn's _sqeuclidean_row_norms64 (BLAS ddot)
#else
  using Vec = Eigen::Matrix<double, Eigen::Dynamic, 1>;
  const Eigen::Map<const Vec> v(x, static_cast<Index>(d));
  return v.squaredNorm();
#endif
}

// The number of OpenMP threads sklearn's pairwise-distance reductions use by default
// (sklearn.utils._openmp_helpers._openmp_effective_n_threads): OMP_NUM_THREADS when set,
// else the number of physical cores (at most the logical CPUs).
std::size_t sklearnThreads() {
  static const std::size_t cached = [] {
    if (const char* e = std::getenv("OMP_NUM_THREADS")) {
      const long v = std::strtol(e, nullptr, 10);
      if (v > 0) return static_cast<std::size_t>(v);
    }
    const std::size_t logical = std::max(1u, std::thread::hardware_concurrency());
    std::size_t physical = 0;
#ifdef __linux__
    std::vector<std::pair<long, long>> cores;
    for (int cpu = 0, misses = 0; cpu < 4096 && misses < 64; ++cpu) {
      const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
      long pkg = -1, core = -1;
      if (FILE* f = std::fopen((dir + "physical_package_id").c_str(), "r")) {
        if (std::fscanf(f, "%ld", &pkg) != 1) pkg = -1;
        std::fclose(f);
      }
      if (FILE* f = std::fopen((dir + "core_id").c_str(), "r")) {
        if (std::fscanf(f, "%ld", &core) != 1) core = -1;
        std::fclose(f);
      }
      if (core < 0) {
        ++misses;
        continue;
      }
      misses = 0;
      if (std::find(cores.begin(), cores.end(), std::make_pair(pkg, core)) == cores.end())
        cores.emplace_back(pkg, core);
    }
    physical = cores.size();
#endif
    return physical == 0 ? logical : std::min(logical, physical);
  }();
  return cached;
}

}  // namespace

// nbr[i*nn .. i*nn+nn) = the nn neighbours of row i (in no particular order).
void nearestNeighbors(const double* Y, std::size_t n, std::size_t d, std::size_t nn, std::vector<int>& nbr,
                      CancelFlag cancel) {
  // sklearn's algorithm='auto': brute force when d > 15 or nn >= n // 2, else a KD-tree.
  const bool brute = d > 15 || nn >= n / 2;
  nbr.assign(n * nn, 0);

  if (!brute) {
    SkKdTree tree(Y, n, d);
    const unsigned nt = n >= 1000 ? maxThreads() : 1u;
    constexpr std::size_t kRows = 256;
    parallelFor(nt, (n + kRows - 1) / kRows, 1, [&](std::size_t c, std::size_t worker) {
      if (worker == 0) checkpoint(cancel);  // polled on the calling thread only
      const std::size_t i0 = c * kRows, i1 = std::min(n, i0 + kRows);
      std::vector<double> hd(nn);
      std::vector<std::int64_t> hj(nn);
      for (std::size_t i = i0; i < i1; ++i) {
        std::fill(hd.begin(), hd.end(), std::numeric_limits<double>::infinity());
        std::fill(hj.begin(), hj.end(), std::int64_t{0});
        tree.query(i, hd.data(), hj.data(), nn);
        for (std::size_t t = 0; t < nn; ++t) nbr[i * nn + t] = static_cast<int>(hj[t]);
      }
    });
    return;
  }

  // Brute force, as sklearn's EuclideanArgKmin64: d_ij = max(0, (|x_i|^2 + (-2 x_i.x_j)) +
  // |x_j|^2) with the middle term from a GEMM; candidates j pushed in increasing order
  // (its 'parallel_on_X' strategy), or, for n <= 4 * 256 * threads (its 'parallel_on_Y'
  // strategy, with sklearnThreads() OpenMP threads), into one heap per thread, each thread
  // owning a static share of the 256-column chunks, merged in thread order.
  const std::size_t chunk = 256;
  const std::size_t ompThreads = sklearnThreads();
  const std::size_t yChunks = (n + chunk - 1) / chunk;
  const bool onY = !(4 * chunk * ompThreads < n);
  const std::size_t nHeaps = onY ? std::min(yChunks, ompThreads) : 1;
  std::vector<std::size_t> owner(n, 0);  // heap (thread) receiving candidate column j
  if (onY) {
    const std::size_t q = yChunks / nHeaps, r = yChunks % nHeaps;  // OpenMP static schedule
    std::size_t c0 = 0;
    for (std::size_t t = 0; t < nHeaps; ++t) {
      const std::size_t cnt = q + (t < r ? 1 : 0);
      for (std::size_t c = c0; c < c0 + cnt; ++c)
        for (std::size_t j = c * chunk; j < std::min(n, (c + 1) * chunk); ++j) owner[j] = t;
      c0 += cnt;
    }
  }
  std::vector<HeapSet> heaps;
  for (std::size_t t = 0; t < nHeaps; ++t)
    heaps.emplace_back(n, nn, onY ? std::numeric_limits<double>::max() : std::numeric_limits<double>::infinity());

  std::vector<double> nrm(n);
  for (std::size_t i = 0; i < n; ++i) nrm[i] = sqNorm(Y + i * d, d);

    // Tiles of rows I x columns J with J0 >= I0 cover the pairs j >= i once; the pushes for
    // (i, j) and (j, i) both come from G_ij. Row r receives its candidates in increasing order:
    // i < r from earlier tiles/rows, then itself and j > r from its own row. The GEMMs of a
    // group of tiles are computed first (in parallel with Eigen's single-threaded GEMM; in
    // sequence with OpenBLAS, which threads each call), then the pushes run in order.
#ifdef DSE_HAVE_LAPACK
  const unsigned ntb = 1;
#else
  const unsigned ntb = n >= 1000 ? maxThreads() : 1u;
#endif
  const std::size_t bs = std::min<std::size_t>(n, 512);
  const std::size_t group = 2 * static_cast<std::size_t>(ntb);
  std::vector<std::vector<double>> G(group, std::vector<double>(bs * bs));
  std::vector<double> top(n * nHeaps);  // mirrors each heap's root, for a fast reject
  for (std::size_t t = 0; t < nHeaps; ++t)
    for (std::size_t i = 0; i < n; ++i) top[i * nHeaps + t] = heaps[t].d[i * nn];
  for (std::size_t I0 = 0; I0 < n; I0 += bs) {
    const std::size_t bi = std::min(bs, n - I0);
    for (std::size_t Jg = I0; Jg < n; Jg += group * bs) {
      checkpoint(cancel);
      const std::size_t nTiles = std::min(group, (n - Jg + bs - 1) / bs);
      parallelFor(ntb, nTiles, 1, [&](std::size_t t, std::size_t) {
        const std::size_t J0 = Jg + t * bs, bj = std::min(bs, n - J0);
        // G (bj x bi, column-major) = -2 Y_J Y_I^T: column a: row I0+a against J0...
        gemm(true, false, bj, bi, d, -2.0, Y + J0 * d, d, Y + I0 * d, d, 0.0, G[t].data(), bj);
      });
      for (std::size_t t = 0; t < nTiles; ++t) {
        const std::size_t J0 = Jg + t * bs, bj = std::min(bs, n - J0);
        for (std::size_t a = 0; a < bi; ++a) {
          const std::size_t i = I0 + a;
          const double ni = nrm[i];
          const double* g = &G[t][a * bj];
          const std::size_t b0 = i >= J0 ? i - J0 : 0;
          if (nHeaps == 1) {  // the common case, without the heap-owner lookups
            HeapSet& h = heaps[0];
            double topI = top[i];
            for (std::size_t b = b0; b < bj; ++b) {
              const std::size_t j = J0 + b;
              const double nj = nrm[j];
              const double dij = std::max(0.0, (ni + g[b]) + nj);
              if (dij < topI) {
                heapPush(h.dist(i), h.idx(i), nn, dij, static_cast<std::int64_t>(j));
                topI = h.d[i * nn];
              }
              const double dji = std::max(0.0, (nj + g[b]) + ni);
              if (dji < top[j] && j != i) {
                heapPush(h.dist(j), h.idx(j), nn, dji, static_cast<std::int64_t>(i));
                top[j] = h.d[j * nn];
              }
            }
            top[i] = topI;
            continue;
          }
          // Candidate c (at squared distance dist) for row r, into the heap that owns c.
          auto push = [&](std::size_t r, std::size_t c, double dist) {
            const std::size_t o = owner[c];
            if (dist < top[r * nHeaps + o]) {
              HeapSet& h = heaps[o];
              heapPush(h.dist(r), h.idx(r), nn, dist, static_cast<std::int64_t>(c));
              top[r * nHeaps + o] = h.d[r * nn];
            }
          };
          for (std::size_t b = b0; b < bj; ++b) {
            const std::size_t j = J0 + b;
            const double nj = nrm[j];
            push(i, j, std::max(0.0, (ni + g[b]) + nj));
            if (j != i) push(j, i, std::max(0.0, (nj + g[b]) + ni));
          }
        }
      }
    }
  }
  // Merge (parallel_on_Y): the per-thread heaps, in thread order and heap-array order.
  std::vector<double> fd(nn);
  std::vector<std::int64_t> fj(nn);
  for (std::size_t i = 0; i < n; ++i) {
    if (nHeaps == 1) {
      for (std::size_t t = 0; t < nn; ++t) nbr[i * nn + t] = static_cast<int>(heaps[0].j[i * nn + t]);
      continue;
    }
    std::fill(fd.begin(), fd.end(), std::numeric_limits<double>::max());
    std::fill(fj.begin(), fj.end(), std::int64_t{-1});
    for (std::size_t t = 0; t < nHeaps; ++t)
      for (std::size_t s2 = 0; s2 < nn; ++s2)
        heapPush(fd.data(), fj.data(), nn, heaps[t].d[i * nn + s2], heaps[t].j[i * nn + s2]);
    for (std::size_t t = 0; t < nn; ++t) nbr[i * nn + t] = static_cast<int>(fj[t]);
  }
}

}  // namespace cluster
}  // namespace dse
