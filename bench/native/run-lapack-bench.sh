#!/usr/bin/env bash
# Builds bench/native/lapack-bench.cc against the same static OpenBLAS as the addon and runs it.
# Usage: bench/native/run-lapack-bench.sh N THREADS METHOD [KD] [REPEAT]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lib="${DSE_OPENBLAS_LIB:-$(cd "$here/../.." && node native/find-openblas.js)}"
out="${TMPDIR:-/tmp}/dse-lapack-bench"
core="$here/../../native/core"
if [ ! -x "$out" ] || [ "$here/lapack-bench.cc" -nt "$out" ] || [ "$core/linalg.cc" -nt "$out" ] || [ "$core/kernel.cc" -nt "$out" ] || [ "$core/bulge.cc" -nt "$out" ] || [ "$core/threads.cc" -nt "$out" ] || [ "$core/layout.h" -nt "$out" ]; then
  gcc -O2 -c -o "$out-stub.o" "$here/../../native/core/gfortran_stub.c"
  g++ -O3 -fno-math-errno -ffp-contract=off -std=c++17 -DDSE_HAVE_LAPACK -I"$here/../../native/vendor/eigen" -o "$out" "$here/lapack-bench.cc" \
    "$core/linalg.cc" "$core/kernel.cc" "$core/bulge.cc" "$core/threads.cc" "$out-stub.o" "$lib" -lpthread -lm
fi
exec "$out" "$@"
