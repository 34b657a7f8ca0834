// SPDX-License-Identifier: MIT
// The one batch primitive: for each subset of the rows of X, build its kernel and return its
// eigenvalues (or its matrix-entry entropy). All of a call's subsets are scheduled together
// over the cores: a large matrix gets every core through a threaded BLAS/LAPACK, many small
// ones run side by side with one single-threaded LAPACK each, never both at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "batch.h"
#include "cancel.h"
#include "kernel.h"

namespace dse {

enum class Output {
  Eigenvalues,   // ascending eigenvalues (moduli, for a non-symmetric kNN adjacency)
  EntryEntropy,  // one value: the reference's matrix-entry entropy
};

enum class Precision { Float64, Float32 };

struct BatchRequest {
  InputMatrix X;
  std::vector<Subset> subsets;
  KernelSpec kernel;
  Precision precision = Precision::Float64;
  Output output = Output::Eigenvalues;
};

// Runs the batch. One result vector per subset, in the order of request.subsets. Throws
// NumericError, std::bad_alloc or Cancelled.
std::vector<std::vector<double>> runSpectra(const BatchRequest& request, const Control& control);

// Bytes of working memory the batch needs at its peak (kernel buffers of the subsets that run
// at the same time, gathered rows, LAPACK workspace), for the memory guard in TypeScript.
double estimateSpectraBytes(const BatchRequest& request, std::size_t threads);

// Serialises heavy native work across every call in the process (all addon instances and
// worker threads): the cores are shared, so running two batches at once would only
// oversubscribe them. Waits in short slices so that a cancelled waiter leaves promptly.
// On release after a long computation it also hands the memory the computation freed back to
// the system (see releaseFreedMemory in spectra.cc).
class ComputeLock {
 public:
  explicit ComputeLock(const std::atomic<std::int32_t>* cancel);
  ~ComputeLock();
  ComputeLock(const ComputeLock&) = delete;
  ComputeLock& operator=(const ComputeLock&) = delete;

 private:
  std::chrono::steady_clock::time_point acquired_;
};

}  // namespace dse
