// SPDX-License-Identifier: MIT
// Chebyshev moments of the diffusion kernel, the heavy half of the reference's
// `chebyshev_approx` mode (information_utils.approx_eigvals): K = D^-1/2 G D^-1/2 of a subset of
// the rows of X, entries below a threshold in absolute value zeroed, then
//   c_k = mean over probes z of z^T T_k(K) z,   k = 0 .. moments - 1,
// with T_k the Chebyshev polynomials (three-term recurrence on a block of probe vectors) and
// Rademacher probes from a seeded generator. TypeScript turns the moments into the
// density-of-states estimate and the eigenvalue multiset (lib/chebyshev.ts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "batch.h"
#include "kernel.h"

namespace dse {

struct ChebyshevSpec {
  double sigma = 10;
  std::size_t moments = 50;  // the reference's N = 50
  std::size_t probes = 100;  // the reference's nZ = 100
  double threshold = 1e-3;   // the reference's filter_thr: |K_ij| < threshold -> 0
  std::uint64_t seed = 0;    // probe generator seed (see rademacherProbes)
};

// The probe block, row-major m x probes (entry (i, p) at Z[i * probes + p]), entries +-1.
// Generator: xoshiro256** whose state is filled by SplitMix64 from `seed`; probe p, row i takes
// bit (k mod 64) (least significant first) of the (k / 64)-th 64-bit output, k = p * m + i;
// a set bit gives -1, a clear bit +1. Probe by probe, so the first probes do not depend on how
// many are drawn.
void rademacherProbes(std::uint64_t seed, std::size_t m, std::size_t probes, double* Z);

// Moments for each subset of the rows of X (a null `rows` pointer: all rows), in order. Every
// subset uses the same probe seed, so each result equals that of the subset computed alone.
// Throws std::bad_alloc, NumericError or Cancelled.
std::vector<std::vector<double>> runChebyshev(const InputMatrix& X, const std::vector<Subset>& subsets,
                                              const ChebyshevSpec& spec, const Control& control);

// Peak working bytes of runChebyshev for a largest subset of m rows (kernel, sparse copy,
// four probe blocks, gathered rows), for the memory guard.
double estimateChebyshevBytes(std::size_t m, std::size_t cols, std::size_t probes);

}  // namespace dse
