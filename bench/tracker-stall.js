// SPDX-License-Identifier: MIT
// The longest stall of the main thread while DseTracker.record() runs, at 10000 x 256
// (docs/internals/event-loop.md). A setInterval(1 ms) probe notes the largest gap between two
// of its ticks; the native work is kept small (DSE at maxN 1000, given input clusters) so
// that what is measured is the main thread's own share of a record. First a control: the same
// probe while only native work runs (DSE calls of 1000 x 64 back to back, no large JS work), the
// floor a busy machine puts under any measurement.
//   node bench/tracker-stall.js [path to the package's dist/index.js] [epochs]
'use strict';
const path = require('path');
const dist = path.resolve(process.argv[2] || path.join(__dirname, '..', 'dist', 'index.js'));
const epochs = Number(process.argv[3] || 3);
const { DseTracker, diffusionSpectralEntropy } = require(dist);

function uniform(rows, cols, seed) {
  let s = seed >>> 0;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32;
  }
  return { data, rows, cols };
}

/** Runs `work` under a setInterval(1 ms) probe; returns the longest gap between ticks (ms). */
async function probe(work) {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  await work();
  longest = Math.max(longest, performance.now() - last);
  clearInterval(timer);
  return longest;
}

async function main() {
  const small = uniform(1000, 64, 7);
  const floor = await probe(async () => {
    const t0 = performance.now();
    while (performance.now() - t0 < 3000) await diffusionSpectralEntropy(small, { gaussianKernelSigma: 10 });
  });
  console.log(`control (native work only, 3 s): longest gap ${floor.toFixed(1)} ms`);
  const N = 10000;
  const D = 256;
  const labels = Int32Array.from({ length: N }, (_, i) => i % 10);
  const inputs = uniform(N, D, 1);
  const inputClusters = Int32Array.from({ length: N }, (_, i) => (i * 7) % 10);
  const tracker = new DseTracker({ labels, inputs, inputClusters, maxN: 1000, gaussianKernelSigma: 10 });
  const stalls = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const Z = uniform(N, D, 100 + epoch);
    const started = performance.now();
    const longest = await probe(() => tracker.record({ epoch, embeddings: Z }));
    stalls.push(longest);
    console.log(
      `epoch ${epoch}: record ${(performance.now() - started).toFixed(0)} ms, longest main-thread stall ` +
        `${longest.toFixed(1)} ms`,
    );
  }
  console.log(`longest stall over ${epochs} records: ${Math.max(...stalls).toFixed(1)} ms`);
}
main();
