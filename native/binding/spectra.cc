// SPDX-License-Identifier: MIT
// spectra / spectraAsync / spectraBytes: the batch primitive of native/core/spectra.h.
//   spectra(X, rows, cols, subsets: Int32Array[] | null, opts) -> Float64Array[]
//   spectraAsync(X, rows, cols, subsets, opts, cancelFlag?, onProgress?) -> Promise<Float64Array[]>
//   opts = { kind: 0 diffusion | 1 gaussian | 2 anisotropic | 3 knn, sigma, knn,
//            precision: 0 float64 | 1 float32, output: 0 eigenvalues | 1 entry entropy, maxThreads }
#include "bindings.h"

#include <memory>

#include "../core/parallel.h"
#include "../core/spectra.h"
#include "common.h"
#include "worker.h"

namespace dse {
namespace binding {

namespace {

struct Plan {
  BatchRequest request;
  std::vector<std::vector<std::int32_t>> indices;  // owns what request.subsets points into
  std::size_t maxThreads = 0;
};

void parsePlan(const Napi::CallbackInfo& info, Plan& plan) {
  Napi::Env env = info.Env();
  plan.request.X = matrixView(env, info[0], info[1], info[2]);
  plan.request.subsets = subsetList<Subset>(env, info[3], plan.request.X.rows, plan.indices);
  auto o = optionsArg(env, info[4]);
  const std::size_t kind = sizeArg(env, o.Get("kind"), "kind");
  if (kind > 3) throwError(env, "ERR_DSE_OPTION", "native: unknown kernel kind");
  plan.request.kernel.kind = static_cast<KernelKind>(kind);
  plan.request.kernel.sigma = numberArg(env, o.Get("sigma"), "sigma");
  plan.request.kernel.knn = sizeArg(env, o.Get("knn"), "knn");
  if (plan.request.kernel.knn < 1) plan.request.kernel.knn = 1;
  plan.request.precision = sizeArg(env, o.Get("precision"), "precision") == 1 ? Precision::Float32 : Precision::Float64;
  plan.request.output = sizeArg(env, o.Get("output"), "output") == 1 ? Output::EntryEntropy : Output::Eigenvalues;
  plan.maxThreads = maxThreadsArg(env, o);
}

Napi::Value Spectra(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Plan plan;
  parsePlan(info, plan);
  std::vector<std::vector<double>> results;
  runOrThrow(env, [&] {
    ComputeLock lock(nullptr);
    Control control;
    control.maxThreads = plan.maxThreads;
    results = runSpectra(plan.request, control);
  });
  return float64Arrays(env, results);
}

Napi::Value SpectraAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto plan = std::make_shared<Plan>();
  parsePlan(info, *plan);
  auto results = std::make_shared<std::vector<std::vector<double>>>();
  return TaskWorker::Start(
      env, info[5], info[6],
      [plan, results](const TaskContext& ctx) {
        ComputeLock lock(ctx.cancel);
        Control control;
        control.cancel = ctx.cancel;
        control.progress = ctx.progress;
        control.maxThreads = plan->maxThreads;
        *results = runSpectra(plan->request, control);
      },
      [results](Napi::Env env) { return float64Arrays(env, *results); }, info[0]);
}

Napi::Value SpectraBytes(const Napi::CallbackInfo& info) {
  Plan plan;
  parsePlan(info, plan);
  return Napi::Number::New(info.Env(), estimateSpectraBytes(plan.request, threadsFor(plan.maxThreads)));
}

}  // namespace

void registerSpectra(Napi::Env env, Napi::Object exports) {
  exports.Set("spectra", Napi::Function::New(env, Spectra, "spectra"));
  exports.Set("spectraAsync", Napi::Function::New(env, SpectraAsync, "spectraAsync"));
  exports.Set("spectraBytes", Napi::Function::New(env, SpectraBytes, "spectraBytes"));
}

}  // namespace binding
}  // namespace dse
