// SPDX-License-Identifier: MIT
// Method 'slq': see slq.h. This file is the estimator; the tiled kernel is built by kernel.cc and
// applied by slq_tiles.cc, the deflation and Lanczos stages are slq_krylov.cc (slq_parts.h).
#include "slq.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <Eigen/Dense>

#include "blas.h"
#include "cancel.h"
#include "linalg.h"
#include "parallel.h"
#include "random.h"
#include "slq_parts.h"

namespace dse {

namespace {

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kEps = 2.220446049250313e-16;  // 2^-52, numpy's eps
// Allowance for storing K in float32 (relative rounding 2^-24 per entry; docs/internals/slq.md).
constexpr double kFloat32Allowance = 0x1.0p-22;

using random::splitmix;
using slq::deflate;
using slq::Deflation;
using slq::kRowChunk;
using slq::lanczos;
using slq::normalAt;
using slq::quadrature;
using slq::TiledKernel;
using slq::Tridiagonals;

// ---------------------------------------------------------------------------------------------
// The estimator.

// |x|^t and g(x) = |x|^t ln |x|^t (0 at x = 0). The reference takes |lambda|, so the rounding
// noise around 0 (tiny negative Ritz values and quadrature nodes) counts with its modulus.
inline double powAbs(double x, double t) { return std::pow(std::abs(x), t); }
inline double gFun(double x, double t) {
  const double a = std::abs(x);
  if (!(a > 0)) return 0;
  return std::pow(a, t) * (t * std::log(a));
}
// c(p) = (p + eps) log2(p + eps) - p log2 p, without cancellation.
inline double epsTerm(double p) {
  if (!(p > 0)) return kEps * std::log2(kEps);
  return kEps * std::log2(p + kEps) + p * std::log1p(kEps / p) / kLn2;
}

struct ProbeFeatures {
  // per probe: remainder estimates of tr P f(K) P for f = |x|^t, g, x, x^2
  std::vector<double> pw, g, x1, x2;
  std::vector<std::vector<double>> nodes, weights;
};

// lengthFraction < 1 keeps that fraction of the steps of each probe that ran all `steps` (a
// probe that stopped early found an invariant subspace: its quadrature is exact as it is).
ProbeFeatures features(const Tridiagonals& T, std::size_t steps, double t, double nrem, double lengthFraction) {
  ProbeFeatures f;
  const std::size_t M = T.probes;
  f.pw.resize(M);
  f.g.resize(M);
  f.x1.resize(M);
  f.x2.resize(M);
  f.nodes.resize(M);
  f.weights.resize(M);
  for (std::size_t j = 0; j < M; ++j) {
    const std::size_t full = T.alpha[j].size();
    std::size_t len = full;
    if (lengthFraction < 1 && full >= steps)
      len = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(lengthFraction * full)));
    quadrature(T.alpha[j], T.beta[j], len, f.nodes[j], f.weights[j]);
    double pw = 0, g = 0, x1 = 0, x2 = 0;
    for (std::size_t l = 0; l < f.nodes[j].size(); ++l) {
      const double x = f.nodes[j][l], w = f.weights[j][l];
      pw += w * powAbs(x, t);
      g += w * gFun(x, t);
      x1 += w * x;
      x2 += w * x * x;
    }
    f.pw[j] = nrem * pw;
    f.g[j] = nrem * g;
    f.x1[j] = nrem * x1;
    f.x2[j] = nrem * x2;
  }
  return f;
}

struct Knowns {
  double n = 0, nrem = 0, t = 1;
  double trace = 0, frob2 = 0;  // of K
  double T1 = 0, T2 = 0;        // tr(P K P), tr(P K^2 P)
  double dT1 = 0, dT2 = 0;      // bounds on their rounding errors (they are differences)
  double Zdef = 0, Gdef = 0;    // deflated contributions to Z and tr g(K)
  const std::vector<double>* theta = nullptr;
};

