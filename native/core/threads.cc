// SPDX-License-Identifier: MIT
#include "threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#if defined(__linux__)
#include <fcntl.h>
#include <unistd.h>
#endif

namespace dse {

namespace {
std::atomic<std::size_t> budget{0};  // 0: not set

bool loadAware() {
  static const bool on = [] {
    const char* v = std::getenv("DSE_LOAD_AWARE");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
}

std::size_t onlineCpus() {
#if defined(__linux__)
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 0) return static_cast<std::size_t>(n);
#endif
  return hardwareThreads();
}
}  // namespace

std::size_t hardwareThreads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

std::size_t concurrency() {
  const std::size_t n = budget.load(std::memory_order_relaxed);
  return n ? n : hardwareThreads();
}

std::size_t setConcurrency(std::size_t n) {
  budget.store(n, std::memory_order_relaxed);
  return concurrency();
}

std::size_t threadsFor(std::size_t maxThreads) {
  const std::size_t n = concurrency();
  return std::max<std::size_t>(1, maxThreads ? std::min(maxThreads, n) : n);
}

std::size_t othersRunnable() {
#if defined(__linux__)
  // "0.52 0.58 0.59 3/467 12345": the fourth field is running/total scheduling entities.
  const int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  const ssize_t got = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (got <= 0) return 0;
  buf[got] = 0;
  const char* p = buf;
  for (int field = 0; field < 3 && p; ++field) {
    p = std::strchr(p, ' ');
    if (p) ++p;
  }
  if (!p) return 0;
  const long running = std::strtol(p, nullptr, 10);
  return running > 1 ? static_cast<std::size_t>(running - 1) : 0;
#else
  return 0;
#endif
}

std::size_t threadsNow(std::size_t budgetThreads) {
  if (budgetThreads <= 1 || !loadAware()) return std::max<std::size_t>(1, budgetThreads);
  // The fewest of three looks over 1 ms, so that a thread that merely passes through the run
  // queue (a garbage collector, an I/O completion, OpenBLAS's own threads before they sleep: they
  // are loaded with OPENBLAS_THREAD_TIMEOUT=20, ~0.4 ms) does not cost a whole stage its threads.
  std::size_t others = othersRunnable();
  for (int look = 1; look < 3 && others > 0; ++look) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    others = std::min(others, othersRunnable());
  }
  const std::size_t cpus = onlineCpus();
  const std::size_t idle = cpus > others ? cpus - others : 0;
  return std::max<std::size_t>(1, std::min(idle, budgetThreads));
}

std::size_t& currentBudget() {
  thread_local std::size_t n = 0;
  return n;
}

}  // namespace dse
