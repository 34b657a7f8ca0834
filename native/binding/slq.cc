// SPDX-License-Identifier: MIT
// slqEntropy / slqEntropyAsync / slqBytes / slqNormal: method 'slq' of native/core/slq.h.
//   slqEntropy(X, rows, cols, subsets: Int32Array[] | null, opts) -> Float64Array[]
//   slqEntropyAsync(X, rows, cols, subsets, opts, cancelFlag?, onProgress?) -> Promise<Float64Array[]>
//   slqBytes(X, rows, cols, subsets, opts) -> number (peak working bytes)
//   slqNormal(seedHi, seedLo, stream, index) -> number (the documented generator, for tests)
//   opts = { kind: 0 diffusion | 1 gaussian | 2 anisotropic, sigma, t, probes, steps, blockSize,
//            blockIterations, seedHi, seedLo (the seed's two 32-bit halves), maxThreads? }
// One Float64Array per subset: [value, standardError, probeError, quadratureError, deflated, n,
// kernelSeconds, deflationSeconds, lanczosSeconds, systematicError].
#include <cmath>
#include <memory>
#include <vector>

#include "../core/parallel.h"
#include "../core/slq.h"
#include "../core/spectra.h"  // ComputeLock
#include "bindings.h"
#include "common.h"
#include "worker.h"

namespace dse {
namespace binding {

namespace {

struct SlqJob {
  SlqRequest request;
  std::vector<std::vector<std::int32_t>> indices;  // owns what request.subsets points into
  std::size_t maxThreads = 0;
  std::vector<SlqEstimate> results;
};

std::uint32_t word(Napi::Env env, const Napi::Value& v, const char* what) {
  const std::size_t w = sizeArg(env, v, what);
  if (w > 0xffffffffULL) throwError(env, "ERR_DSE_OPTION", std::string("native: ") + what + " must fit in 32 bits");
  return static_cast<std::uint32_t>(w);
}

std::shared_ptr<SlqJob> parseJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_shared<SlqJob>();
  SlqRequest& r = job->request;
  r.X = matrixView(env, info[0], info[1], info[2]);
  r.subsets = subsetList<Subset>(env, info[3], r.X.rows, job->indices);
  auto o = optionsArg(env, info[4]);
  const std::size_t kind = sizeArg(env, o.Get("kind"), "kind");
  if (kind > 2) throwError(env, "ERR_DSE_OPTION", "native: method 'slq' needs a symmetric kernel (diffusion, gaussian or anisotropic)");
  r.kernel.kind = static_cast<KernelKind>(kind);
  r.kernel.sigma = numberArg(env, o.Get("sigma"), "sigma");
  if (!(r.kernel.sigma > 0)) throwError(env, "ERR_DSE_OPTION", "native: sigma must be > 0");
  r.t = numberArg(env, o.Get("t"), "t");
  if (!(r.t >= 0) || !std::isfinite(r.t)) throwError(env, "ERR_DSE_OPTION", "native: t must be finite and >= 0");
  r.options.probes = sizeArg(env, o.Get("probes"), "probes");
  r.options.steps = sizeArg(env, o.Get("steps"), "steps");
  r.options.blockSize = sizeArg(env, o.Get("blockSize"), "blockSize");
  r.options.blockIterations = sizeArg(env, o.Get("blockIterations"), "blockIterations");
  if (r.options.probes < 4) throwError(env, "ERR_DSE_OPTION", "native: probes must be >= 4");
  if (r.options.steps < 2) throwError(env, "ERR_DSE_OPTION", "native: steps must be >= 2");
  r.options.seed = (static_cast<std::uint64_t>(word(env, o.Get("seedHi"), "seedHi")) << 32) | word(env, o.Get("seedLo"), "seedLo");
  job->maxThreads = maxThreadsArg(env, o);
  return job;
}

void run(SlqJob& job, const TaskContext* ctx) {
  Control control;
  control.maxThreads = job.maxThreads;
  if (ctx) {
    control.cancel = ctx->cancel;
    control.progress = ctx->progress;
  }
  ComputeLock lock(control.cancel);
  job.results = runSlq(job.request, control);
}

Napi::Value toJs(Napi::Env env, const std::vector<SlqEstimate>& results) {
  auto out = Napi::Array::New(env, results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    const SlqEstimate& e = results[i];
    auto arr = Napi::Float64Array::New(env, 10);
    double* d = arr.Data();
    d[0] = e.value;
    d[1] = e.standardError;
    d[2] = e.probeError;
    d[3] = e.quadratureError;
    d[4] = e.deflated;
    d[5] = e.n;
    d[6] = e.kernelSeconds;
    d[7] = e.deflationSeconds;
    d[8] = e.lanczosSeconds;
    d[9] = e.systematicError;
    out.Set(static_cast<uint32_t>(i), arr);
  }
  return out;
}

Napi::Value SlqEntropy(const Napi::CallbackInfo& info) {
  auto job = parseJob(info);
  runOrThrow(info.Env(), [&] { run(*job, nullptr); });
  return toJs(info.Env(), job->results);
}

Napi::Value SlqEntropyAsync(const Napi::CallbackInfo& info) {
  auto job = parseJob(info);
  return TaskWorker::Start(
      info.Env(), info[5], info[6], [job](const TaskContext& ctx) { run(*job, &ctx); },
      [job](Napi::Env env) { return toJs(env, job->results); }, info[0]);
}

Napi::Value SlqBytes(const Napi::CallbackInfo& info) {
  auto job = parseJob(info);
  const std::size_t threads = threadsFor(job->maxThreads);
  const double xBytes = static_cast<double>(job->request.X.rows * job->request.X.cols) * (job->request.X.isFloat32 ? 4 : 8);
  // The async API's private snapshot of X (lib/validate.ts ownedMatrix) is held while it runs.
  return Napi::Number::New(info.Env(), estimateSlqBytes(job->request, threads) + xBytes);
}

Napi::Value SlqNormal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::uint64_t seed = (static_cast<std::uint64_t>(word(env, info[0], "seedHi")) << 32) | word(env, info[1], "seedLo");
  return Napi::Number::New(env, slqNormal(seed, sizeArg(env, info[2], "stream"), sizeArg(env, info[3], "index")));
}

}  // namespace

void registerSlq(Napi::Env env, Napi::Object exports) {
  exports.Set("slqEntropy", Napi::Function::New(env, SlqEntropy, "slqEntropy"));
  exports.Set("slqEntropyAsync", Napi::Function::New(env, SlqEntropyAsync, "slqEntropyAsync"));
  exports.Set("slqBytes", Napi::Function::New(env, SlqBytes, "slqBytes"));
  exports.Set("slqNormal", Napi::Function::New(env, SlqNormal, "slqNormal"));
}

}  // namespace binding
}  // namespace dse
