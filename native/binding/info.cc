// SPDX-License-Identifier: MIT
// buildInfo(): which BLAS/LAPACK the addon was built with and how many threads it uses.
#include "bindings.h"

#include "../core/linalg.h"
#include "../core/parallel.h"

namespace dse {
namespace binding {

namespace {
Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("blas", linalg::blasName());
  o.Set("lapack", linalg::lapackName());
  o.Set("threads", static_cast<double>(hardwareThreads()));
  o.Set("openblas", linalg::haveLapack());
#ifdef DSE_SANITIZE
  o.Set("sanitize", true);
#endif
  return o;
}
}  // namespace

void registerInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo, "buildInfo"));
}

}  // namespace binding
}  // namespace dse
