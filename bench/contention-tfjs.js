#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The in-process half of `npm run bench -- --contention`: a TensorFlow.js MLP (pure-JS CPU backend,
// on the main thread) trains on the bundled digits, and after each epoch DseTracker.record() measures
// the penultimate layer (DSE and DSMI with the labels) while the next epoch already trains: the
// native work and the trainer share the cores as they do in a user's training script.
// Prints one JSON line: the record's seconds alone and beside the training, an epoch's seconds alone
// and with the tracker beside it (medians), and the main thread's longest stall while the tracker
// records alone (a 1 ms interval's largest lateness: what the tracker itself holds the event loop).
'use strict';
const path = require('path');

const EPOCHS = 8;

async function main() {
  const tf = require('@tensorflow/tfjs');
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const lib = require(path.join(__dirname, '..', 'dist'));
  const X = lib.readNpy(path.join(__dirname, '..', 'data', 'digits_X.npy'));
  const yArr = lib.readNpy(path.join(__dirname, '..', 'data', 'digits_y.npy'));
  const n = X.shape[0];
  const labels = Int32Array.from(yArr.data, (v) => Number(v));
  const x = tf.tensor2d(
    Float32Array.from(X.data, (v) => Number(v) / 16),
    [n, 64],
  );
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat();
  const init = (k) => tf.initializers.glorotUniform({ seed: 42 + k });
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [64], units: 256, activation: 'relu', kernelInitializer: init(0) }));
  model.add(tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(1), name: 'penultimate' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2) }));
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy' });
  const penultimate = tf.model({ inputs: model.inputs, outputs: model.getLayer('penultimate').output });
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const now = () => Number(process.hrtime.bigint()) / 1e9;

  const fit = async () => {
    const t0 = now();
    await model.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    return now() - t0;
  };
  const embeddings = () => {
    const Z = penultimate.predict(x);
    const data = Z.dataSync();
    Z.dispose();
    return { data: Float64Array.from(data), rows: n, cols: 64 };
  };

  // Alone: epochs without the tracker, then records without training.
  const epochAlone = [];
  for (let e = 0; e < 3; e++) epochAlone.push(await fit());
  const tracker = new lib.DseTracker({ labels, gaussianKernelSigma: 5 });
  const recordIdle = [];
  let longestStallMs = 0;
  for (let e = 0; e < 3; e++) {
    const Z = embeddings();
    let last = now();
    const probe = setInterval(() => {
      const t = now();
      longestStallMs = Math.max(longestStallMs, (t - last) * 1000 - 1);
      last = t;
    }, 1);
    const t0 = now();
    await tracker.record({ epoch: e, layer: 'alone', embeddings: Z });
    recordIdle.push(now() - t0);
    clearInterval(probe);
  }
  // Beside: each epoch's record runs while the next epoch trains.
  const epochBeside = [];
  const recordBeside = [];
  let pending = Promise.resolve();
  for (let e = 0; e < EPOCHS; e++) {
    const Z = embeddings();
    const t0 = now();
    await pending;
    pending = tracker.record({ epoch: e, layer: 'beside', embeddings: Z }).then(() => {
      recordBeside.push(now() - t0);
    });
    epochBeside.push(await fit());
  }
  await pending;
  process.stdout.write(
    JSON.stringify({
      rows: n,
      epochs: EPOCHS,
      recordIdleSeconds: median(recordIdle),
      recordBesideSeconds: median(recordBeside),
      epochAloneSeconds: median(epochAlone),
      epochBesideSeconds: median(epochBeside),
      longestStallMs,
    }) + '\n',
  );
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
