// SPDX-License-Identifier: MIT
// The CLI's one flag table (lib/cli/flags.ts): defaults from the library's rules, one mapping
// from --kind and flags to the library call.
import { Command } from 'commander';
import { FLAGS, KINDS, measureOptions, addMeasureOptions, checkApplicable, functionOf, type FlagName, type Kind } from '../lib/cli/flags';
import { DSE_SPEC, ASE_SPEC, DSMI_SPEC, ASMI_SPEC } from '../lib/options';
import { CLUSTER_SPEC } from '../lib/clusters';

describe('the CLI flag table', () => {
  it("takes every default from the library's option rules", () => {
    const specs = [DSE_SPEC, ASE_SPEC, DSMI_SPEC, ASMI_SPEC, CLUSTER_SPEC] as Record<string, { default: unknown }>[];
    for (const [name, def] of Object.entries(FLAGS)) {
      if (def.option === null || def.default === undefined) continue;
      const rule = specs.map((s) => s[def.option!]).find(Boolean);
      expect({ name, default: def.default }).toEqual({ name, default: rule!.default });
    }
  });

  const flags = { sigma: 3, t: 2, anisotropic: true, knn: 7, bins: 4, seed: 'none', precision: 'float32', maxN: 'none', chebyshev: false, method: 'exact' };
  const names = Object.keys(flags) as FlagName[];
  it.each<[Kind, string, Record<string, unknown>]>([
    ['diffusion', 'diffusionSpectralEntropy', { gaussianKernelSigma: 3, t: 2, randomSeed: null, precision: 'float32', maxN: null }],
    ['entry', 'diffusionSpectralEntropy', { matrixEntryEntropy: true, gaussianKernelSigma: 3, randomSeed: null, precision: 'float32', maxN: null }],
    ['classic', 'diffusionSpectralEntropy', { classicShannonEntropy: true, numBinsPerDim: 4, randomSeed: null, maxN: null }],
    ['adjacency', 'adjacencySpectralEntropy', { gaussianKernelSigma: 3, anisotropic: true, randomSeed: null, precision: 'float32', maxN: null }],
    ['knn', 'adjacencySpectralEntropy', { useKnn: true, knn: 7, randomSeed: null, precision: 'float32', maxN: null }],
  ])('maps --kind %s to %s with exactly the options that apply', (kind, fn, expected) => {
    expect(functionOf(kind, 'diffusionSpectralEntropy', 'adjacencySpectralEntropy')).toBe(fn);
    expect(measureOptions(kind, flags, names)).toEqual(expected);
  });

  it('sets chebyshevApprox only when --chebyshev is given, and the SLQ options with --method slq', () => {
    expect(measureOptions('diffusion', { chebyshev: true }, ['chebyshev'])).toEqual({ chebyshevApprox: true });
    expect(measureOptions('diffusion', { method: 'slq', probes: 8 }, ['method', 'probes'])).toEqual({ method: 'slq', slq: { probes: 8 } });
    expect(() => measureOptions('diffusion', { method: 'exact', probes: 8 }, ['method', 'probes'])).toThrow(/--probes applies only with --method slq/);
  });

  it('refuses a typed flag that does not apply to the kind, naming the kinds it applies to', () => {
    const cmd = addMeasureOptions(new Command().exitOverride());
    cmd.parse(['--kind', 'knn', '--sigma', '2'], { from: 'user' });
    expect(() => checkApplicable(cmd, 'knn')).toThrow('--sigma does not apply to --kind knn (it applies to --kind diffusion, adjacency, entry)');
    expect(Object.keys(KINDS).sort()).toEqual(['adjacency', 'classic', 'diffusion', 'entry', 'knn']);
  });
});
