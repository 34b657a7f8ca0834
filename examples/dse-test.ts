// SPDX-License-Identifier: MIT
// The reference package's DSE self-test, ported: diffusion spectral entropy of random vectors,
// with the eigenvalues saved to a file and loaded back (float16 and float64), the classic
// Shannon entropy, the entropy of the diffusion matrix's entries, and the adjacency spectral
// entropy of the kNN, Gaussian and anisotropic Gaussian adjacency matrices.
// Build and run: npx tsc -p examples/tsconfig.json && node examples/build/dse-test.js [--seed 0]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffusionSpectralEntropy, adjacencySpectralEntropy, type Matrix } from 'dse-dsmi';
import { Rng, uniformMatrix, flags } from './util';

async function main(): Promise<void> {
  const { seed } = flags({ seed: 0 });
  const rng = new Rng(seed);
  const vectors = (): Matrix => uniformMatrix(rng, 1000, 256);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dse-test-'));
  const cache = path.join(folder, 'eigenvalues.npz');
  try {
    console.log("DSE self-test (port of the reference package's dse.py script).");

    console.log('\nRun 1: DSE of 1000 uniform random vectors in 256 dimensions; eigenvalues not saved.');
    console.log(`DSE = ${await diffusionSpectralEntropy(vectors())}`);

    console.log('\nRun 2: new random vectors; the eigenvalues are saved as float16 (the value may move a little).');
    console.log(
      `DSE = ${await diffusionSpectralEntropy(vectors(), { eigvalSavePath: cache, eigvalSavePrecision: 'float16' })}`,
    );

    console.log('\nRun 3: the float16 eigenvalues of run 2 loaded back from the file (no vectors needed).');
    console.log(`DSE = ${await diffusionSpectralEntropy(null, { eigvalSavePath: cache })}`);
    fs.rmSync(cache);

    console.log('\nRun 4: new random vectors; the eigenvalues are saved as float64.');
    console.log(
      `DSE = ${await diffusionSpectralEntropy(vectors(), { eigvalSavePath: cache, eigvalSavePrecision: 'float64' })}`,
    );

    console.log('\nRun 5: the float64 eigenvalues of run 4 loaded back: the same value as run 4.');
    console.log(`DSE = ${await diffusionSpectralEntropy(null, { eigvalSavePath: cache })}`);
    fs.rmSync(cache);

    console.log('\nRun 6: classic Shannon entropy (CSE) of the binned vectors.');
    console.log(`CSE = ${await diffusionSpectralEntropy(vectors(), { classicShannonEntropy: true })}`);

    console.log('\nRun 7: entropy of the diffusion matrix entries instead of its eigenvalues.');
    console.log(`DSE-matrix-entry = ${await diffusionSpectralEntropy(vectors(), { matrixEntryEntropy: true })}`);

    console.log('\nRun 8: adjacency spectral entropy of the binarised kNN adjacency (k = 10).');
    console.log(
      `KNN binarized adjacency matrix = ` +
        `${await adjacencySpectralEntropy(vectors(), { useKnn: true, knn: 10, verbose: true })}`,
    );

    console.log('\nRun 9: adjacency spectral entropy of the Gaussian adjacency.');
    console.log(
      `Gaussian adjacency matrix = ${await adjacencySpectralEntropy(vectors(), { anisotropic: false, verbose: true })}`,
    );

    console.log('\nRun 10: adjacency spectral entropy of the anisotropic Gaussian adjacency.');
    console.log(
      `Anisotropic Gaussian adjacency matrix = ` +
        `${await adjacencySpectralEntropy(vectors(), { anisotropic: true, verbose: true })}`,
    );
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
