// SPDX-License-Identifier: MIT
// Prints the OpenBLAS library binding.gyp should link (the static archive if there is one),
// or nothing, in which case the addon is built with Eigen's own solvers.
// DSE_BLAS=none forces the Eigen build; DSE_OPENBLAS_LIB=/path/libopenblas.{a,so} picks one.
'use strict';
const fs = require('fs');

function find() {
  const mode = (process.env.DSE_BLAS || 'auto').toLowerCase();
  if (mode === 'none') return '';
  if (process.env.DSE_OPENBLAS_LIB) return process.env.DSE_OPENBLAS_LIB;
  const dirs = [
    '/usr/lib/x86_64-linux-gnu/openblas-pthread',
    '/usr/lib/aarch64-linux-gnu/openblas-pthread',
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/local/lib',
    '/usr/lib64',
    '/usr/lib',
    '/opt/OpenBLAS/lib',
  ];
  for (const name of ['libopenblas.a', 'libopenblas.so']) {
    for (const dir of dirs) {
      const p = `${dir}/${name}`;
      if (fs.existsSync(p)) return p;
    }
  }
  if (mode === 'openblas') {
    process.stderr.write('dse-dsmi: DSE_BLAS=openblas but no OpenBLAS found (apt-get install libopenblas-dev)\n');
    process.exit(1);
  }
  return '';
}

process.stdout.write(find());