// Which control variates an estimate uses: bit 0 = x (tr P K P), bit 1 = x^2 (tr P K^2 P).
using CvMask = unsigned;

// Mean of y over `idx` minus its least-squares regression on the zero-mean control variates
// selected by `mask` (c1 = per-probe x estimate - T1, c2 = per-probe x^2 estimate - T2).
double controlled(const std::vector<double>& y, const std::vector<double>& c1, const std::vector<double>& c2,
                  const std::vector<std::size_t>& idx, CvMask mask) {
  const double m = static_cast<double>(idx.size());
  double ym = 0, a = 0, b = 0;
  for (std::size_t i : idx) {
    ym += y[i];
    a += c1[i];
    b += c2[i];
  }
  ym /= m;
  a /= m;
  b /= m;
  if (idx.size() < 6 || mask == 0) return ym;
  // Normal equations of the centred regression y ~ beta1 c1 + beta2 c2.
  double s11 = 0, s12 = 0, s22 = 0, s1y = 0, s2y = 0;
  for (std::size_t i : idx) {
    const double u = c1[i] - a, v = c2[i] - b, z = y[i] - ym;
    s11 += u * u;
    s12 += u * v;
    s22 += v * v;
    s1y += u * z;
    s2y += v * z;
  }
  const bool use1 = (mask & 1u) && s11 > 0, use2 = (mask & 2u) && s22 > 0;
  double beta1 = 0, beta2 = 0;
  const double det = s11 * s22 - s12 * s12;
  if (use1 && use2 && det > 1e-10 * s11 * s22) {
    beta1 = (s22 * s1y - s12 * s2y) / det;
    beta2 = (s11 * s2y - s12 * s1y) / det;
  } else if (use1 && (!use2 || s11 * s22 == 0 || s11 >= s22)) {
    beta1 = s1y / s11;
  } else if (use2) {
    beta2 = s2y / s22;
  }
  return ym - beta1 * a - beta2 * b;
}

double entropyFrom(const ProbeFeatures& f, const Knowns& k, const std::vector<std::size_t>& idx, CvMask mask,
                   double* Zout = nullptr) {
  double Z, G;
  if (k.nrem > 0 && !idx.empty()) {
    std::vector<double> c1(f.x1.size()), c2(f.x2.size());
    for (std::size_t i = 0; i < c1.size(); ++i) {
      c1[i] = f.x1[i] - k.T1;
      c2[i] = f.x2[i] - k.T2;
    }
    G = k.Gdef + controlled(f.g, c1, c2, idx, mask);
    if (k.t == 1) Z = k.trace;
    else if (k.t == 2) Z = k.frob2;
    else Z = k.Zdef + controlled(f.pw, c1, c2, idx, mask);
  } else {
    G = k.Gdef;
    Z = k.t == 1 ? k.trace : k.t == 2 ? k.frob2 : k.Zdef;
  }
  if (!(Z > 0) || !std::isfinite(Z))
    throw NumericError("slq: the estimated sum of |eigenvalue|^t is not positive; the entropy is undefined");
  if (Zout) *Zout = Z;
  const double H0 = std::log2(Z) - G / (Z * kLn2);
  // The reference's +eps on every p: exact on the deflated values, by quadrature on the rest.
  double C = 0;
  for (double th : *k.theta) C += epsTerm(powAbs(th, k.t) / Z);
  if (k.nrem > 0 && !idx.empty()) {
    double acc = 0;
    for (std::size_t j : idx) {
      double e = 0;
      for (std::size_t l = 0; l < f.nodes[j].size(); ++l)
        e += f.weights[j][l] * epsTerm(powAbs(f.nodes[j][l], k.t) / Z);
      acc += e;
    }
    C += k.nrem * acc / static_cast<double>(idx.size());
  }
  return H0 - C;
}

