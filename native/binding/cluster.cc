// SPDX-License-Identifier: MIT
// spectralClustering / spectralClusteringAsync / clusterBytes: native/core/cluster.h.
//   Y as X, subsets null, opts = { nClusters, nNeighbors } (operation.h) -> Int32Array of labels
#include "../core/cluster.h"
#include "../core/linalg.h"
#include "../core/spectra.h"
#include "bindings.h"
#include "operation.h"

namespace dse {
namespace binding {

struct Cluster {
  struct Request {
    std::size_t k = 0, neighbours = 0;
  };
  using Result = std::vector<int>;

  static void parse(Napi::Env env, const BatchArgs& args, Request& r) {
    r.k = sizeArg(env, args.options.Get("nClusters"), "nClusters");
    r.neighbours = sizeArg(env, args.options.Get("nNeighbors"), "nNeighbors");
  }

  static Estimate bytes(const BatchArgs& args, const Request& request) {
    const ClusteringBytes b = estimateSpectralClusteringBytes(args.X.rows, args.X.cols, request.k, request.neighbours);
    return {b.bytes, b.dense};
  }

  static void run(const BatchArgs& args, const Request& request, Result& out, const Control& control) {
    ComputeLock lock(control.cancel);
    const InputMatrix& view = args.X;
    // An owned float64 copy: the solver reads Y many times.
    std::vector<double> Y(view.rows * view.cols);
    if (view.isFloat32) std::copy_n(static_cast<const float*>(view.data), Y.size(), Y.begin());
    else std::copy_n(static_cast<const double*>(view.data), Y.size(), Y.begin());
    out.resize(view.rows);
    // The budget, not threadsNow: OpenBLAS's thread count changes the last bits of the embedding,
    // and cluster_qr's argmax can turn those into another partition where clusters are ambiguous.
    linalg::BlasThreadsScope threads(static_cast<int>(concurrency()));
    spectralClustering(Y.data(), view.rows, view.cols, request.k, request.neighbours, out.data(), control.cancel);
  }

  static Napi::Value result(Napi::Env env, const Result& labels) {
    auto out = Napi::Int32Array::New(env, labels.size());
    std::copy(labels.begin(), labels.end(), out.Data());
    return out;
  }
};

void registerCluster(Napi::Env env, Napi::Object exports) {
  registerOperation<Cluster>(env, exports, "spectralClustering", "clusterBytes");
}

}  // namespace binding
}  // namespace dse
