// SPDX-License-Identifier: MIT
// LAPACK timing probe behind docs/internals/performance-history.md: times the eigenvalue drivers and the steps of
// the two-stage reduction on the package's own kind of matrix (the diffusion kernel of uniform
// X, N x D), so that driver choice, band width and thread policy are decided from numbers.
// Build and run: bench/native/run-lapack-bench.sh [args]   (see usage below)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../../native/core/bulge.h"
#include "../../native/core/kernel.h"
#include "../../native/core/linalg.h"

using flen = std::size_t;
extern "C" {
void dsyrk_(const char*, const char*, const int*, const int*, const double*, const double*, const int*, const double*,
            double*, const int*, flen, flen);
void dsyevd_(const char*, const char*, const int*, double*, const int*, double*, double*, const int*, int*, const int*,
             int*, flen, flen);
void dsyevd_2stage_(const char*, const char*, const int*, double*, const int*, double*, double*, const int*, int*,
                    const int*, int*, flen, flen);
void dsyevr_(const char*, const char*, const char*, const int*, double*, const int*, const double*, const double*,
             const int*, const int*, const double*, int*, double*, double*, const int*, int*, double*, const int*, int*,
             const int*, int*, flen, flen, flen);
void ssyevd_(const char*, const char*, const int*, float*, const int*, float*, float*, const int*, int*, const int*,
             int*, flen, flen);
void ssyevd_2stage_(const char*, const char*, const int*, float*, const int*, float*, float*, const int*, int*,
                    const int*, int*, flen, flen);
void dsytrd_(const char*, const int*, double*, const int*, double*, double*, double*, double*, const int*, int*, flen);
void dsytrd_sy2sb_(const char*, const int*, const int*, double*, const int*, double*, const int*, double*, double*,
                   const int*, int*, flen);
void dsytrd_sb2st_(const char*, const char*, const char*, const int*, const int*, double*, const int*, double*,
                   double*, double*, const int*, double*, const int*, int*, flen, flen, flen);
void dsterf_(const int*, double*, double*, int*);
void ssterf_(const int*, float*, float*, int*);
void dsb2st_kernels_(const char*, const int*, const int*, const int*, const int*, const int*, const int*, const int*,
                     const int*, double*, const int*, double*, double*, const int*, double*, flen);
void ssb2st_kernels_(const char*, const int*, const int*, const int*, const int*, const int*, const int*, const int*,
                     const int*, float*, const int*, float*, float*, const int*, float*, flen);
void dgemm_(const char*, const char*, const int*, const int*, const int*, const double*, const double*, const int*,
            const double*, const int*, const double*, double*, const int*, flen, flen);
void openblas_set_num_threads(int);
}

#include <sys/resource.h>
// Process CPU seconds (user + system): on a busy machine a single-threaded step's CPU time
// stays close to its wall time on an idle one.
static double cpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

static double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The diffusion kernel K of uniform X (n x d), sigma: a full column-major n x n.
static void diffusionKernel(int n, int d, double sigma, std::vector<double>& K) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> X(static_cast<size_t>(n) * d);
  for (auto& v : X) v = u(rng);
  K.assign(static_cast<size_t>(n) * n, 0.0);
  const double one = 1, zero = 0;
  dsyrk_("U", "T", &n, &d, &one, X.data(), &d, &zero, K.data(), &n, 1, 1);
  std::vector<double> nrm(n), r(n, 0.0);
  for (int i = 0; i < n; ++i) nrm[i] = K[i + static_cast<size_t>(i) * n];
  for (int j = 0; j < n; ++j)
    for (int i = 0; i <= j; ++i) {
      double d2 = std::max(0.0, nrm[i] + nrm[j] - 2 * K[i + static_cast<size_t>(j) * n]);
      if (i == j) d2 = 0;
      double g = std::exp(-d2 / (2 * sigma * sigma));
      K[i + static_cast<size_t>(j) * n] = g;
      r[i] += g;
      if (i != j) r[j] += g;
    }
  for (int j = 0; j < n; ++j)
    for (int i = 0; i <= j; ++i) K[i + static_cast<size_t>(j) * n] /= std::sqrt(r[i] * r[j]);
  // Both triangles, so that either can be read.
  for (int j = 0; j < n; ++j)
    for (int i = j + 1; i < n; ++i) K[i + static_cast<size_t>(j) * n] = K[j + static_cast<size_t>(i) * n];
}

