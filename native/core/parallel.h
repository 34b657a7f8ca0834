// SPDX-License-Identifier: MIT
// Minimal fork-join helpers. The regions they run are large (N^2 kernel passes, whole
// eigenproblems), so spawning threads per region costs nothing measurable and keeps the
// core free of a long-lived pool and of global state.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "threads.h"

namespace dse {

// Calls fn(item, worker) for item in [0, count), items handed out dynamically in chunks, on
// `threads` workers (the calling thread is worker 0). The first exception thrown by any
// worker stops the hand-out and is rethrown on the calling thread.
template <typename Fn>
void parallelFor(std::size_t threads, std::size_t count, std::size_t chunk, Fn&& fn) {
  if (count == 0) return;
  if (chunk == 0) chunk = 1;
  threads = std::max<std::size_t>(1, std::min(threads, (count + chunk - 1) / chunk));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex errorMutex;
  auto work = [&](std::size_t worker) {
    try {
      for (;;) {
        if (failed.load(std::memory_order_relaxed)) return;
        const std::size_t begin = next.fetch_add(chunk);
        if (begin >= count) return;
        const std::size_t end = std::min(count, begin + chunk);
        for (std::size_t i = begin; i < end; ++i) fn(i, worker);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(errorMutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (std::size_t w = 1; w < threads; ++w) {
      try {
        pool.emplace_back(work, w);
      } catch (...) {  // no more threads: those running (or this one) take the remaining items
        break;
      }
    }
    work(0);
    for (auto& t : pool) t.join();
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace dse
