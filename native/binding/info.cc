// SPDX-License-Identifier: MIT
// buildInfo(): which BLAS/LAPACK the addon was built with and how many threads it uses;
// setConcurrency(n) / concurrency(): the process-wide thread budget (threads.h).
#include "bindings.h"

#include "../core/linalg.h"
#include "../core/threads.h"

namespace dse {
namespace binding {

namespace {
Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("blas", linalg::blasName());
  o.Set("lapack", linalg::lapackName());
  o.Set("threads", static_cast<double>(concurrency()));
  o.Set("hardwareThreads", static_cast<double>(hardwareThreads()));
  o.Set("openblas", linalg::haveLapack());
#ifdef DSE_SANITIZE
  o.Set("sanitize", true);
#endif
  return o;
}

// setConcurrency(n): n >= 0 (0: the hardware's threads), validated in TypeScript. Returns the
// budget now in force.
Napi::Value SetConcurrency(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(env, "setConcurrency(n): n must be a number");
  const double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 0 && n <= 4096) || n != static_cast<double>(static_cast<std::size_t>(n)))
    throw Napi::RangeError::New(env, "setConcurrency(n): n must be an integer from 0 to 4096");
  return Napi::Number::New(env, static_cast<double>(setConcurrency(static_cast<std::size_t>(n))));
}

Napi::Value Concurrency(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(concurrency()));
}

// othersRunnable(): runnable tasks on the machine besides the caller (for tests and the bench).
Napi::Value OthersRunnable(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(othersRunnable()));
}
}  // namespace

void registerInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
  exports.Set("setConcurrency", Napi::Function::New(env, SetConcurrency, "setConcurrency"));
  exports.Set("concurrency", Napi::Function::New(env, Concurrency, "concurrency"));
  exports.Set("othersRunnable", Napi::Function::New(env, OthersRunnable, "othersRunnable"));
}

}  // namespace binding
}  // namespace dse
