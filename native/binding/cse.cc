// SPDX-License-Identifier: MIT
// binnedRowCounts / binnedRowCountsAsync / binnedRowCountsBytes: native/core/cse.h.
//   opts = { bins } (operation.h) -> one Float64Array of group sizes per subset
#include "../core/cse.h"
#include "bindings.h"
#include "operation.h"

namespace dse {
namespace binding {

struct Cse : ArraysResult {
  using Request = std::size_t;  // bins

  static void parse(Napi::Env env, const BatchArgs& args, Request& bins) {
    bins = sizeArg(env, args.options.Get("bins"), "bins");
    if (bins < 1) throwError(env, "ERR_DSE_OPTION", "native: bins must be >= 1");
  }

  static Estimate bytes(const BatchArgs& args, const Request& request) {
    return {estimateBinnedRowCountsBytes(largestSubset(args), args.X.cols)};
  }

  static void run(const BatchArgs& args, const Request& request, Result& out, const Control& control) {
    out = binnedRowCounts(args.X, args.subsets, request, control.cancel);
  }
};

void registerCse(Napi::Env env, Napi::Object exports) {
  registerOperation<Cse>(env, exports, "binnedRowCounts", "binnedRowCountsBytes");
}

}  // namespace binding
}  // namespace dse
