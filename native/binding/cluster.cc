// SPDX-License-Identifier: MIT
// spectralClustering / spectralClusteringAsync: native/core/cluster.h.
//   spectralClustering(Y, rows, cols, nClusters, nNeighbors) -> Int32Array
//   spectralClusteringAsync(Y, rows, cols, nClusters, nNeighbors, cancelFlag?) -> Promise<Int32Array>
//   clusterBytes(rows, cols, nClusters, nNeighbors) -> { bytes, dense } (the memory guard's estimate)
#include <memory>
#include <vector>

#include "../core/cluster.h"
#include "../core/linalg.h"
#include "../core/spectra.h"
#include "../core/threads.h"
#include "bindings.h"
#include "common.h"
#include "worker.h"

namespace dse {
namespace binding {

namespace {

struct ClusterJob {
  std::vector<double> Y;  // always an owned float64 copy: the solver reads it many times
  std::size_t n = 0, d = 0, k = 0, neighbours = 0;
  std::vector<int> labels;
};

std::shared_ptr<ClusterJob> parseJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const InputMatrix view = matrixView(env, info[0], info[1], info[2]);
  auto job = std::make_shared<ClusterJob>();
  job->n = view.rows;
  job->d = view.cols;
  job->k = sizeArg(env, info[3], "nClusters");
  job->neighbours = sizeArg(env, info[4], "nNeighbors");
  job->Y.resize(view.rows * view.cols);
  if (view.isFloat32) {
    const float* src = static_cast<const float*>(view.data);
    for (std::size_t i = 0; i < job->Y.size(); ++i) job->Y[i] = src[i];
  } else {
    const double* src = static_cast<const double*>(view.data);
    std::copy(src, src + job->Y.size(), job->Y.begin());
  }
  job->labels.resize(view.rows);
  return job;
}

void run(ClusterJob& job, const std::atomic<std::int32_t>* cancel) {
  ComputeLock lock(cancel);
  // The budget, not threadsNow: OpenBLAS's thread count changes the last bits of the embedding,
  // and cluster_qr's argmax can turn those into another partition where clusters are ambiguous.
  linalg::BlasThreadsScope threads(static_cast<int>(concurrency()));
  spectralClustering(job.Y.data(), job.n, job.d, job.k, job.neighbours, job.labels.data(), cancel);
}

Napi::Value toJs(Napi::Env env, const ClusterJob& job) {
  auto out = Napi::Int32Array::New(env, job.labels.size());
  std::copy(job.labels.begin(), job.labels.end(), out.Data());
  return out;
}

Napi::Value SpectralClustering(const Napi::CallbackInfo& info) {
  auto job = parseJob(info);
  runOrThrow(info.Env(), [&] { run(*job, nullptr); });
  return toJs(info.Env(), *job);
}

Napi::Value SpectralClusteringAsync(const Napi::CallbackInfo& info) {
  auto job = parseJob(info);
  return TaskWorker::Start(
      info.Env(), info[5], Napi::Value(),
      [job](const TaskContext& ctx) { run(*job, ctx.cancel); },
      [job](Napi::Env env) { return toJs(env, *job); });
}

Napi::Value ClusterBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ClusteringBytes b =
      estimateSpectralClusteringBytes(sizeArg(env, info[0], "rows"), sizeArg(env, info[1], "cols"),
                                      sizeArg(env, info[2], "nClusters"), sizeArg(env, info[3], "nNeighbors"));
  Napi::Object out = Napi::Object::New(env);
  out.Set("bytes", Napi::Number::New(env, b.bytes));
  out.Set("dense", Napi::Boolean::New(env, b.dense));
  return out;
}

}  // namespace

void registerCluster(Napi::Env env, Napi::Object exports) {
  exports.Set("spectralClustering", Napi::Function::New(env, SpectralClustering, "spectralClustering"));
  exports.Set("spectralClusteringAsync", Napi::Function::New(env, SpectralClusteringAsync, "spectralClusteringAsync"));
  exports.Set("clusterBytes", Napi::Function::New(env, ClusterBytes, "clusterBytes"));
}

}  // namespace binding
}  // namespace dse
