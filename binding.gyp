# SPDX-License-Identifier: MIT
# node-gyp build of the same addon as CMakeLists.txt (node-gyp-build falls back to it when no
# prebuild matches). The source list below is the one list (CMakeLists.txt reads it through
# native/build-config.js, which also holds both builds' warnings); both link the OpenBLAS that
# native/find-openblas.js finds. Environment: DSE_BLAS=none builds with Eigen only;
# DSE_OPENBLAS_LIB=/path/to/libopenblas.{a,so} picks the library; DSE_WERROR=1 makes warnings errors.
{
  "variables": {
    "openblas_lib%": "<!(node native/find-openblas.js)"
  },
  "targets": [
    {
      "target_name": "dse_dsmi",
      "sources": [
        "native/addon.cc",
        "native/binding/chebyshev.cc",
        "native/binding/cluster.cc",
        "native/binding/common.cc",
        "native/binding/cse.cc",
        "native/binding/info.cc",
        "native/binding/slq.cc",
        "native/binding/spectra.cc",
        "native/binding/worker.cc",
        "native/core/bulge.cc",
        "native/core/chebyshev.cc",
        "native/core/cluster.cc",
        "native/core/cluster_affinity.cc",
        "native/core/cluster_eigen.cc",
        "native/core/cluster_knn.cc",
        "native/core/cluster_qr.cc",
        "native/core/cse.cc",
        "native/core/gfortran_stub.c",
        "native/core/kernel.cc",
        "native/core/linalg.cc",
        "native/core/slq.cc",
        "native/core/slq_krylov.cc",
        "native/core/slq_tiles.cc",
        "native/core/spectra.cc",
        "native/core/threads.cc",
        "native/core/twostage.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "EIGEN_MPL2_ONLY"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++14", "-std=gnu++17"],
      "cflags": ["-O3", "-fno-math-errno", "-ffp-contract=off", "-fvisibility=hidden",
                 "-isystem", "<(module_root_dir)/native/vendor/eigen", "<!@(node native/build-config.js warnings)"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-fno-math-errno", "-ffp-contract=off", "-fvisibility=hidden"],
      "ldflags": ["-Wl,-z,now", "-static-libstdc++", "-static-libgcc"],
      "conditions": [
        ["openblas_lib!=''", {
          "defines": ["DSE_HAVE_LAPACK"],
          "libraries": ["<(openblas_lib)", "-lpthread", "-lm"],
          "ldflags": ["-Wl,--exclude-libs,ALL"]
        }]
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
