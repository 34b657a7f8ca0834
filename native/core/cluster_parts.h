// SPDX-License-Identifier: MIT
// The stages of spectral clustering (cluster.h) that the driver (cluster.cc) composes: the
// normalised affinity (cluster_affinity.cc) and the eigensolvers of the embedding
// (cluster_eigen.cc); the neighbour search and cluster_qr are declared in cluster.h.
#pragma once

#include <cstddef>
#include <vector>

#include "blas.h"
#include "cluster.h"
#include "random.h"

namespace dse {
namespace cluster {

using Index = std::ptrdiff_t;
using Rng = random::SplitMix64;

// Cost model of the eigensolver choice (see spectralClustering): the LDL^T factor is not
// considered beyond kSiMaxFillPerRow nonzeros per row; factorisation flops weigh
// kSiFactorWeight work units; shift-invert is assumed to need kSiRestarts restarts; it is
// chosen up front when it costs at most kSiDirectRestarts restarts of a block Krylov iteration
// on M (the unit of work here), and the Chebyshev-filtered iteration hands over when its
// predicted remaining work exceeds kSiSwitchMargin times shift-invert's.
constexpr double kSiMaxFillPerRow = 400;
constexpr double kSiFactorWeight = 3;
constexpr double kSiRestarts = 9;
constexpr double kSiDirectRestarts = 3;
constexpr double kSiSwitchMargin = 1.3;
// Nor is a factorisation costing more flops than this (it cannot be cancelled midway).
constexpr double kSiMaxFlops = 5e10;
// Up to this n the eigenvectors come from a dense symmetric eigensolver.
constexpr std::size_t kDenseMaxN = 200;

// ------------------------------------------------------------------------------------------
// Dense products (blas.h), column-major: gemm by the BLAS when there is one (the large distance
// products), gemmEigen single-threaded for the small ones (one column against a basis, k x k
// matrices), where waking OpenBLAS's worker threads costs more than the product.
using GemmFn = void (*)(bool, bool, std::size_t, std::size_t, std::size_t, double, const double*, std::size_t,
                        const double*, std::size_t, double, double*, std::size_t);
constexpr GemmFn gemm = blas::gemm<double>;
constexpr GemmFn gemmEigen = blas::eigenGemm<double>;

// The `nev` largest eigenvalues (descending) of the symmetric column-major n x n A (lower
// triangle used, destroyed) into w, their eigenvectors as the columns of Z (n x nev): LAPACK's
// dsyevr, or Eigen's solver (cluster_eigen.cc).
void symTop(double* A, Index n, Index nev, std::vector<double>& w, std::vector<double>& Z);

// ------------------------------------------------------------------------------------------
// Normalised affinity M = D^-1/2 S_offdiag D^-1/2 (CSR, symmetric pattern) and dd
// (cluster_affinity.cc).

// ------------------------------------------------------------------------------------------
// Normalised affinity M = D^-1/2 S_offdiag D^-1/2 (CSR, symmetric pattern) and dd.

struct Csr {
  std::size_t n = 0;
  std::vector<std::size_t> ptr;
  std::vector<int> col;
  std::vector<double> val;
};

// M and dd = sqrt(degree) (1 for isolated nodes) from the neighbour lists nbr (n x nn); sval
// gets S's values in M's pattern.
void buildAffinity(const std::vector<int>& nbr, std::size_t n, std::size_t nn, Csr& M, std::vector<double>& dd,
                   std::vector<double>& sval);

// The connected component of each node (numbered in order of their first node) into comp;
// returns their number.
std::size_t componentLabels(const Csr& M, std::vector<int>& comp);

// Y = M X for a column-major block X (n x b); xr, yr are scratch (n*b).
void spmm(const Csr& M, const double* X, double* Yout, Index b, std::vector<double>& xr, std::vector<double>& yr);

// ------------------------------------------------------------------------------------------
// The eigensolvers of the embedding (cluster_eigen.cc).

double dot(const double* a, const double* b, std::size_t n);

// Orthonormalise the block Z (n x bz, column-major) against the first m columns of V
// (orthonormal) and within itself. `pre` = V^T Z already computed (m x bz) or null. Columns
// that vanish (Z nearly in span V) are replaced by random directions.
void orthonormalize(const double* V, Index n, Index m, double* Z, Index bz, const double* pre, Rng& rng,
                    GemmFn mm = blas::gemm<double>);

// Vector-block sizes of the embedding's eigensolvers for k wanted eigenvectors of a graph with
// `comps` connected components, and whether the dense solver runs instead.
struct EmbeddingSizes {
  Index block;  // >= the multiplicity of the eigenvalue 1 of M (one per connected component)
                // when those eigenvectors are all wanted, so that the block methods resolve them
  Index p;      // vectors kept: the Chebyshev block, the Ritz vectors kept at a shift-invert restart
  Index mmaxM;  // basis of a block Krylov iteration on M: the cost model's unit of work
  Index mmaxS;  // basis of the shift-invert iteration
  bool dense;   // n small next to the blocks (or <= kDenseMaxN): a dense eigensolver instead
};

EmbeddingSizes embeddingSizes(std::size_t n, std::size_t k, std::size_t comps);

// The k eigenvectors of M's largest eigenvalues into E (n x k, column-major), M the normalised
// affinity of a graph with `comps` connected components: the dense solver when n is small next
// to the blocks, else the iterative solvers.
void topEigs(const Csr& M, std::size_t k, std::size_t comps, std::vector<double>& E, CancelFlag cancel);

}  // namespace cluster
}  // namespace dse
