// SPDX-License-Identifier: MIT
// Cancellation: an async call's flag (non-zero: stop), polled at checkpoints. The flag of the
// computation running on a thread is also kept in a thread-local, so that long stages deep in
// the solvers (the band reduction, the bulge chasing) can poll it without every signature
// carrying it.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>

namespace dse {

// Thrown by long-running core routines when their computation is cancelled.
struct Cancelled : std::exception {
  const char* what() const noexcept override { return "cancelled"; }
};

using CancelFlag = const std::atomic<std::int32_t>*;

inline bool isCancelled(CancelFlag cancel) { return cancel && cancel->load(std::memory_order_relaxed) != 0; }
inline void checkpoint(CancelFlag cancel) {
  if (isCancelled(cancel)) throw Cancelled();
}

// The flag of the computation running on this thread (null: none).
inline CancelFlag& currentCancel() {
  thread_local CancelFlag flag = nullptr;
  return flag;
}
inline void checkpoint() { checkpoint(currentCancel()); }

// Makes `cancel` this thread's current flag for a scope.
class CancelScope {
 public:
  explicit CancelScope(CancelFlag cancel) : saved_(currentCancel()) { currentCancel() = cancel; }
  ~CancelScope() { currentCancel() = saved_; }
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

 private:
  CancelFlag saved_;
};

}  // namespace dse
