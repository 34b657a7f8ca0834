// SPDX-License-Identifier: MIT
// Reference cases where distances tie or nearly tie (duplicated rows, a lattice, rows far from
// the origin, identical rows): the kNN graph and the kernel depend on the distance matrix's last
// bits, so these pin scikit-learn's order of arithmetic (fixtures/ties, from ../shared/golden/ties).
import * as fs from 'fs';
import * as path from 'path';
import {
  diffusionSpectralEntropySync,
  adjacencySpectralEntropySync,
  diffusionSpectralMutualInformationSync,
  adjacencySpectralMutualInformationSync,
} from '../lib';
import { FIXTURES, loadMatrix, loadReference, expectClose, type GoldenCase } from './helpers';

type TieCase = GoldenCase & { expected: GoldenCase['expected'] & { atol?: number } };
const cases: TieCase[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ties', 'cases.json'), 'utf8')).cases;

const entropy = {
  diffusionSpectralEntropy: diffusionSpectralEntropySync,
  adjacencySpectralEntropy: adjacencySpectralEntropySync,
};
const mi = {
  diffusionSpectralMutualInformation: diffusionSpectralMutualInformationSync,
  adjacencySpectralMutualInformation: adjacencySpectralMutualInformationSync,
};

function run(c: TieCase): number {
  const X = loadMatrix(path.join('ties', c.args.embeddingVectors));
  if (c.fn in entropy) return entropy[c.fn as keyof typeof entropy](X, c.options as never);
  const ref = loadReference(path.join('ties', c.args.referenceVectors!));
  return mi[c.fn as keyof typeof mi](X, ref, c.options as never).value;
}

describe('golden ties (distances that tie)', () => {
  it('has the 17 cases', () => {
    expect(cases.length).toBe(17);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s matches the reference', (_name, c) => {
    // `expected.atol`, where present, replaces the 1e-10 absolute floor.
    expectClose(run(c), c.expected.value, c.rtol, c.expected.atol ?? 1e-10);
  });
});
