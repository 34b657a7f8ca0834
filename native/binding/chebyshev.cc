// SPDX-License-Identifier: MIT
// chebyshevMoments / chebyshevMomentsAsync / chebyshevBytes: native/core/chebyshev.h.
//   chebyshevMoments(X, rows, cols, subsets: Int32Array[] | null, opts) -> Float64Array[]
//   chebyshevMomentsAsync(X, rows, cols, subsets, opts, cancelFlag?, onProgress?) -> Promise<Float64Array[]>
//   chebyshevBytes(m, cols, probes) -> number (peak working bytes for a largest subset of m rows)
//   opts = { sigma, moments, probes, threshold, seedHi, seedLo (the seed's two 32-bit halves), maxThreads? }
#include <memory>
#include <vector>

#include "../core/chebyshev.h"
#include "../core/spectra.h"  // ComputeLock
#include "bindings.h"
#include "common.h"
#include "worker.h"

namespace dse {
namespace binding {

namespace {

struct ChebyshevJob {
  InputMatrix X;
  std::vector<std::vector<std::int32_t>> indices;  // owns what subsets point into
  std::vector<Subset> subsets;
  ChebyshevSpec spec;
  std::size_t maxThreads = 0;
  std::vector<std::vector<double>> results;
};

std::uint32_t word(Napi::Env env, const Napi::Value& v, const char* what) {
  const std::size_t w = sizeArg(env, v, what);
  if (w > 0xffffffffULL) throwError(env, "ERR_DSE_OPTION", std::string("native: ") + what + " must fit in 32 bits");
  return static_cast<std::uint32_t>(w);
}

std::shared_ptr<ChebyshevJob> parseJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_shared<ChebyshevJob>();
  job->X = matrixView(env, info[0], info[1], info[2]);
  job->subsets = subsetList<Subset>(env, info[3], job->X.rows, job->indices);
  auto o = optionsArg(env, info[4]);
  job->spec.sigma = numberArg(env, o.Get("sigma"), "sigma");
  if (!(job->spec.sigma > 0)) throwError(env, "ERR_DSE_OPTION", "native: sigma must be > 0");
  job->spec.moments = sizeArg(env, o.Get("moments"), "moments");
  job->spec.probes = sizeArg(env, o.Get("probes"), "probes");
  if (job->spec.moments < 1 || job->spec.probes < 1)
    throwError(env, "ERR_DSE_OPTION", "native: moments and probes must be >= 1");
  job->spec.threshold = numberArg(env, o.Get("threshold"), "threshold");
  job->spec.seed = (static_cast<std::uint64_t>(word(env, o.Get("seedHi"), "seedHi")) << 32) |
                   word(env, o.Get("seedLo"), "seedLo");
  job->maxThreads = maxThreadsArg(env, o);
  return job;
}

void run(ChebyshevJob& job, const TaskContext* ctx) {
  Control control;
  control.maxThreads = job.maxThreads;
  if (ctx) {
    control.cancel = ctx->cancel;
    control.progress = ctx->progress;
  }
  ComputeLock lock(control.cancel);
  job.results = runChebyshev(job.X, job.subsets, job.spec, control);
}

Napi::Value ChebyshevMoments(const Napi::CallbackInfo& info) {
  auto job = parseJob(info);
  runOrThrow(info.Env(), [&] { run(*job, nullptr); });
  return float64Arrays(info.Env(), job->results);
}

Napi::Value ChebyshevMomentsAsync(const Napi::CallbackInfo& info) {
  auto job = parseJob(info);
  return TaskWorker::Start(
      info.Env(), info[5], info[6], [job](const TaskContext& ctx) { run(*job, &ctx); },
      [job](Napi::Env env) { return float64Arrays(env, job->results); }, info[0]);
}

Napi::Value ChebyshevBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::size_t m = sizeArg(env, info[0], "m");
  const std::size_t cols = sizeArg(env, info[1], "cols");
  const std::size_t probes = sizeArg(env, info[2], "probes");
  return Napi::Number::New(env, estimateChebyshevBytes(m, cols, probes));
}

}  // namespace

void registerChebyshev(Napi::Env env, Napi::Object exports) {
  exports.Set("chebyshevMoments", Napi::Function::New(env, ChebyshevMoments, "chebyshevMoments"));
  exports.Set("chebyshevMomentsAsync", Napi::Function::New(env, ChebyshevMomentsAsync, "chebyshevMomentsAsync"));
  exports.Set("chebyshevBytes", Napi::Function::New(env, ChebyshevBytes, "chebyshevBytes"));
}

}  // namespace binding
}  // namespace dse
