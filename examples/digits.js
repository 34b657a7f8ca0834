// SPDX-License-Identifier: MIT
// Diffusion spectral entropy of the bundled handwritten digits (1797 x 64), at a few kernel
// bandwidths and diffusion times. Run: npm run demo (after npm ci).
'use strict';
const path = require('path');
const { readNpy, diffusionSpectralEntropy, buildInfo } = require('..');

async function main() {
  const x = readNpy(path.join(__dirname, '..', 'data', 'digits_X.npy'));
  const X = { data: Float64Array.from(x.data), rows: x.shape[0], cols: x.shape[1] };
  const info = buildInfo();
  console.log(`digits: ${X.rows} x ${X.cols}; ${info.blas}, ${info.threads} threads (${info.source})`);
  console.log('sigma     t   DSE (bits)   seconds');
  for (const sigma of [5, 10, 20]) {
    for (const t of [1, 2, 5]) {
      const t0 = process.hrtime.bigint();
      const h = await diffusionSpectralEntropy(X, { gaussianKernelSigma: sigma, t });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log(`${String(sigma).padEnd(8)} ${String(t).padStart(2)}   ${h.toFixed(6).padStart(10)}   ${s.toFixed(3)}`);
    }
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
