// SPDX-License-Identifier: MIT
// The stages of spectral clustering that cluster.cc (the affinity, the eigensolvers and the
// driver) hands to files of their own: the neighbour search (cluster_knn.cc) and cluster_qr
// (cluster_qr.cc). See cluster.h for the steps.
#pragma once

#include <cstddef>
#include <vector>

#include "cancel.h"

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
namespace cluster {

// nbr[i*nn .. i*nn+nn) = the nn nearest rows of row i of the row-major n x d Y, itself included
// (in no particular order), as scikit-learn's kneighbors_graph(Y, nn, include_self=True) finds them.
void nearestNeighbors(const double* Y, std::size_t n, std::size_t d, std::size_t nn, std::vector<int>& nbr,
                      CancelFlag cancel);

// cluster_qr on the embedding (row-major n x k): labels[n].
void clusterQr(const std::vector<double>& emb, std::size_t n, std::size_t k, int* labels);

}  // namespace cluster
}  // namespace dse
