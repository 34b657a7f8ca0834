// SPDX-License-Identifier: MIT
// Spectral entropy of a large symmetric kernel without an eigendecomposition (method 'slq').
//
// The entropy of p_i = |lambda_i|^t / Z, Z = sum |lambda_i|^t, is rewritten as traces:
//   H0 = -sum p_i log2 p_i = log2 Z - tr(g(K)) / (Z ln 2),   g(x) = |x|^t ln |x|^t,
// and the reference's +eps on every p_i is added back as H = H0 - sum_i c(p_i) with
// c(p) = (p + eps) log2(p + eps) - p log2 p = eps log2(p + eps) + p log2(1 + eps / p).
// The traces come from:
//  1. the kernel, built once in float32 as the upper tiles of a symmetric matrix (half of N^2);
//     tr K and ||K||_F^2 = tr K^2 are summed exactly (in float64) while it is built;
//  2. deflation: a block Krylov space (blockSize columns, blockIterations products with K) and
//     its Rayleigh-Ritz pairs; the converged ones (residual <= 1e-2 theta) are the top of the
//     spectrum and contribute f(theta) exactly (tr f(K) = tr(U^T f(K) U) + tr(P f(K) P),
//     P = I - U U^T, and u^T f(K) u = f(theta) + O(|r|^2 / gap^2));
//  3. stochastic Lanczos quadrature for tr(P f(K) P): `probes` Gaussian vectors projected by P
//     and normalised (uniform on the sphere of range(P)), `steps` Lanczos steps each, all
//     probes in lockstep so that every step is one float32 BLAS-3 product with the tiles;
//     the Gauss quadrature nodes/weights of each probe's tridiagonal give its estimate
//     (N - k) sum_l w_l f(theta_l) of tr(P f(K) P);
//  4. control variates: tr(P K P) = tr K - sum theta and tr(P K^2 P) = ||K||_F^2 - sum |K u|^2
//     are known exactly, and the per-probe estimates of those two traces (exact, quadrature is
//     exact for degree <= 2 s - 1) are regressed out of the estimates of tr(P g(K) P) and
//     tr(P |K|^t P);
//  5. the standard error: the jackknife over probes of the whole estimator, combined with the
//     quadrature truncation estimate |H(steps) - H(steps / 2)| / 2 and the systematic allowances
//     (deflated Ritz pairs' residuals, float32 storage of K).
// Z is exact for t = 1 (tr K) and t = 2 (||K||_F^2), estimated for other t; t = 0 is exact.
// Random numbers: SplitMix64 (see slqNormal), so a seed gives the same bits for any number of
// threads (every reduction has a fixed order and every BLAS call is single-threaded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "batch.h"
#include "kernel.h"

namespace dse {

struct SlqOptions {
  std::size_t probes = 16;          // M: probe vectors (>= 4)
  std::size_t steps = 16;           // s: Lanczos steps per probe (>= 2)
  std::size_t blockSize = 32;       // b: columns of the deflation block (0: no deflation)
  std::size_t blockIterations = 6;  // q: products with K for the deflation space (0: none)
  std::uint64_t seed = 0;
};

struct SlqRequest {
  InputMatrix X;
  std::vector<Subset> subsets;  // each gets its own random streams (seeded by seed and index)
  KernelSpec kernel;            // Diffusion, Anisotropic or Gaussian (symmetric kernels only)
  double t = 1;                 // power of |lambda|
  SlqOptions options;
};

struct SlqEstimate {
  double value = 0;             // entropy in bits
  double standardError = 0;     // sqrt(probeError^2 + quadratureError^2 + systematicError^2)
  double probeError = 0;        // jackknife standard error over the probes
  double quadratureError = 0;   // |H(steps) - H(steps / 2)| / 2
  double systematicError = 0;   // deflation O(|r|^2 / theta^2) bound + float32 storage allowance
  double deflated = 0;          // eigenpairs deflated exactly
  double n = 0;                 // rows of the subset
  double kernelSeconds = 0;     // wall time of the stages: kernel tiles,
  double deflationSeconds = 0;  //   block Krylov + Rayleigh-Ritz,
  double lanczosSeconds = 0;    //   Lanczos + estimator
};

// One estimate per subset, in order. Throws NumericError, std::bad_alloc or Cancelled.
std::vector<SlqEstimate> runSlq(const SlqRequest& request, const Control& control);

// Peak working bytes for the largest subset (kernel tiles, gathered rows, Krylov and Lanczos
// blocks, per-thread scratch), for the memory guard in TypeScript.
double estimateSlqBytes(const SlqRequest& request, std::size_t threads);

// The generator: SplitMix64 (Steele, Lea & Flood 2014). Stream key = the `stream`-th output of
// SplitMix64 seeded with `seed`; value i of a stream = output i of SplitMix64 seeded with that
// key, i.e. mix64(key + (i + 1) * 0x9E3779B97F4A7C15). Normal deviate `index` of a stream
// (Box-Muller, cosine branch): u1 = (value(2 index) >> 11 + 1) 2^-53, u2 = (value(2 index + 1)
// >> 11) 2^-53, sqrt(-2 ln u1) cos(2 pi u2). Entry (row r, column c) of an n-row block is index
// c * n + r. Streams: subset s uses 3 s (deflation start block), 3 s + 1 (probes), 3 s + 2
// (replacement vectors when the Krylov space is exhausted).
double slqNormal(std::uint64_t seed, std::uint64_t stream, std::uint64_t index);

}  // namespace dse
