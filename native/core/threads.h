// SPDX-License-Identifier: MIT
// How many threads native work may use: the process-wide budget (setConcurrency, set from
// TypeScript at load: DSE_THREADS, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, else the CPUs this
// process may use), and how many of them to use now, given what else is running.
#pragma once

#include <cstddef>

namespace dse {

// Hardware threads of the machine (>= 1).
std::size_t hardwareThreads();

// The process-wide thread budget in force (>= 1). Until setConcurrency is called: hardwareThreads().
std::size_t concurrency();
// Sets the budget (0: back to hardwareThreads()). Returns the value now in force.
std::size_t setConcurrency(std::size_t n);

// The threads a call may use: the budget, capped by the caller's maxThreads (0: no cap).
std::size_t threadsFor(std::size_t maxThreads);

// Runnable tasks on the machine other than the calling thread (the kernel's instantaneous count
// from /proc/loadavg), or 0 where that cannot be read.
std::size_t othersRunnable();

// Of `budget` threads, how many a stage that hands work between threads many times (threaded
// BLAS, the bulge-chasing pipeline) should use now: all of them while the machine has that many
// idle CPUs, else 1. Threads that hand work to each other wait at every hand-off for whichever of
// them the scheduler has put aside, so on busy cores they run many times slower than one thread
// (docs/internals/performance-history.md, "Beside a trainer: busy cores"). DSE_LOAD_AWARE=0 in the
// environment turns it off.
std::size_t threadsNow(std::size_t budget);

// The thread budget of the computation running on this thread (0: none), so that stages deep in
// the solvers can re-decide with threadsNow as they start (linalg::adaptThreads).
std::size_t& currentBudget();

// Makes `budget` this thread's current budget for a scope.
class BudgetScope {
 public:
  explicit BudgetScope(std::size_t budget) : saved_(currentBudget()) { currentBudget() = budget; }
  ~BudgetScope() { currentBudget() = saved_; }
  BudgetScope(const BudgetScope&) = delete;
  BudgetScope& operator=(const BudgetScope&) = delete;

 private:
  std::size_t saved_;
};

}  // namespace dse
