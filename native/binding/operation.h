// SPDX-License-Identifier: MIT
// One operation of the addon, registered as its synchronous, asynchronous and estimating entries:
//   name(X, rows, cols, subsets, options) -> result
//   nameAsync(X, rows, cols, subsets, options, cancelFlag?, onProgress?) -> Promise<result>
//   bytesName(X, rows, cols, subsets, options) -> peak working bytes
// A call whose estimate exceeds options.memoryLimit is refused before anything is allocated or
// queued: an ERR_DSE_MEMORY error carrying `bytes` (and `dense`), which lib/plan.ts words.
// Op supplies the types Request (what the core takes) and Result (what it gives), and
//   static void parse(Napi::Env, const BatchArgs&, Request&);  the operation's options
//   static Estimate bytes(const BatchArgs&, const Request&);    peak working bytes
//   static void run(const BatchArgs&, const Request&, Result&, const Control&);  the computation
//   static Napi::Value result(Napi::Env, const Result&);    (not needed for one Float64Array per subset)
#pragma once

#include <napi.h>

#include <memory>
#include <type_traits>
#include <vector>

#include "../core/threads.h"
#include "common.h"
#include "worker.h"

namespace dse {
namespace binding {

struct Estimate {
  double bytes = 0;
  bool dense = false;  // spectral clustering: the dense solver's two n x n matrices
};

// The Result of the operations that give one Float64Array per subset.
struct ArraysResult {
  using Result = std::vector<std::vector<double>>;
};

// One call: its arguments, the core's request and its result.
template <class Request, class Result>
struct Job {
  BatchArgs args;
  Request request;
  Result result;
};

template <class Op>
struct Operation {
  using Job = binding::Job<typename Op::Request, typename Op::Result>;

  static Napi::Value result(Napi::Env env, const typename Op::Result& r) {
    if constexpr (std::is_same<typename Op::Result, std::vector<std::vector<double>>>::value)
      return float64Arrays(env, r);
    else return Op::result(env, r);
  }

  static std::shared_ptr<Job> parse(const Napi::CallbackInfo& info) {
    auto job = std::make_shared<Job>();
    parseBatchArgs(info, job->args);
    Op::parse(info.Env(), job->args, job->request);
    return job;
  }

  // parse, then refuse what exceeds the memory limit.
  static std::shared_ptr<Job> admit(const Napi::CallbackInfo& info) {
    auto job = parse(info);
    const double limit = job->args.memoryLimit;
    if (limit > 0) {
      const Estimate e = Op::bytes(job->args, job->request);
      if (e.bytes > limit) {
        Napi::Error err =
            makeError(info.Env(), {"ERR_DSE_MEMORY", "native: the call needs more memory than its limit"});
        err.Set("bytes", Napi::Number::New(info.Env(), e.bytes));
        err.Set("dense", Napi::Boolean::New(info.Env(), e.dense));
        throw err;
      }
    }
    return job;
  }

  static Napi::Value Sync(const Napi::CallbackInfo& info) {
    auto job = admit(info);
    Control control;
    control.maxThreads = job->args.maxThreads;
    runOrThrow(info.Env(), [&] { Op::run(job->args, job->request, job->result, control); });
    return result(info.Env(), job->result);
  }

  static Napi::Value Async(const Napi::CallbackInfo& info) {
    auto job = admit(info);
    return TaskWorker::Start(
        info.Env(), info[5], info[6],
        [job](const TaskContext& ctx) {
          Control control;
          control.cancel = ctx.cancel;
          control.progress = ctx.progress;
          control.maxThreads = job->args.maxThreads;
          Op::run(job->args, job->request, job->result, control);
        },
        [job](Napi::Env env) { return result(env, job->result); }, info[0]);
  }

  static Napi::Value Bytes(const Napi::CallbackInfo& info) {
    auto job = parse(info);
    return Napi::Number::New(info.Env(), Op::bytes(job->args, job->request).bytes);
  }
};

template <class Op>
void registerOperation(Napi::Env env, Napi::Object exports, const std::string& name, const std::string& bytesName) {
  exports.Set(name, Napi::Function::New(env, Operation<Op>::Sync, name));
  exports.Set(name + "Async", Napi::Function::New(env, Operation<Op>::Async, name + "Async"));
  exports.Set(bytesName, Napi::Function::New(env, Operation<Op>::Bytes, bytesName));
}

}  // namespace binding
}  // namespace dse
