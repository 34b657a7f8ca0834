// SPDX-License-Identifier: MIT
// slqEntropy / slqEntropyAsync / slqBytes / slqNormal: method 'slq' of native/core/slq.h.
//   opts = { kind: 0 diffusion | 1 gaussian | 2 anisotropic, sigma, t, probes, steps, blockSize,
//            blockIterations, seedHi, seedLo (the seed's two 32-bit halves) } (operation.h)
//   slqNormal(seedHi, seedLo, stream, index) -> number (the documented generator, for tests)
// One Float64Array per subset: [value, standardError, probeError, quadratureError, deflated, n,
// kernelSeconds, deflationSeconds, lanczosSeconds, systematicError].
#include <cmath>

#include "../core/slq.h"
#include "../core/spectra.h"  // ComputeLock
#include "bindings.h"
#include "operation.h"

namespace dse {
namespace binding {

struct Slq {
  using Request = SlqRequest;
  using Result = std::vector<SlqEstimate>;

  static void parse(Napi::Env env, const BatchArgs& args, Request& r) {
    const Napi::Object& o = args.options;
    r.X = args.X;
    r.subsets = args.subsets;
    r.kernel = kernelArg(env, o, 2,
                         "native: method 'slq' needs a symmetric kernel (diffusion, gaussian or anisotropic)", true);
    r.t = numberArg(env, o.Get("t"), "t");
    if (!(r.t >= 0) || !std::isfinite(r.t)) throwError(env, "ERR_DSE_OPTION", "native: t must be finite and >= 0");
    r.options.probes = sizeArg(env, o.Get("probes"), "probes");
    r.options.steps = sizeArg(env, o.Get("steps"), "steps");
    r.options.blockSize = sizeArg(env, o.Get("blockSize"), "blockSize");
    r.options.blockIterations = sizeArg(env, o.Get("blockIterations"), "blockIterations");
    if (r.options.probes < 4) throwError(env, "ERR_DSE_OPTION", "native: probes must be >= 4");
    if (r.options.steps < 2) throwError(env, "ERR_DSE_OPTION", "native: steps must be >= 2");
    r.options.seed = seedArg(env, o);
  }

  static Estimate bytes(const BatchArgs& args, const Request& request) {
    const InputMatrix& X = request.X;
    // The async API's private snapshot of X (lib/validate.ts ownedMatrix) is held while it runs.
    const double xBytes = static_cast<double>(X.rows * X.cols) * (X.isFloat32 ? 4 : 8);
    return {estimateSlqBytes(request, threadsFor(args.maxThreads)) + xBytes};
  }

  static void run(const BatchArgs& args, const Request& request, Result& out, const Control& control) {
    ComputeLock lock(control.cancel);
    out = runSlq(request, control);
  }

  static Napi::Value result(Napi::Env env, const Result& results) {
    auto out = Napi::Array::New(env, results.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      const SlqEstimate& e = results[i];
      const double values[] = {e.value, e.standardError, e.probeError,       e.quadratureError, e.deflated,
                               e.n,     e.kernelSeconds, e.deflationSeconds, e.lanczosSeconds,  e.systematicError};
      auto arr = Napi::Float64Array::New(env, 10);
      std::copy(values, values + 10, arr.Data());
      out.Set(static_cast<uint32_t>(i), arr);
    }
    return out;
  }
};

namespace {

Napi::Value SlqNormal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::uint64_t seed = seedArg(env, info[0], info[1]);
  return Napi::Number::New(env, slqNormal(seed, sizeArg(env, info[2], "stream"), sizeArg(env, info[3], "index")));
}

}  // namespace

void registerSlq(Napi::Env env, Napi::Object exports) {
  registerOperation<Slq>(env, exports, "slqEntropy", "slqBytes");
  exports.Set("slqNormal", Napi::Function::New(env, SlqNormal, "slqNormal"));
}

}  // namespace binding
}  // namespace dse