// Jackknife standard error over the probes of the estimate with control variates `mask`.
double jackknife(const ProbeFeatures& f, const Knowns& k, CvMask mask) {
  const std::size_t M = f.g.size();
  std::vector<double> loo(M);
  std::vector<std::size_t> idx;
  idx.reserve(M);
  for (std::size_t j = 0; j < M; ++j) {
    idx.clear();
    for (std::size_t i = 0; i < M; ++i)
      if (i != j) idx.push_back(i);
    loo[j] = entropyFrom(f, k, idx, mask);
  }
  const double mean = std::accumulate(loo.begin(), loo.end(), 0.0) / static_cast<double>(M);
  double ss = 0;
  for (double v : loo) ss += (v - mean) * (v - mean);
  return std::sqrt(ss * static_cast<double>(M - 1) / static_cast<double>(M));
}

SlqEstimate estimateOne(const SlqRequest& req, const Subset& subset, std::size_t index, std::size_t threads,
                        const std::atomic<std::int32_t>* cancel) {
  const std::size_t n = subset.size;
  const double t = req.t;
  SlqEstimate est;
  est.n = static_cast<double>(n);
  if (t == 0) {  // |lambda|^0 = 1 for every eigenvalue (numpy's 0.0 ** 0 is 1): p = 1/n
    const double p = 1.0 / static_cast<double>(n) + kEps;
    est.value = -static_cast<double>(n) * p * std::log2(p);
    return est;
  }
  const std::uint64_t streamBase = 3 * static_cast<std::uint64_t>(index);
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  auto t0 = Clock::now();
  TiledKernel K(n);
  K.build(req.X, subset.rows, req.kernel, threads, cancel);
  est.kernelSeconds = since(t0);
  checkpoint(cancel);
  t0 = Clock::now();
  Deflation D = deflate(K, req.options, streamBase, threads, cancel);
  est.deflationSeconds = since(t0);
  t0 = Clock::now();
  Knowns k;
  k.n = static_cast<double>(n);
  k.nrem = static_cast<double>(n - D.k());
  k.t = t;
  k.trace = K.trace();
  k.frob2 = K.frobenius2();
  k.T1 = k.trace;
  k.T2 = k.frob2;
  for (std::size_t i = 0; i < D.k(); ++i) {
    k.T1 -= D.theta[i];
    k.T2 -= D.kuNorm2[i];
    k.Zdef += powAbs(D.theta[i], t);
    k.Gdef += gFun(D.theta[i], t);
  }
  const std::size_t ritz = D.k() - (D.exactTop ? 1 : 0);
  if (ritz > 0) {
    // T1 and T2 subtract Rayleigh quotients computed with float32 products (per-tile sums of up
    // to `tile` terms): each is off by up to ~gamma lambda_max (K is entrywise >= 0, so
    // |u|^T K |u| <= lambda_max), gamma = 2^-24 (2 + sqrt(tile)); counted as sqrt(k) + 1 such
    // errors, twice over. When the remainder is tiny next to the deflated part (steep spectra)
    // these bounds exceed T1, T2 themselves and the control variates are not used.
    const double gamma = 0x1.0p-24 * (2 + std::sqrt(static_cast<double>(K.tile())));
    const double lmax = std::abs(D.theta[D.exactTop ? 1 : 0]), count = std::sqrt(static_cast<double>(ritz)) + 1;
    k.dT1 = 2 * gamma * lmax * count;
    k.dT2 = 4 * gamma * lmax * lmax * count;
  }
  k.theta = &D.theta;
  est.deflated = static_cast<double>(D.k());
  // Deterministic error allowances: the deflated pairs' O((|r| / theta)^2) and float32 storage.
  // Storage: rounding G to float32 perturbs K by E with entries ~ 2^-24 |K_ij| / sqrt(3), whose
  // eigenvalues fill [-R, R], R = 2 2^-24 sqrt(|K|_F^2 / (3 n)) (semicircle, mean modulus
  // 0.42 R). Where the true remainder eigenvalues are below that, n such values of modulus
  // r0 = 0.42 R add up to n p0 (log2(1 / p0) + 1 / ln 2), p0 = r0^t / Z, to the entropy (a
  // bound that matched the measured effect within a factor 1.5).
  const double r0 = 0.42 * 2 * 0x1.0p-24 * std::sqrt(k.frob2 / (3 * static_cast<double>(n)));
  // Deflation: u^T f(K) u - f(theta) = sum_j c_j^2 [f(l_j) - f(theta) - f'(theta)(l_j - theta)]
  // over the eigenpairs (l_j, v_j) mixed into u, |r|^2 = sum_j c_j^2 (l_j - theta)^2: at most
  // |f''(theta)| |r|^2 / 2 for nearby l_j, plus (|r| / theta)^2 (|f(theta)| + theta |f'(theta)|)
  // for l_j near 0; for f = g (into G) and f = |x|^t (into Z, when Z is estimated).
  auto systematic = [&](double Z, double H) {
    const double p0 = powAbs(r0, t) / Z;
    double e = p0 > 0 ? static_cast<double>(n) * p0 * (std::abs(std::log2(p0)) + 1 / kLn2) : 0;
    const double GoverZ = kLn2 * (std::log2(Z) - H);
    const double dHdZ = std::abs(1 + GoverZ) / (Z * kLn2), dHdG = 1 / (Z * kLn2);
    const bool zEstimated = t != 1 && t != 2;
    for (std::size_t i = 0; i < D.k(); ++i) {
      const double th = std::abs(D.theta[i]), r2 = std::max(0.0, D.kuNorm2[i] - th * th);
      if (!(r2 > 0) || !(th > 0)) continue;
      const double lt = std::log(th), xt = std::pow(th, t);
      const double g = t * xt * lt, g1 = t * xt / th * (t * lt + 1),
                   g2 = t * xt / (th * th) * ((t - 1) * (t * lt + 1) + t);
      const double p1 = t * xt / th, p2 = t * (t - 1) * xt / (th * th);
      const double rho = r2 / (th * th);
      e += dHdG * (0.5 * std::abs(g2) * r2 + rho * (std::abs(g) + th * std::abs(g1)));
      if (zEstimated) e += dHdZ * (0.5 * std::abs(p2) * r2 + rho * (xt + th * std::abs(p1)));
    }
    return e + kFloat32Allowance * (1 + std::abs(H));
  };
  if (D.k() >= n) {  // the Krylov space was the whole space: every eigenvalue is known
    std::vector<std::size_t> none;
    ProbeFeatures empty;
    double Z = 0;
    est.value = entropyFrom(empty, k, none, 0, &Z);
    est.systematicError = systematic(Z, est.value);
    est.standardError = est.systematicError;
    est.lanczosSeconds = since(t0);
    return est;
  }
  Tridiagonals T = lanczos(K, D, req.options, streamBase, threads, cancel);
  const std::size_t M = T.probes;
  std::vector<std::size_t> all(M);
  std::iota(all.begin(), all.end(), 0);
  const ProbeFeatures f = features(T, req.options.steps, t, k.nrem, 1.0);
  // The control variates to use: the set with the smallest total error, counting for each one
  // used the effect of its known trace's rounding bound on the value.
  double bestTotal = std::numeric_limits<double>::infinity();
  CvMask best = 0;
  double bestValue = 0, bestProbe = 0, bestBias = 0, bestZ = 0;
  for (CvMask mask = 0; mask < 4; ++mask) {
    double Z = 0;
    const double value = entropyFrom(f, k, all, mask, &Z);
    const double probe = jackknife(f, k, mask);
    double bias = 0;
    if (mask & 1u) {
      Knowns shifted = k;
      shifted.T1 += k.dT1;
      bias += std::abs(entropyFrom(f, shifted, all, mask) - value);
    }
    if (mask & 2u) {
      Knowns shifted = k;
      shifted.T2 += k.dT2;
      bias += std::abs(entropyFrom(f, shifted, all, mask) - value);
    }
    const double total = std::sqrt(probe * probe + bias * bias);
    if (total < bestTotal) {
      bestTotal = total;
      best = mask;
      bestValue = value;
      bestProbe = probe;
      bestBias = bias;
      bestZ = Z;
    }
  }
  est.value = bestValue;
  est.probeError = bestProbe;
  est.systematicError = systematic(bestZ, est.value) + bestBias;
  // Quadrature truncation: the same probes with half the steps. Gauss quadrature of x ln x
  // (t = 1) converges like steps^-2 (measured), so H(s/2) - H(s) ~ 3 err(s); half of that
  // difference is the (slightly conservative) estimate of err(s).
  const ProbeFeatures fHalf = features(T, req.options.steps, t, k.nrem, 0.5);
  est.quadratureError = 0.5 * std::abs(est.value - entropyFrom(fHalf, k, all, best));
  est.standardError = std::sqrt(est.probeError * est.probeError + est.quadratureError * est.quadratureError +
                                est.systematicError * est.systematicError);
  est.lanczosSeconds = since(t0);
  return est;
}

