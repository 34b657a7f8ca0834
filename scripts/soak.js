// SPDX-License-Identifier: MIT
// npm run soak: calls every function thousands of times on small inputs and checks that the
// resident memory stays flat (no native leak), then compares 16 concurrent async calls with
// the same calls one by one (no thread oversubscription collapse). Exit 1 on failure.
'use strict';
const d = require('..');
const { encodeNpz, readNpz } = require('../dist/io/npz');

const rounds = Number(process.argv[2] || 1500);
const { uniform: matrix } = require('../bench/synthetic');
const mib = (b) => (b / 1024 / 1024).toFixed(1);

async function one(i) {
  const X = matrix(60 + (i % 40), 5, i + 1);
  const labels = Array.from({ length: X.rows }, (_, k) => k % 3);
  d.diffusionSpectralEntropySync(X, { gaussianKernelSigma: 0.5 });
  await d.diffusionSpectralEntropy(X, { gaussianKernelSigma: 0.5, t: 2 });
  d.adjacencySpectralEntropySync(X, { useKnn: true, knn: 5 });
  await d.adjacencySpectralEntropy(X, { anisotropic: true });
  d.diffusionSpectralEntropySync(X, { matrixEntryEntropy: true });
  d.diffusionSpectralEntropySync(X, { classicShannonEntropy: true });
  await d.diffusionSpectralMutualInformation(X, labels, { gaussianKernelSigma: 0.5, numRepetitions: 2 });
  d.spectralClusteringSync(X, { nClusters: 3 });
  d.spectralEntropy(d.diffusionEigenvaluesSync(X, { gaussianKernelSigma: 0.5 }));
  readNpz(encodeNpz({ eigvals: { data: X.data, shape: [X.rows, X.cols] } }));
  try {
    d.diffusionSpectralEntropySync({ data: X.data, rows: X.rows + 1, cols: X.cols });
  } catch (e) {
    if (e.code !== 'ERR_DSE_SHAPE') throw e;
  }
  const c = new AbortController();
  const p = d.diffusionSpectralEntropy(X, { signal: c.signal });
  c.abort();
  await p.catch((e) => {
    if (e.name !== 'AbortError') throw e;
  });
}

async function main() {
  const samples = [];
  const warm = Math.floor(rounds / 5);
  const started = Date.now();
  for (let i = 0; i < rounds; i++) {
    await one(i);
    if (i % Math.max(1, Math.floor(rounds / 10)) === 0 || i === rounds - 1) {
      if (global.gc) global.gc();
      samples.push({ i, rss: process.memoryUsage().rss });
    }
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`soak: ${rounds} rounds x 12 calls in ${seconds.toFixed(1)} s`);
  console.log('round   RSS (MiB)');
  for (const s of samples) console.log(`${String(s.i).padStart(5)}   ${mib(s.rss)}`);
  const afterWarm = samples.filter((s) => s.i >= warm);
  const growth = afterWarm[afterWarm.length - 1].rss - afterWarm[0].rss;
  console.log(`RSS growth after warm-up: ${mib(growth)} MiB`);

  const inputs = Array.from({ length: 16 }, (_, i) => matrix(700, 16, i + 7));
  let t = Date.now();
  const seq = [];
  for (const X of inputs) seq.push(await d.diffusionSpectralEntropy(X, { gaussianKernelSigma: 0.7 }));
  const oneByOne = (Date.now() - t) / 1000;
  t = Date.now();
  const par = await Promise.all(inputs.map((X) => d.diffusionSpectralEntropy(X, { gaussianKernelSigma: 0.7 })));
  const together = (Date.now() - t) / 1000;
  console.log(
    `16 DSE (N = 700): one by one ${oneByOne.toFixed(2)} s, all at once ${together.toFixed(2)} s (ratio ` +
      `${(together / oneByOne).toFixed(2)})`,
  );
  const same = par.every((v, i) => v === seq[i]);
  if (!same) throw new Error('concurrent values differ from one-by-one values');
  if (growth > 32 * 1024 * 1024) throw new Error(`resident memory grew by ${mib(growth)} MiB after warm-up`);
  if (together > oneByOne * 1.5) throw new Error('concurrent calls were much slower than one by one');
  console.log('soak: ok');
}

main().catch((e) => {
  console.error(`soak: FAILED: ${e.message}`);
  process.exit(1);
});
