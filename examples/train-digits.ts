// SPDX-License-Identifier: MIT
// A real training run, tracked with DseTracker: a small MLP (64-128-64-10) learns the bundled
// handwritten digits with TensorFlow.js (pure-JS CPU backend), once with the true labels
// (generalisation) and once with shuffled labels (memorisation). After every epoch the
// penultimate layer's activations go to the tracker, which computes DSE(Z), DSMI(Z;Y) with the
// labels the network is trained on, and DSMI(Z;X) with the input images (clustered once).
// Both runs end up in one HTML report.
//
// Build and run (about 2 minutes):
//   npx tsc -p examples/tsconfig.json && node examples/build/train-digits.js --out training-report.html
// Flags: --epochs 30 --eval-rows 0 (0: all 1797) --sigma 5 --seed 42 --lr 0.003 --out FILE --csv FILE
//        --no-report --json
import * as tf from '@tensorflow/tfjs';
import {
  DseTracker,
  pythonRandomSample,
  traceReport,
  writeReportFile,
  type TraceRecord,
  loadDigits,
} from 'dse-dsmi';
import { flags } from './util';
import * as fs from 'fs';

const options = flags({
  epochs: 30,
  evalRows: 0,
  sigma: 5,
  seed: 42,
  lr: 0.003,
  batchSize: 32,
  out: 'training-report.html',
  csv: '',
  noReport: false,
  json: false,
});

interface RunResult {
  name: string;
  accuracy: number[];
  records: TraceRecord[];
}

/** The MLP, with seeded initialisers so that every run starts from the same weights. */
function buildModel(seed: number, lr: number): { model: tf.Sequential; penultimate: tf.LayersModel } {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [64], units: 128, activation: 'relu', kernelInitializer: init(0), name: 'hidden' }));
  model.add(tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init(1), name: 'penultimate' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(2), name: 'output' }));
  model.compile({ optimizer: tf.train.adam(lr), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const penultimate = tf.model({ inputs: model.inputs, outputs: model.getLayer('penultimate').output });
  return { model, penultimate };
}

async function train(
  name: string,
  x: tf.Tensor2D,
  trainLabels: Int32Array,
  evalRows: number[],
  tracker: DseTracker,
): Promise<RunResult> {
  const { model, penultimate } = buildModel(options.seed, options.lr);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(trainLabels, 'int32'), 10).toFloat());
  const xEval = tf.gather(x, evalRows);
  const accuracy: number[] = [];
  for (let epoch = 0; epoch <= options.epochs; epoch++) {
    let acc = Number.NaN;
    if (epoch > 0) {
      // shuffle: false keeps the run repeatable (tfjs would shuffle with Math.random).
      const h = await model.fit(x, y, { epochs: 1, batchSize: options.batchSize, shuffle: false, verbose: 0 });
      acc = Number(h.history.acc[0]);
    }
    accuracy.push(acc);
    // The tensor goes to the tracker as it is: it reads shape and dataSync() itself.
    const Z = penultimate.predict(xEval) as tf.Tensor2D;
    const r = await tracker.record({ epoch, layer: name, embeddings: Z });
    Z.dispose();
    if (!options.json)
      console.log(
        `${name.padEnd(30)} epoch ${String(epoch).padStart(2)}  train acc ${Number.isNaN(acc) ? '  -  ' : acc.toFixed(3)}` +
          `  DSE(Z) ${r.dse.toFixed(3)}  DSMI(Z;Y) ${r.dsmiY!.toFixed(3)}  DSMI(Z;X) ${r.dsmiX!.toFixed(3)}  (${r.seconds.toFixed(2)} s)`,
      );
  }
  xEval.dispose();
  y.dispose();
  model.dispose();
  return { name, accuracy, records: tracker.results() };
}

async function main(): Promise<void> {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const started = Date.now();
  const digits = loadDigits();
  const N = digits.X.rows;
  const x = tf.tensor2d(Float32Array.from(digits.X.data, (v) => v / 16), [N, 64]);
  const trueLabels = digits.y;
  const permutation = pythonRandomSample(options.seed, N, N);
  const shuffledLabels = Int32Array.from(permutation, (i) => trueLabels[i]);
  // The rows the embeddings are measured on (all of them by default).
  const evalRows = options.evalRows > 0 ? pythonRandomSample(options.seed + 1, N, options.evalRows).sort((a, b) => a - b) : [...Array(N).keys()];
  const pick = <T extends Int32Array>(labels: T) => Int32Array.from(evalRows, (i) => labels[i]);
  const inputs = { data: Float64Array.from(evalRows.flatMap((i) => Array.from(digits.X.data.subarray(i * 64, (i + 1) * 64)))), rows: evalRows.length, cols: 64 };
  const common = { inputs, gaussianKernelSigma: options.sigma, randomSeed: 0 };

  const generalising = new DseTracker({ ...common, labels: pick(trueLabels) });
  const a = await train('true labels', x, trueLabels, evalRows, generalising);
  // The second run reuses the first run's clusters of the same inputs.
  const memorising = new DseTracker({ ...common, labels: pick(shuffledLabels), inputClusters: await generalising.inputClusters() });
  const b = await train('shuffled labels (memorisation)', x, shuffledLabels, evalRows, memorising);
  x.dispose();

  const records = [...a.records, ...b.records];
  const seconds = (Date.now() - started) / 1000;
  if (!options.noReport) {
    const doc = traceReport(records, {
      title: 'MLP on handwritten digits: DSE and DSMI of the penultimate layer',
      subtitle: `TensorFlow.js ${tf.version.tfjs} (cpu), 64-128-64-10 MLP, Adam lr ${options.lr}, batch ${options.batchSize}, ${options.epochs} epochs, seed ${options.seed}`,
      paragraphs: [
        'The same network, from the same initial weights, trained on the true digit labels (generalisation) and on ' +
          'shuffled labels (memorisation). After each epoch the 64 activations of the penultimate layer of ' +
          `${evalRows.length} training images are measured. DSMI(Z;Y) uses the labels each run is trained on; ` +
          'DSMI(Z;X) uses the images, clustered once into 10 clusters.',
        `Final training accuracy: ${a.accuracy.at(-1)!.toFixed(3)} with true labels, ${b.accuracy.at(-1)!.toFixed(3)} with shuffled labels.`,
      ],
      seriesTitle: 'Run',
      runOptions: { 'true labels': generalising.options(), 'shuffled labels (memorisation)': memorising.options() },
      meta: { 'total seconds': seconds },
    });
    const bytes = await writeReportFile(options.out, doc);
    if (!options.json) console.log(`\nReport: ${options.out} (${(bytes / 1024).toFixed(1)} KB)`);
  }
  if (options.csv) {
    fs.writeFileSync(options.csv, generalising.toCsv() + memorising.toCsv().split('\n').slice(1).join('\n'));
  }
  if (options.json) console.log(JSON.stringify({ runs: [a, b], seconds }, null, 1));
  else console.log(`Done in ${seconds.toFixed(1)} s`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
