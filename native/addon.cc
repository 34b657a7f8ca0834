// SPDX-License-Identifier: MIT
// Registration only. The addon keeps no per-process mutable state of its own besides the
// compute lock (core/spectra.cc) and the async calls' queue (binding/worker.cc), which guard the
// cores, not data; so it is context-aware and loads in every worker thread.
#include <napi.h>

#include "binding/bindings.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  dse::binding::registerInfo(env, exports);
  dse::binding::registerSpectra(env, exports);
  dse::binding::registerCluster(env, exports);
  dse::binding::registerChebyshev(env, exports);
  dse::binding::registerSlq(env, exports);
  dse::binding::registerCse(env, exports);
  dse::binding::registerWorker(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(dse_dsmi, Init)
