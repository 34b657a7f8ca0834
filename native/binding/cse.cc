// SPDX-License-Identifier: MIT
// binnedRowCounts / binnedRowCountsAsync / binnedRowCountsBytes: native/core/cse.h.
//   binnedRowCounts(X, rows, cols, subsets: Int32Array[] | null, bins) -> Float64Array[]
//   binnedRowCountsAsync(X, rows, cols, subsets, bins, cancelFlag?) -> Promise<Float64Array[]>
//   binnedRowCountsBytes(m, cols) -> number
#include <memory>

#include "../core/cse.h"
#include "bindings.h"
#include "common.h"
#include "worker.h"

namespace dse {
namespace binding {

namespace {

struct CseJob {
  InputMatrix X;
  std::vector<std::vector<std::int32_t>> indices;  // owns what subsets point into
  std::vector<Subset> subsets;
  std::size_t bins = 2;
  std::vector<std::vector<double>> results;
};

std::shared_ptr<CseJob> parseJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_shared<CseJob>();
  job->X = matrixView(env, info[0], info[1], info[2]);
  job->subsets = subsetList<Subset>(env, info[3], job->X.rows, job->indices);
  job->bins = sizeArg(env, info[4], "bins");
  if (job->bins < 1) throwError(env, "ERR_DSE_OPTION", "native: bins must be >= 1");
  return job;
}

Napi::Value BinnedRowCounts(const Napi::CallbackInfo& info) {
  auto job = parseJob(info);
  runOrThrow(info.Env(), [&] { job->results = binnedRowCounts(job->X, job->subsets, job->bins, nullptr); });
  return float64Arrays(info.Env(), job->results);
}

Napi::Value BinnedRowCountsAsync(const Napi::CallbackInfo& info) {
  auto job = parseJob(info);
  return TaskWorker::Start(
      info.Env(), info[5], Napi::Value(),
      [job](const TaskContext& ctx) { job->results = binnedRowCounts(job->X, job->subsets, job->bins, ctx.cancel); },
      [job](Napi::Env env) { return float64Arrays(env, job->results); }, info[0]);
}

Napi::Value BinnedRowCountsBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Napi::Number::New(env, estimateBinnedRowCountsBytes(sizeArg(env, info[0], "m"), sizeArg(env, info[1], "cols")));
}

}  // namespace

void registerCse(Napi::Env env, Napi::Object exports) {
  exports.Set("binnedRowCounts", Napi::Function::New(env, BinnedRowCounts, "binnedRowCounts"));
  exports.Set("binnedRowCountsAsync", Napi::Function::New(env, BinnedRowCountsAsync, "binnedRowCountsAsync"));
  exports.Set("binnedRowCountsBytes", Napi::Function::New(env, BinnedRowCountsBytes, "binnedRowCountsBytes"));
}

}  // namespace binding
}  // namespace dse
