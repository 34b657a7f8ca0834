#!/usr/bin/env bash
# npm run test:sanitize: builds the addon with -fsanitize=address,undefined into build-sanitize/
# (the normal build/ is left alone), then runs the test suite against it with the sanitizer
# runtimes preloaded into node. Any ASan/UBSan report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
npx cmake-js rebuild --out build-sanitize --CDDSE_SANITIZE=ON > build-sanitize.log 2>&1 || { tail -40 build-sanitize.log; exit 1; }
addon="$PWD/build-sanitize/Release/dse_dsmi.node"
asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
log=$(mktemp -d)/sanitizer
export DSE_ADDON_PATH="$addon"
export LD_PRELOAD="$asan:$ubsan"
# Node's own allocations are not ours to judge: leak checking stays off (V8 frees at exit lazily).
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$log:allow_user_segv_handler=1:handle_segv=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$log"
node -e "const i = require('./dist/native').native().buildInfo(); if (!i.sanitize) { console.error('not the sanitizer build'); process.exit(1); }"
suites=${*:-test/diffusionSpectralEntropy.test.ts test/adjacencySpectralEntropy.test.ts test/mutualInformation.test.ts test/spectralEntropy.test.ts test/validation.test.ts test/async.test.ts test/robustness.test.ts}
status=0
npx jest --runInBand $suites || status=$?
if compgen -G "$log*" > /dev/null; then
  echo "sanitizer reports:"; cat "$log"*; exit 1
fi
echo "sanitize: no ASan/UBSan report (addon: $addon)"
exit $status
