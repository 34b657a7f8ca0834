// SPDX-License-Identifier: MIT
// N-API glue shared by the bindings: typed-array views, errors with a stable code, and the
// mapping of C++ exceptions to those codes. TypeScript has validated every argument already;
// the checks here only keep a wrong internal call from reading out of bounds.
#pragma once

#include <napi.h>

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "../core/batch.h"
#include "../core/kernel.h"

namespace dse {
namespace binding {

// An error whose `code` is one of the package's DseError codes; lib/native.ts turns it into a
// DseError (and 'ABORT_ERR' into an AbortError).
struct CodedError {
  std::string code;
  std::string message;
};

Napi::Error makeError(Napi::Env env, const CodedError& e);
[[noreturn]] void throwError(Napi::Env env, const std::string& code, const std::string& message);

// Maps the exception in flight (called inside a catch block) to a code and a message.
CodedError describeCurrentException();

// A row-major float64/float32 matrix viewed in place (no copy) from a typed array.
InputMatrix matrixView(Napi::Env env, const Napi::Value& data, const Napi::Value& rows, const Napi::Value& cols);

// The arguments every operation takes: (X, rows, cols, subsets: Int32Array[] | null, options),
// options carrying the operation's own fields and `maxThreads?` (0: all cores) and
// `memoryLimit?` (bytes the call may use; 0 or absent: no limit).
struct BatchArgs {
  InputMatrix X;
  std::vector<std::vector<std::int32_t>> indices;  // owns what subsets point into
  std::vector<Subset> subsets;
  Napi::Object options;
  std::size_t maxThreads = 0;
  double memoryLimit = 0;
};
void parseBatchArgs(const Napi::CallbackInfo& info, BatchArgs& args);
// Rows of the largest subset.
std::size_t largestSubset(const BatchArgs& args);

// The kernel of options.kind (at most maxKind) and options.sigma (> 0 when positiveSigma).
KernelSpec kernelArg(Napi::Env env, const Napi::Object& options, std::size_t maxKind, const char* kindMessage,
                     bool positiveSigma);

// A 64-bit seed given as options.seedHi and options.seedLo (two 32-bit halves).
std::uint64_t seedArg(Napi::Env env, const Napi::Object& options);
std::uint64_t seedArg(Napi::Env env, const Napi::Value& hi, const Napi::Value& lo);

std::size_t sizeArg(Napi::Env env, const Napi::Value& value, const char* what);

// One Float64Array per result vector.
Napi::Array float64Arrays(Napi::Env env, const std::vector<std::vector<double>>& results);

// Runs a synchronous computation, turning any C++ exception into the coded JS error.
template <class Fn>
void runOrThrow(Napi::Env env, Fn&& fn) {
  try {
    fn();
  } catch (...) {
    throw makeError(env, describeCurrentException());
  }
}
double numberArg(Napi::Env env, const Napi::Value& value, const char* what);

}  // namespace binding
}  // namespace dse