void checkRequest(const SlqRequest& req) {
  if (req.kernel.kind == KernelKind::Knn)
    throw NumericError("slq: the kNN adjacency is not symmetric; method 'slq' needs a symmetric kernel");
  if (req.options.probes < 4) throw NumericError("slq: probes must be >= 4");
  if (req.options.steps < 2) throw NumericError("slq: steps must be >= 2");
  if (!(req.t >= 0) || !std::isfinite(req.t)) throw NumericError("slq: t must be finite and >= 0");
}

}  // namespace

double slqNormal(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  return normalAt(splitmix(seed, stream), index);
}

std::vector<SlqEstimate> runSlq(const SlqRequest& req, const Control& control) {
  checkRequest(req);
  const std::size_t total = req.subsets.size();
  std::vector<SlqEstimate> out(total);
  const std::size_t threads = threadsFor(control.maxThreads);
  // Every BLAS call below is single-threaded inside our own parallel regions.
  linalg::BlasThreadsScope blasScope(1);
  for (std::size_t s = 0; s < total; ++s) {
    checkpoint(control.cancel);
    out[s] = estimateOne(req, req.subsets[s], s, threads, control.cancel);
    if (control.progress) control.progress(s + 1, total);
  }
  return out;
}

double estimateSlqBytes(const SlqRequest& req, std::size_t threads) {
  double peak = 0;
  for (const auto& s : req.subsets) {
    const double n = static_cast<double>(s.size), d = static_cast<double>(req.X.cols);
    if (req.t == 0) continue;
    const TileLayout tiling = TileLayout::forRows(s.size);
    const double T = static_cast<double>(tiling.tile);
    const double tiles = static_cast<double>(tiling.size()) * 4.0;
    const double nbd = std::ceil(n / T);
    // Building: centred rows, per-thread Gram scratch, partial row sums.
    const double build = n * d * 8 + static_cast<double>(threads) * T * T * 8 + 2 * n * nbd * 8;
    const double b = static_cast<double>(std::min<std::size_t>(req.options.blockSize, s.size));
    const double cap = std::min(n, b * static_cast<double>(req.options.blockIterations));
    const double cols = std::max(cap, b);
    // apply(): float32 copy of the block and per-thread float32 scratch.
    auto applyBytes = [&](double c) { return n * c * 4 + static_cast<double>(threads) * T * c * 4; };
    // Deflation: B, KB (n x cap) + Ritz residual chunks, then U (n x k <= cap).
    const double krylov = 2 * n * cap * 8 + applyBytes(b) + static_cast<double>(threads) * 2 * kRowChunk * cols * 8 +
                          cols * cols * 8 * 3 + n * cap * 8;
    const double M = static_cast<double>(req.options.probes);
    const double lanczosBytes = n * cap * 8 + 3 * n * M * 8 + applyBytes(M);
    peak = std::max(peak, tiles + std::max({build, krylov, lanczosBytes}));
  }
  return peak;
}

}  // namespace dse
