// SPDX-License-Identifier: MIT
// The async entry of the addon: a plain C++ task runs on one process-wide compute thread of
// our own, in FIFO order with every other async call of the process (all addon instances and
// worker threads), and settles a Promise on its caller's thread through a thread-safe function.
// Waiting calls therefore hold no libuv pool thread. The task touches no JS object off its
// thread: it owns copies of what it reads, or reads the memory of `keepAlive` (X), which lib/
// guarantees no caller holds (lib/validate.ts ownedMatrix) and which is pinned here; progress reaches the caller's
// thread as subsets finish (one pending report at a time: the caller's thread reports every step up to the count, the
// last ones at the latest just before the Promise settles); a cancellation flag (an Int32Array on a SharedArrayBuffer,
// pinned here) is polled by the task at its checkpoints, and a queued job whose flag is set is never run.
#pragma once

#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>

#include "common.h"

namespace dse {
namespace binding {

struct TaskContext {
  const std::atomic<std::int32_t>* cancel = nullptr;
  std::function<void(std::size_t, std::size_t)> progress;
};

class TaskWorker {
 public:
  using Task = std::function<void(const TaskContext&)>;
  using Settle = std::function<Napi::Value(Napi::Env)>;

  // Queues `task`; `settle` builds the resolved value on the caller's thread. `cancelFlag`,
  // `onProgress` and `keepAlive` (an object the task reads, kept alive until it is settled) may
  // be undefined/null.
  static Napi::Value Start(Napi::Env env, const Napi::Value& cancelFlag, const Napi::Value& onProgress, Task task,
                           Settle settle, const Napi::Value& keepAlive = Napi::Value());
};

// dropCancelled(): removes this thread's queued jobs whose flag is set and rejects them at once
// (lib/plan.ts calls it on abort). queuedJobs(): jobs waiting or running in the process (tests).
void registerWorker(Napi::Env env, Napi::Object exports);

}  // namespace binding
}  // namespace dse
