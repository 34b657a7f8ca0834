// SPDX-License-Identifier: MIT
// spectra / spectraAsync / spectraBytes: the batch primitive of native/core/spectra.h.
//   opts = { kind: 0 diffusion | 1 gaussian | 2 anisotropic | 3 knn, sigma, knn,
//            precision: 0 float64 | 1 float32, output: 0 eigenvalues | 1 entry entropy } (operation.h)
#include "../core/spectra.h"
#include "bindings.h"
#include "operation.h"

namespace dse {
namespace binding {

struct Spectra : ArraysResult {
  using Request = BatchRequest;

  static void parse(Napi::Env env, const BatchArgs& args, Request& r) {
    const Napi::Object& o = args.options;
    r.X = args.X;
    r.subsets = args.subsets;
    r.kernel = kernelArg(env, o, 3, "native: unknown kernel kind", false);
    r.kernel.knn = sizeArg(env, o.Get("knn"), "knn");
    if (r.kernel.knn < 1) r.kernel.knn = 1;
    r.precision = sizeArg(env, o.Get("precision"), "precision") == 1 ? Precision::Float32 : Precision::Float64;
    r.output = sizeArg(env, o.Get("output"), "output") == 1 ? Output::EntryEntropy : Output::Eigenvalues;
  }

  static Estimate bytes(const BatchArgs& args, const Request& request) {
    return {estimateSpectraBytes(request, threadsFor(args.maxThreads))};
  }

  static void run(const BatchArgs& args, const Request& request, Result& out, const Control& control) {
    ComputeLock lock(control.cancel);
    out = runSpectra(request, control);
  }
};

void registerSpectra(Napi::Env env, Napi::Object exports) {
  registerOperation<Spectra>(env, exports, "spectra", "spectraBytes");
}

}  // namespace binding
}  // namespace dse
