// SPDX-License-Identifier: MIT
// The one AsyncWorker of the addon: runs a plain C++ task on the libuv pool and settles a
// Promise. The task owns copies of everything it reads (no JS object is touched off the main
// thread); progress reaches the main thread as subsets finish (node-addon-api's queue holds one
// pending report and drops the rest, so the worker keeps the count and the main thread reports
// every step up to it, the last ones at the latest just before the Promise settles); a cancellation flag (an Int32Array on a SharedArrayBuffer, pinned here) is polled
// by the task at its checkpoints.
#pragma once

#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

#include "common.h"

namespace dse {
namespace binding {

struct Progress {
  std::uint32_t done;
  std::uint32_t total;
};

struct TaskContext {
  const std::atomic<std::int32_t>* cancel = nullptr;
  std::function<void(std::size_t, std::size_t)> progress;
};

class TaskWorker : public Napi::AsyncProgressQueueWorker<Progress> {
 public:
  using Task = std::function<void(const TaskContext&)>;
  using Settle = std::function<Napi::Value(Napi::Env)>;

  // `cancelFlag` may be undefined/null; `onProgress` may be undefined/null.
  static Napi::Value Start(Napi::Env env, const Napi::Value& cancelFlag, const Napi::Value& onProgress, Task task,
                           Settle settle);

 protected:
  void Execute(const ExecutionProgress& progress) override;
  void OnProgress(const Progress* data, size_t count) override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  TaskWorker(Napi::Env env, Task task, Settle settle);
  Napi::Promise::Deferred deferred_;
  Task task_;
  Settle settle_;
  Napi::ObjectReference cancelRef_;
  Napi::FunctionReference onProgress_;
  const std::atomic<std::int32_t>* cancel_ = nullptr;
  CodedError error_;
  std::atomic<std::size_t> done_{0};
  std::atomic<std::size_t> total_{0};
  std::size_t delivered_ = 0;  // main thread only
  void FlushProgress();
};

}  // namespace binding
}  // namespace dse
