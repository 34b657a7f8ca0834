// SPDX-License-Identifier: MIT
#include "common.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <stdexcept>

#include "../core/linalg.h"
#include "../core/spectra.h"

namespace dse {
namespace binding {

Napi::Error makeError(Napi::Env env, const CodedError& e) {
  Napi::Error err = Napi::Error::New(env, e.message);
  err.Set("code", Napi::String::New(env, e.code));
  return err;
}

void throwError(Napi::Env env, const std::string& code, const std::string& message) {
  throw makeError(env, CodedError{code, message});
}

CodedError describeCurrentException() {
  try {
    throw;
  } catch (const Cancelled&) {
    return {"ABORT_ERR", "The operation was aborted"};
  } catch (const std::bad_alloc&) {
    return {"ERR_DSE_MEMORY",
            "Out of memory in the native core (std::bad_alloc); reduce maxN or use precision 'float32'"};
  } catch (const NumericError& e) {
    return {"ERR_DSE_NATIVE", e.what()};
  } catch (const std::invalid_argument& e) {
    return {"ERR_DSE_OPTION", e.what()};
  } catch (const std::exception& e) {
    return {"ERR_DSE_NATIVE", std::string("Native core failure: ") + e.what()};
  } catch (...) {
    return {"ERR_DSE_NATIVE", "Native core failure of unknown kind"};
  }
}

std::size_t sizeArg(Napi::Env env, const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) throwError(env, "ERR_DSE_TYPE", std::string("native: ") + what + " must be a number");
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v != std::floor(v) || v > 9007199254740991.0)
    throwError(env, "ERR_DSE_SHAPE", std::string("native: ") + what + " must be a non-negative integer");
  return static_cast<std::size_t>(v);
}

double numberArg(Napi::Env env, const Napi::Value& value, const char* what) {
  if (!value.IsNumber()) throwError(env, "ERR_DSE_TYPE", std::string("native: ") + what + " must be a number");
  return value.As<Napi::Number>().DoubleValue();
}

InputMatrix matrixView(Napi::Env env, const Napi::Value& data, const Napi::Value& rows, const Napi::Value& cols) {
  InputMatrix m;
  m.rows = sizeArg(env, rows, "rows");
  m.cols = sizeArg(env, cols, "cols");
  if (!data.IsTypedArray()) throwError(env, "ERR_DSE_TYPE", "native: X must be a Float64Array or Float32Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* ptr = nullptr;
  napi_value arraybuffer;
  size_t byteOffset = 0;
  // The C call gives the element pointer directly, for ArrayBuffer and SharedArrayBuffer views alike.
  if (napi_get_typedarray_info(env, data, &type, &length, &ptr, &arraybuffer, &byteOffset) != napi_ok)
    throwError(env, "ERR_DSE_TYPE", "native: X is not a readable typed array");
  if (type != napi_float64_array && type != napi_float32_array)
    throwError(env, "ERR_DSE_TYPE", "native: X must be a Float64Array or Float32Array");
  m.isFloat32 = type == napi_float32_array;
  if (m.cols != 0 && m.rows > length / m.cols)
    throwError(env, "ERR_DSE_SHAPE", "native: X holds fewer than rows * cols values");
  if (length != m.rows * m.cols) throwError(env, "ERR_DSE_SHAPE", "native: X length != rows * cols");
  if (length > 0 && ptr == nullptr) throwError(env, "ERR_DSE_TYPE", "native: X's ArrayBuffer is detached");
  m.data = ptr;
  return m;
}

namespace {
// Int32Array -> vector of row indices, each checked against [0, limit).
std::vector<std::int32_t> indexArray(Napi::Env env, const Napi::Value& value, std::size_t limit) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throwError(env, "ERR_DSE_TYPE", "native: subset must be an Int32Array");
  auto arr = value.As<Napi::Int32Array>();
  std::vector<std::int32_t> out(arr.Data(), arr.Data() + arr.ElementLength());
  for (std::int32_t i : out)
    if (i < 0 || static_cast<std::size_t>(i) >= limit)
      throwError(env, "ERR_DSE_SHAPE", "native: subset holds a row index out of range");
  if (out.empty()) throwError(env, "ERR_DSE_SHAPE", "native: empty subset");
  return out;
}

std::uint32_t word(Napi::Env env, const Napi::Value& v, const char* what) {
  const std::size_t w = sizeArg(env, v, what);
  if (w > 0xffffffffULL) throwError(env, "ERR_DSE_OPTION", std::string("native: ") + what + " must fit in 32 bits");
  return static_cast<std::uint32_t>(w);
}
}  // namespace

std::uint64_t seedArg(Napi::Env env, const Napi::Value& hi, const Napi::Value& lo) {
  return (static_cast<std::uint64_t>(word(env, hi, "seedHi")) << 32) | word(env, lo, "seedLo");
}

std::size_t largestSubset(const BatchArgs& args) {
  std::size_t m = 0;
  for (const Subset& s : args.subsets) m = std::max(m, s.size);
  return m;
}

KernelSpec kernelArg(Napi::Env env, const Napi::Object& o, std::size_t maxKind, const char* kindMessage,
                     bool positiveSigma) {
  KernelSpec k;
  const std::size_t kind = sizeArg(env, o.Get("kind"), "kind");
  if (kind > maxKind) throwError(env, "ERR_DSE_OPTION", kindMessage);
  k.kind = static_cast<KernelKind>(kind);
  k.sigma = numberArg(env, o.Get("sigma"), "sigma");
  if (positiveSigma && !(k.sigma > 0)) throwError(env, "ERR_DSE_OPTION", "native: sigma must be > 0");
  return k;
}

std::uint64_t seedArg(Napi::Env env, const Napi::Object& options) {
  return seedArg(env, options.Get("seedHi"), options.Get("seedLo"));
}

void parseBatchArgs(const Napi::CallbackInfo& info, BatchArgs& args) {
  Napi::Env env = info.Env();
  args.X = matrixView(env, info[0], info[1], info[2]);
  // An array of Int32Array row lists, or anything else for one subset of all rows.
  if (info[3].IsArray()) {
    auto list = info[3].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) args.indices.push_back(indexArray(env, list.Get(i), args.X.rows));
    for (const auto& s : args.indices) args.subsets.push_back(Subset{s.data(), s.size()});
  } else if (args.X.rows == 0) {
    throwError(env, "ERR_DSE_SHAPE", "native: empty subset");
  } else {
    args.subsets.push_back(Subset{nullptr, args.X.rows});
  }
  if (!info[4].IsObject()) throwError(env, "ERR_DSE_TYPE", "native: options object expected");
  args.options = info[4].As<Napi::Object>();
  const Napi::Value threads = args.options.Get("maxThreads"), limit = args.options.Get("memoryLimit");
  args.maxThreads = threads.IsNumber() ? sizeArg(env, threads, "maxThreads") : 0;
  args.memoryLimit = limit.IsNumber() ? numberArg(env, limit, "memoryLimit") : 0;
}

Napi::Array float64Arrays(Napi::Env env, const std::vector<std::vector<double>>& results) {
  auto out = Napi::Array::New(env, results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    auto arr = Napi::Float64Array::New(env, results[i].size());
    std::copy(results[i].begin(), results[i].end(), arr.Data());
    out.Set(static_cast<uint32_t>(i), arr);
  }
  return out;
}

}  // namespace binding
}  // namespace dse
