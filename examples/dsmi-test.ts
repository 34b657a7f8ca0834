// SPDX-License-Identifier: MIT
// The reference package's DSMI self-test, ported: mutual information between random embeddings
// and several kinds of references (class labels, scalars, flattened images), then a two-class
// data set measured with DSMI, CSMI, matrix-entry DSMI and the three adjacency variants (ASMI).
// Build and run: npx tsc -p examples/tsconfig.json && node examples/build/dsmi-test.js [--seed 0]
import {
  diffusionSpectralMutualInformation,
  adjacencySpectralMutualInformation,
  type MutualInformationResult,
} from 'dse-dsmi';
import { Rng, uniformMatrix, classificationData, flags } from './util';

async function main(): Promise<void> {
  const { seed } = flags({ seed: 0 });
  const rng = new Rng(seed);
  const show = (label: string, r: MutualInformationResult) => console.log(`${label} = ${r.value}`);
  console.log("DSMI self-test (port of the reference package's dsmi.py script).");

  console.log('\nRun 1: DSMI of random embeddings [1000 x 256] with random class labels 0..10.');
  const labels = Int32Array.from({ length: 1000 }, () => Math.floor(rng.uniform(0, 11)));
  show('DSMI', await diffusionSpectralMutualInformation(uniformMatrix(rng, 1000, 256), labels));

  console.log('\nRun 2: DSMI of random embeddings with continuous scalars in [-1, 1) (binned into 10).');
  const scalars = Float64Array.from({ length: 1000 }, () => rng.uniform(-1, 1));
  show('DSMI', await diffusionSpectralMutualInformation(uniformMatrix(rng, 1000, 256), scalars));

  console.log('\nRun 3: DSMI of random embeddings with random 3 x 32 x 32 images, flattened (spectral clustering).');
  const images = uniformMatrix(rng, 1000, 3 * 32 * 32, -1, 1);
  show('DSMI', await diffusionSpectralMutualInformation(uniformMatrix(rng, 1000, 256), images));

  console.log('\nRun 4: DSMI of a two-class data set [1000 x 5] with its labels.');
  let data = classificationData(rng, 1000, 5);
  show('DSMI', await diffusionSpectralMutualInformation(data.X, data.y));

  console.log('\nRun 5: classic Shannon mutual information (CSMI) of a new two-class data set.');
  data = classificationData(rng, 1000, 5);
  show('CSMI', await diffusionSpectralMutualInformation(data.X, data.y, { classicShannonEntropy: true }));

  console.log('\nRun 6: DSMI on the entries of the diffusion matrix instead of its eigenvalues.');
  data = classificationData(rng, 1000, 5);
  show('DSMI-matrix-entry', await diffusionSpectralMutualInformation(data.X, data.y, { matrixEntryEntropy: true }));

  console.log('\nRun 7: adjacency spectral mutual information (ASMI) with the binarised kNN adjacency.');
  data = classificationData(rng, 1000, 5);
  show('ASMI-KNN', await adjacencySpectralMutualInformation(data.X, data.y, { useKnn: true }));

  console.log('\nRun 8: ASMI with the Gaussian adjacency.');
  data = classificationData(rng, 1000, 5);
  show('ASMI-Gaussian-Adj', await adjacencySpectralMutualInformation(data.X, data.y));

  console.log('\nRun 9: ASMI with the anisotropic (normalised) Gaussian adjacency.');
  data = classificationData(rng, 1000, 5);
  show('ASMI-Anisotropic-Adj', await adjacencySpectralMutualInformation(data.X, data.y, { anisotropic: true }));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