static void check(int info, const char* what) {
  if (info != 0) {
    std::fprintf(stderr, "%s: info %d\n", what, info);
    std::exit(1);
  }
}

template <typename T, typename Fn>
static void syevd(Fn fn, int n, T* A, T* w) {
  int info = 0, lwork = -1, liwork = -1, iwq = 0;
  T wq = 0;
  fn("N", "U", &n, A, &n, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
  lwork = static_cast<int>(wq) + 1;
  liwork = std::max(1, iwq);
  std::vector<T> work(lwork);
  std::vector<int> iwork(liwork);
  fn("N", "U", &n, A, &n, w, work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  check(info, "syevd");
}

// The bulge chasing alone (band to tridiagonal, then xSTERF), one core, on a random band of width
// kd: LAPACK's xSB2ST_KERNELS against ours (bulge.cc), both driven in the schedule linalg.cc uses
// for one worker (groups of 16 sweeps, LAPACK's wavefront order within a group). Returns the
// seconds of the chasing; the eigenvalues go to d.
template <typename T>
static double chaseBulges(bool ours, int n, int kd, const std::vector<T>& band, std::vector<T>& d) {
  const int lda = 2 * kd + 1, ib = 16, ldv = kd + ib, wantz = 0;
  std::vector<T> A(static_cast<size_t>(lda) * n, T(0)), V(2 * static_cast<size_t>(n) + 1),
      tau(2 * static_cast<size_t>(n) + 1), work(2 * static_cast<size_t>(kd) + 2), e(n);
  for (int j = 0; j < n; ++j)
    std::copy(band.begin() + static_cast<size_t>(j) * (kd + 1), band.begin() + static_cast<size_t>(j + 1) * (kd + 1),
              A.begin() + static_cast<size_t>(j) * lda);
  const double t0 = now();
  const int sweeps = n - 1, group = 16;
  for (int first = 1; first <= sweeps; first += group) {
    const int last = std::min(first + group - 1, sweeps);
    int open = first;
    for (int i = first; open <= last; ++i) {
      const int upto = std::min(i, last);
      for (int m = 1; m <= 3; ++m) {
        for (int s = open; s <= upto; ++s) {
          const int myid = (i - s) * 3 + m;
          const dse::bulge::TaskShape t = dse::bulge::taskShape(myid, s, n, kd);
          if (ours) {
            dse::bulge::task(t.ttype, t.st, t.ed, s, n, kd, A.data(), lda, V.data(), tau.data(), work.data());
          } else if constexpr (sizeof(T) == 8) {
            dsb2st_kernels_("L", &wantz, &t.ttype, &t.st, &t.ed, &s, &n, &kd, &ib, A.data(), &lda, V.data(),
                            tau.data(), &ldv, work.data(), 1);
          } else {
            ssb2st_kernels_("L", &wantz, &t.ttype, &t.st, &t.ed, &s, &n, &kd, &ib, A.data(), &lda, V.data(),
                            tau.data(), &ldv, work.data(), 1);
          }
          if (t.last) ++open;
        }
      }
    }
  }
  const double t = now() - t0;
  d.resize(n);
  for (int i = 0; i < n; ++i) d[i] = A[static_cast<size_t>(i) * lda];
  for (int i = 0; i + 1 < n; ++i) e[i] = A[static_cast<size_t>(i) * lda + 1];
  int info = 0;
  if constexpr (sizeof(T) == 8) dsterf_(&n, d.data(), e.data(), &info);
  else ssterf_(&n, d.data(), e.data(), &info);
  check(info, "xsterf");
  return t;
}

template <typename T>
static void compareBulgeChasing(int n, int kd, int repeat) {
  std::vector<T> band(static_cast<size_t>(kd + 1) * n);
  std::mt19937 g(1);
  std::uniform_real_distribution<double> u(-1, 1);
  for (auto& x : band) x = static_cast<T>(u(g));
  std::vector<T> dl, d;
  double lapack = 1e30, ours = 1e30;
  for (int r = 0; r < repeat; ++r) {  // alternated, best of each
    lapack = std::min(lapack, chaseBulges<T>(false, n, kd, band, dl));
    ours = std::min(ours, chaseBulges<T>(true, n, kd, band, d));
  }
  double diff = 0, scale = 0;
  for (int i = 0; i < n; ++i) {
    diff = std::max(diff, static_cast<double>(std::abs(dl[i] - d[i])));
    scale = std::max(scale, static_cast<double>(std::abs(dl[i])));
  }
  std::printf("bulge %s n=%d kd=%d (best of %d): LAPACK's kernels %.3f s, ours %.3f s (%.2fx); eigenvalues max |diff| %.2e "
              "(%.1e of the largest)\n",
              sizeof(T) == 8 ? "float64" : "float32", n, kd, repeat, lapack, ours, lapack / ours, diff, diff / scale);
  if constexpr (sizeof(T) == 4) {
    // Each float32 result against the float64 eigenvalues of the same (float) band.
    std::vector<double> band64(band.begin(), band.end()), exact;
    chaseBulges<double>(true, n, kd, band64, exact);
    double errLapack = 0, errOurs = 0;
    for (int i = 0; i < n; ++i) {
      errLapack = std::max(errLapack, std::abs(dl[i] - exact[i]));
      errOurs = std::max(errOurs, std::abs(d[i] - exact[i]));
    }
    std::printf("  max |error| against float64: LAPACK's kernels %.2e, ours %.2e\n", errLapack, errOurs);
  }
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: lapack-bench N THREADS METHOD [KD] [REPEAT]\n"
                 "  METHOD: dsyevd | dsyevdL | dsyevd_2stage | dsyevr | ssyevd | ssyevd_2stage | dsytrd | steps | dgemm\n"
                 "          gram (KD = D) | twostage | twostage1 | stwostage (ours, kd = KD) | determinism\n"
                 "          panels | spanels (ours with the first stage on panels of width KD)\n"
                 "          verify (ours: the same bits for 1-4 workers, and close to dsyevd_2stage)\n"
                 "          bulge | sbulge (the bulge chasing alone: LAPACK's kernels against ours, one core)\n"
                 "  steps: dsytrd_sy2sb(KD) + dsytrd_sb2st(KD) + dsterf, timed one by one\n");
    return 2;
  }
  const int n = std::atoi(argv[1]);
  const int threads = std::atoi(argv[2]);
  const std::string method = argv[3];
  const int kd = argc > 4 ? std::atoi(argv[4]) : 32;
  const int repeat = argc > 5 ? std::atoi(argv[5]) : 1;
  const int d = 256;
  std::vector<double> K0;
  openblas_set_num_threads(2);
  diffusionKernel(n, d, 10.0, K0);
  openblas_set_num_threads(threads);
  std::vector<double> w(n);
  for (int rep = 0; rep < repeat; ++rep) {
    std::vector<double> A(method == "kernel" || method == "subset" ? std::vector<double>() : K0);
    double t0 = now();
    const double c0 = cpu();
    if (method == "dsyevd") {
      syevd<double>(dsyevd_, n, A.data(), w.data());
    } else if (method == "dsyevdL") {
      // The same matrix through its lower triangle (mirror the upper one first, untimed).
      for (int j = 0; j < n; ++j)
        for (int i = j + 1; i < n; ++i) A[i + static_cast<size_t>(j) * n] = A[j + static_cast<size_t>(i) * n];
      t0 = now();
      int info = 0, lwork = -1, liwork = -1, iwq = 0;
      double wq = 0;
      dsyevd_("N", "L", &n, A.data(), &n, w.data(), &wq, &lwork, &iwq, &liwork, &info, 1, 1);
      lwork = static_cast<int>(wq) + 1;
      liwork = std::max(1, iwq);
      std::vector<double> work(lwork);
      std::vector<int> iwork(liwork);
      dsyevd_("N", "L", &n, A.data(), &n, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
      check(info, "dsyevd L");
    } else if (method == "dsyevd_2stage") {
      syevd<double>(dsyevd_2stage_, n, A.data(), w.data());
    } else if (method == "ssyevd" || method == "ssyevd_2stage") {
      std::vector<float> Af(A.begin(), A.end()), wf(n);
      t0 = now();
      syevd<float>(method == "ssyevd" ? ssyevd_ : ssyevd_2stage_, n, Af.data(), wf.data());
      std::copy(wf.begin(), wf.end(), w.begin());
    } else if (method == "kernel" || method == "subset") {
      // The DSMI-labels unit of work: rows of a random subset of size N of a 10000 x 256 X, the
      // diffusion kernel built single-threaded (kernel), then its eigenvalues too (subset).
      static std::vector<double> X;
      static std::vector<std::int32_t> rows;
      if (X.empty()) {
        std::mt19937_64 rng(7);
        std::uniform_real_distribution<double> u(0, 1);
        X.resize(10000 * 256);
        for (auto& v : X) v = u(rng);
        std::vector<std::int32_t> all(10000);
        for (int i = 0; i < 10000; ++i) all[i] = i;
        std::shuffle(all.begin(), all.end(), rng);
        rows.assign(all.begin(), all.begin() + n);
      }
      openblas_set_num_threads(1);
      dse::InputMatrix in;
      in.data = X.data();
      in.rows = 10000;
      in.cols = 256;
      dse::KernelSpec spec;
      static std::vector<double> M(static_cast<size_t>(n) * n);  // reused, as runSpectra's workers do
      static dse::KernelScratch<double> scratch;
      t0 = now();
      const double k0 = cpu();
      dse::buildKernel<double>(in, rows.data(), n, spec, M.data(), 1, &scratch);
      const double k1 = cpu();
      if (method == "subset") dse::linalg::symEigvals(M.data(), n, w.data());
      else w.assign(n, 0.0);
      std::printf("kernel %.2f ms cpu, eigenvalues %.2f ms cpu\n", 1e3 * (k1 - k0), 1e3 * (cpu() - k1));
    } else if (method == "gram") {
      // Issue 3's alternative: the Gram of all 10000 rows once, then each subset's block gathered
      // from it, against one dsyrk per subset (N = subset size, KD = D). Single thread.
      openblas_set_num_threads(1);
      const int big = 10000, D = kd;
      std::mt19937_64 rng(3);
      std::uniform_real_distribution<double> u(0, 1);
      std::vector<double> X(static_cast<size_t>(big) * D);
      for (auto& v : X) v = u(rng);
      std::vector<int> idx(big);
      for (int i = 0; i < big; ++i) idx[i] = i;
      std::shuffle(idx.begin(), idx.end(), rng);
      idx.resize(n);
      std::vector<double> sub(static_cast<size_t>(n) * D), C(static_cast<size_t>(n) * n);
      const double one = 1, zero = 0;
      double a0 = cpu();
      for (int r = 0; r < n; ++r) std::copy(&X[static_cast<size_t>(idx[r]) * D], &X[static_cast<size_t>(idx[r]) * D] + D, &sub[static_cast<size_t>(r) * D]);
      dsyrk_("L", "T", &n, &D, &one, sub.data(), &D, &zero, C.data(), &n, 1, 1);
      double a1 = cpu();
      static std::vector<double> G;
      if (G.empty()) {
        G.resize(static_cast<size_t>(big) * big);
        openblas_set_num_threads(threads);
        const double g0 = now();
        dsyrk_("L", "T", &big, &D, &one, X.data(), &D, &zero, G.data(), &big, 1, 1);
        for (int j = 0; j < big; ++j)  // mirror: any (i, j) readable from column j
          for (int i = 0; i < j; ++i) G[i + static_cast<size_t>(j) * big] = G[j + static_cast<size_t>(i) * big];
        std::printf("full Gram %d x %d (D = %d, %d threads): dsyrk %.3f s (mirror not timed)\n", big, big, D, threads, now() - g0);
        openblas_set_num_threads(1);
      }
      double b0 = cpu();
      for (int j = 0; j < n; ++j) {
        const double* gc = G.data() + static_cast<size_t>(idx[j]) * big;
        double* cc = C.data() + static_cast<size_t>(j) * n;
        for (int i = j; i < n; ++i) cc[i] = gc[idx[i]];
      }
      double b1 = cpu();
      std::printf("subset m=%d D=%d: gather rows + dsyrk %.2f ms, gather from the full Gram %.2f ms\n", n, D,
                  1e3 * (a1 - a0), 1e3 * (b1 - b0));
    } else if (method == "twostage" || method == "twostage1") {
      // Ours: kd = KD, bulge chasing over THREADS workers (twostage1: one worker).
      dse::linalg::symEigvalsTwoStage(A.data(), n, w.data(), kd, method == "twostage" ? threads : 1);
    } else if (method == "stwostage") {
      std::vector<float> Af(A.begin(), A.end()), wf(n);
      t0 = now();
      dse::linalg::symEigvalsTwoStage(Af.data(), n, wf.data(), kd, threads);
      std::copy(wf.begin(), wf.end(), w.begin());
    } else if (method == "panels" || method == "spanels") {
      // Ours on the panel layout (what the package runs from n = 3000): the kernel copied into
      // panels of width KD (not timed), then symEigvalsPanels, BLAS threads = THREADS.
      const dse::TriangleLayout L = dse::TriangleLayout::panels(n, kd);
      auto run = [&](auto zero) {
        using T = decltype(zero);
        std::vector<T> P(L.size()), wt(n);
        for (int j = 0; j < n; ++j)
          for (int i = j; i < n; ++i) P[L.column(j) + i] = static_cast<T>(A[i + static_cast<size_t>(j) * n]);
        std::vector<double>().swap(A);
        t0 = now();
        dse::linalg::symEigvalsPanels(P.data(), L, wt.data());
        std::copy(wt.begin(), wt.end(), w.begin());
      };
      if (method == "panels") run(0.0);
      else run(0.0f);
    } else if (method == "verify") {
      // Our pipelined two-stage path (kd 32, our bulge-chasing tasks): the same bits for 1..4
      // workers, and the eigenvalues of LAPACK's dsyevd_2stage (kd 32, sequential) to rounding.
      std::vector<double> ref(n), one(n), B(K0);
      dse::linalg::symEigvalsLapack(B.data(), n, ref.data(), 1);
      for (int workers = 1; workers <= 4; ++workers) {
        B = K0;
        dse::linalg::symEigvalsTwoStage(B.data(), n, w.data(), 32, workers);
        if (workers == 1) one = w;
        const bool same = std::memcmp(one.data(), w.data(), sizeof(double) * n) == 0;
        double diff = 0;
        for (int i = 0; i < n; ++i) diff = std::max(diff, std::abs(ref[i] - w[i]));
        std::printf("verify n=%d blas threads=%d workers=%d: %s as 1 worker; max |diff| from dsyevd_2stage %.3e\n", n,
                    threads, workers, same ? "identical bits" : "DIFFERENT bits", diff);
        if (!same || !(diff < 1e-12)) return 1;
      }
    } else if (method == "determinism") {
      // Ours with 1 and with THREADS BLAS threads (and as many workers): the same bits?
      std::vector<double> w1(n), B(K0);
      openblas_set_num_threads(1);
      dse::linalg::symEigvalsTwoStage(B.data(), n, w1.data(), kd, 1);
      openblas_set_num_threads(threads);
      B = K0;
      dse::linalg::symEigvalsTwoStage(B.data(), n, w.data(), kd, threads);
      double diff = 0;
      for (int i = 0; i < n; ++i) diff = std::max(diff, std::abs(w1[i] - w[i]));
      std::printf("determinism n=%d kd=%d 1 vs %d threads: %s (max |diff| %.3e)\n", n, kd, threads,
                  std::memcmp(w1.data(), w.data(), sizeof(double) * n) == 0 ? "identical bits" : "DIFFERENT", diff);
      B = K0;
      openblas_set_num_threads(1);
      dse::linalg::symEigvalsLapack(B.data(), n, w1.data(), 0);
      openblas_set_num_threads(threads);
      B = K0;
      dse::linalg::symEigvalsLapack(B.data(), n, w.data(), 0);
      diff = 0;
      for (int i = 0; i < n; ++i) diff = std::max(diff, std::abs(w1[i] - w[i]));
      std::printf("determinism n=%d dsyevd 1 vs %d threads: %s (max |diff| %.3e)\n", n, threads,
                  std::memcmp(w1.data(), w.data(), sizeof(double) * n) == 0 ? "identical bits" : "DIFFERENT", diff);
    } else if (method == "dsyevr") {
      int m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0, il = 0, iu = 0, one = 1;
      double wq = 0, vl = 0, vu = 0, abstol = 0, z = 0;
      std::vector<int> isuppz(2 * n);
      dsyevr_("N", "A", "U", &n, A.data(), &n, &vl, &vu, &il, &iu, &abstol, &m, w.data(), &z, &one, isuppz.data(), &wq,
              &lwork, &iwq, &liwork, &info, 1, 1, 1);
      lwork = static_cast<int>(wq) + 1;
      liwork = iwq;
      std::vector<double> work(lwork);
      std::vector<int> iwork(liwork);
      dsyevr_("N", "A", "U", &n, A.data(), &n, &vl, &vu, &il, &iu, &abstol, &m, w.data(), &z, &one, isuppz.data(),
              work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1, 1);
      check(info, "dsyevr");
    } else if (method == "dsytrd") {
      std::vector<double> e(n), tau(n);
      int info = 0, lwork = -1;
      double wq = 0;
      dsytrd_("U", &n, A.data(), &n, w.data(), e.data(), tau.data(), &wq, &lwork, &info, 1);
      lwork = static_cast<int>(wq);
      std::vector<double> work(lwork);
      dsytrd_("U", &n, A.data(), &n, w.data(), e.data(), tau.data(), work.data(), &lwork, &info, 1);
      double t1 = now();
      dsterf_(&n, w.data(), e.data(), &info);
      double t2 = now();
      std::printf("dsytrd %.3f s, dsterf %.3f s\n", t1 - t0, t2 - t1);
    } else if (method == "steps" || method == "stepsL") {
      const char* uplo = method == "steps" ? "U" : "L";
      if (method == "stepsL") {
        for (int j = 0; j < n; ++j)
          for (int i = j + 1; i < n; ++i) A[i + static_cast<size_t>(j) * n] = A[j + static_cast<size_t>(i) * n];
      }
      const int ldab = kd + 1;
      std::vector<double> AB(static_cast<size_t>(ldab) * n), tau(n), e(n);
      int info = 0, lwork = -1;
      double wq = 0;
      dsytrd_sy2sb_(uplo, &n, &kd, A.data(), &n, AB.data(), &ldab, tau.data(), &wq, &lwork, &info, 1);
      lwork = static_cast<int>(wq);
      std::vector<double> work(lwork);
      t0 = now();
      const double s0 = cpu();
      dsytrd_sy2sb_(uplo, &n, &kd, A.data(), &n, AB.data(), &ldab, tau.data(), work.data(), &lwork, &info, 1);
      check(info, "sy2sb");
      double t1 = now();
      const double s1 = cpu();
      int lhous = -1;
      lwork = -1;
      double hq = 0;
      dsytrd_sb2st_("Y", "N", uplo, &n, &kd, AB.data(), &ldab, w.data(), e.data(), &hq, &lhous, &wq, &lwork, &info, 1, 1,
                    1);
      lhous = static_cast<int>(hq);
      lwork = static_cast<int>(wq);
      std::vector<double> hous(lhous), work2(lwork);
      openblas_set_num_threads(1);
      dsytrd_sb2st_("Y", "N", uplo, &n, &kd, AB.data(), &ldab, w.data(), e.data(), hous.data(), &lhous, work2.data(),
                    &lwork, &info, 1, 1, 1);
      check(info, "sb2st");
      double t2 = now();
      const double s2 = cpu();
      dsterf_(&n, w.data(), e.data(), &info);
      check(info, "dsterf");
      double t3 = now();
      const double s3 = cpu();
      openblas_set_num_threads(threads);
      std::printf("%s kd=%d: sy2sb %.3f s (cpu %.3f s, %.1f GFLOP/s), sb2st %.3f s (cpu %.3f, 1 thread), dsterf %.3f s (cpu %.3f)\n",
                  uplo, kd, t1 - t0, s1 - s0, 4.0 / 3.0 * n * double(n) * n / (t1 - t0) / 1e9, t2 - t1, s2 - s1, t3 - t2,
                  s3 - s2);
    } else if (method == "dgemm") {
      std::vector<double> C(static_cast<size_t>(n) * n);
      const double one = 1, zero = 0;
      dgemm_("N", "N", &n, &n, &n, &one, K0.data(), &n, A.data(), &n, &zero, C.data(), &n, 1, 1);
      double t1 = now();
      std::printf("dgemm %.1f GFLOP/s\n", 2.0 * n * double(n) * n / (t1 - t0) / 1e9);
    } else if (method == "bulge" || method == "sbulge") {
      if (method == "bulge") compareBulgeChasing<double>(n, kd, repeat);
      else compareBulgeChasing<float>(n, kd, repeat);
      return 0;
    } else {
      std::fprintf(stderr, "unknown method %s\n", method.c_str());
      return 2;
    }
    double t = now() - t0;
    const double c = cpu() - c0;
    if (method != "dgemm") std::sort(w.begin(), w.end());
    std::printf("%s n=%d threads=%d kd=%d: %.3f s wall, %.3f s cpu  (max ev %.15f, min ev %.3e)\n", method.c_str(), n,
                threads, kd, t, c, w[n - 1], w[0]);
    std::fflush(stdout);
  }
  return 0;
}
