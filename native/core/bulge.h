// SPDX-License-Identifier: MIT
// The tasks of the bulge chasing that takes a symmetric band matrix (lower band of width kd)
// to tridiagonal form: the second stage of the two-stage reduction, eigenvalues only.
#pragma once

namespace dse {
namespace bulge {

// One task of sweep `sweep` on columns st..ed, with the arguments and the storage of LAPACK's
// xSB2ST_KERNELS (UPLO = 'L', WANTZ = false; 1-based st, ed and sweep), so that its schedule
// (linalg.cc, bandToTridiagonal) is LAPACK's. The same transformations, computed differently:
// each task's level-2 steps are fused into at most two passes over its block, in fixed-order
// vector loops, instead of a dozen BLAS calls on vectors of length kd. Results agree with
// LAPACK's to rounding, and are the same bits on every CPU and for any number of workers.
//   ttype 1: the reflector that zeroes column st - 1 below its subdiagonal, then as ttype 3;
//   ttype 2: that reflector applied from the right to the kd x kd block below the diagonal
//            block, and the next reflector, which restores that block's first column, from
//            the left;
//   ttype 3: a reflector applied from both sides to the diagonal block st..ed.
// A: the band and room for the bulges, column-major with leading dimension lda = 2 kd + 1
// (A(i, j) at A[i - j + j lda], 0-based). V, tau: 2 n + 1 entries (reflectors of two sweeps in
// flight). work: kd entries.
// Which task myid (1-based) of sweep `sweep` is, in LAPACK's numbering (xSYTRD_SB2ST): its type,
// its columns st..ed (1-based), and whether it is the sweep's last.
struct TaskShape {
  int ttype, st, ed;
  bool last;
};
inline TaskShape taskShape(int myid, int sweep, int n, int kd) {
  const int ttype = myid == 1 ? 1 : myid % 2 + 2;
  const int colpt = ttype == 2 ? (myid / 2) * kd + sweep : ((myid + 1) / 2) * kd + sweep;
  const int st = colpt - kd + 1, ed = colpt < n ? colpt : n;
  int blockLast = ttype == 2 ? colpt : 0;
  if (ttype != 2 && st >= ed - 1 && ed == n) blockLast = n;
  return {ttype, st, ed, blockLast >= n - 1};
}

void task(int ttype, int st, int ed, int sweep, int n, int kd, double* A, int lda, double* V, double* tau,
          double* work);
void task(int ttype, int st, int ed, int sweep, int n, int kd, float* A, int lda, float* V, float* tau, float* work);

}  // namespace bulge
}  // namespace dse
