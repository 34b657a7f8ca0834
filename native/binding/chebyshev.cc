// SPDX-License-Identifier: MIT
// chebyshevMoments / chebyshevMomentsAsync / chebyshevBytes: native/core/chebyshev.h.
//   opts = { sigma, moments, probes, threshold, seedHi, seedLo (the seed's two 32-bit halves) } (operation.h)
#include "../core/chebyshev.h"
#include "../core/spectra.h"  // ComputeLock
#include "bindings.h"
#include "operation.h"

namespace dse {
namespace binding {

struct Chebyshev : ArraysResult {
  using Request = ChebyshevSpec;

  static Estimate bytes(const BatchArgs& args, const Request& request) {
    return {estimateChebyshevBytes(largestSubset(args), args.X.cols, request.probes)};
  }

  static void parse(Napi::Env env, const BatchArgs& args, Request& spec) {
    const Napi::Object& o = args.options;
    spec.sigma = numberArg(env, o.Get("sigma"), "sigma");
    if (!(spec.sigma > 0)) throwError(env, "ERR_DSE_OPTION", "native: sigma must be > 0");
    spec.moments = sizeArg(env, o.Get("moments"), "moments");
    spec.probes = sizeArg(env, o.Get("probes"), "probes");
    if (spec.moments < 1 || spec.probes < 1)
      throwError(env, "ERR_DSE_OPTION", "native: moments and probes must be >= 1");
    spec.threshold = numberArg(env, o.Get("threshold"), "threshold");
    spec.seed = seedArg(env, o);
  }

  static void run(const BatchArgs& args, const Request& request, Result& out, const Control& control) {
    ComputeLock lock(control.cancel);
    out = runChebyshev(args.X, args.subsets, request, control);
  }
};

void registerChebyshev(Napi::Env env, Napi::Object exports) {
  registerOperation<Chebyshev>(env, exports, "chebyshevMoments", "chebyshevBytes");
}

}  // namespace binding
}  // namespace dse
