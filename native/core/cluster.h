// SPDX-License-Identifier: MIT
// Spectral clustering exactly as scikit-learn computes
//   SpectralClustering(n_clusters=k, affinity='nearest_neighbors', n_neighbors=nNeighbors,
//                      assign_labels='cluster_qr', random_state=0).fit_predict(Y)
// for a dense float64 matrix. Two back ends: OpenBLAS/LAPACK (DSE_HAVE_LAPACK) and Eigen only;
// both give the same partition.
#pragma once

#include <cstddef>
#include <exception>

#include <vector>

#include "cancel.h"  // dse::Cancelled
#include "linalg.h"  // dse::NumericError

// Floating-point operations that must be evaluated exactly as written (no fused multiply-add), to
// reproduce sklearn's distances and LAPACK's norms bit for bit.
#if defined(__clang__)
#define DSE_NO_CONTRACT _Pragma("clang fp contract(off)")
#define DSE_NO_CONTRACT_FN
#elif defined(__GNUC__)
#define DSE_NO_CONTRACT
#define DSE_NO_CONTRACT_FN __attribute__((optimize("fp-contract=off")))
#else
#define DSE_NO_CONTRACT
#define DSE_NO_CONTRACT_FN
#endif

namespace dse {

// Labels 0..k-1 into labels[n] (int32), as scikit-learn's SpectralClustering(n_clusters=k,
// affinity='nearest_neighbors', n_neighbors=nNeighbors, assign_labels='cluster_qr') gives them
// (the partition; label numbering as sklearn's argmax gives). Y is row-major n x d.
//
// Steps (all as in scikit-learn 1.x / SciPy; see cluster.cc):
//  1. kneighbors_graph(Y, nNeighbors, include_self=True): the nNeighbors nearest rows of each
//     row among all n rows, itself included like any other row. As sklearn's
//     algorithm='auto': brute force when d > 15 or nNeighbors >= n / 2 (squared distances
//     |x|^2 - 2 x.y + |y|^2 from a GEMM, clamped at 0), else its KD-tree (exact distances);
//     exact ties are resolved as sklearn resolves them (same heap, same candidate order).
//  2. affinity S = 0.5 (A + A^T); degree w_i = sum_{j != i} S_ij (diagonal excluded, as
//     scipy.sparse.csgraph.laplacian); dd = sqrt(w) (1 for isolated nodes).
//  3. The k eigenvectors of the smallest eigenvalues of L = I - D^-1/2 S_offdiag D^-1/2
//     (= the k largest of M = D^-1/2 S_offdiag D^-1/2), divided by dd, sign-flipped. Only the
//     k-dimensional eigenspace matters (cluster_qr is invariant to rotations of it); it is
//     computed to residual 1e-12 by a dense solver (n <= 200), or by Chebyshev-filtered
//     subspace iteration on M or block Krylov on the shift-invert operator (L + 1e-5 I)^-1
//     (sparse LDL^T), whichever is predicted cheaper.
//  4. cluster_qr: QR with column pivoting of the embedding transposed (LAPACK dgeqp3, or an
//     emulation of it in the Eigen-only build), SVD of the k pivot rows, argmax of
//     |vectors (U V^T)| per row.
//
// Rows with identical affinity rows (copies of a point) and disconnected graphs take another
// route (cluster.cc, reducedTopEigs): the merged graph, one component at a time, the copies'
// null space in closed form. When lambda_k == lambda_{k+1} (e.g. more connected components than
// k, or fewer distinct rows than k) the eigenspace is not unique and sklearn's labels depend on
// ARPACK's arbitrary choice; ours take fixed pseudo-random directions in it. When equal-size connected
// components tie exactly in cluster_qr's pivot order, sklearn's label numbering is decided by
// rounding noise (the partition is still reproduced).
//
// Threads: the KD-tree queries (and, in the Eigen-only build, the distance GEMMs) run on up to
// min(hardware threads, 8) std::threads; the OpenBLAS calls use OpenBLAS's own threads.
//
// Throws std::invalid_argument for n < 2, d == 0, k == 0, k >= n (scikit-learn's ARPACK call
// fails for k >= n as well), nNeighbors == 0 or nNeighbors > n, or a non-finite entry;
// dse::NumericError on solver failure; dse::Cancelled when *cancel becomes non-zero (polled
// between stages and inside the long loops).
void spectralClustering(const double* Y, std::size_t n, std::size_t d, std::size_t k, std::size_t nNeighbors,
                        int* labels, CancelFlag cancel = nullptr);

// Peak working bytes of spectralClustering for n x d, k clusters and nNeighbors (and of the
// binding's float64 copy of Y), for the memory guard: a connected graph assumed. `dense`: the
// eigenvectors come from the dense solver, which holds two n x n matrices; otherwise no n x n
// matrix is ever held.
struct ClusteringBytes {
  double bytes;
  bool dense;
};
ClusteringBytes estimateSpectralClusteringBytes(std::size_t n, std::size_t d, std::size_t k, std::size_t nNeighbors);

// Stages in files of their own that the driver (cluster.cc) calls; the affinity and the eigensolvers
// are declared in cluster_parts.h.
namespace cluster {

// nbr[i*nn .. i*nn+nn) = the nn nearest rows of row i of the row-major n x d Y, itself included
// (in no particular order), as scikit-learn's kneighbors_graph(Y, nn, include_self=True) finds them.
void nearestNeighbors(const double* Y, std::size_t n, std::size_t d, std::size_t nn, std::vector<int>& nbr,
                      CancelFlag cancel);

// cluster_qr on the embedding (row-major n x k): labels[n].
void clusterQr(const std::vector<double>& emb, std::size_t n, std::size_t k, int* labels);

}  // namespace cluster

}  // namespace dse
