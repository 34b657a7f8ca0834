// SPDX-License-Identifier: MIT
// Deterministic synthetic inputs shared by the benches, scripts/soak.js and the tests
// (test/helpers.ts): the same seed gives the same matrix everywhere.
'use strict';

/** Uniform [0, 1) rows x cols matrix from a 32-bit LCG. */
function uniform(rows, cols, seed = 1) {
  const data = new Float64Array(rows * cols);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32;
  }
  return { data, rows, cols };
}

/** Ten Gaussian blobs in `cols` dimensions (centres ~ N(0, 25 I), unit spread): a slowly decaying spectrum. */
function blobs(rows, cols, seed = 3) {
  let s = seed >>> 0;
  const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
  const g = () => Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: 10 }, () => Array.from({ length: cols }, () => 5 * g()));
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const c = centres[Math.floor(r() * 10)];
    for (let j = 0; j < cols; j++) data[i * cols + j] = c[j] + g();
  }
  return { data, rows, cols };
}

module.exports = { uniform, blobs };
