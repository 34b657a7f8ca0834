// SPDX-License-Identifier: MIT
// What every batch of the core takes besides its own request: the subsets of the rows of X it
// runs on, and its control (cancellation, progress, thread cap).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace dse {

struct Subset {
  const std::int32_t* rows = nullptr;  // null: all rows of X, in order
  std::size_t size = 0;
};

struct Control {
  // Polled between subsets and between the stages of a subset; non-zero means stop.
  const std::atomic<std::int32_t>* cancel = nullptr;
  // Called (serialised, from a worker thread) each time a subset finishes.
  std::function<void(std::size_t done, std::size_t total)> progress;
  // Upper bound on threads; 0 = all hardware threads.
  std::size_t maxThreads = 0;
};

}  // namespace dse
