#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm run docs`: writes the option tables of docs/options.md from the code, so that they
// cannot drift from it:
//   - each function's options: the names, descriptions and Python keywords from the TSDoc of
//     the option interfaces (lib/options.ts and the others, read with the TypeScript compiler),
//     the defaults from the option rules the functions run with (dist/options.js);
//   - the CLI's measure flags: from the one flag table (dist/cli/flags.js).
// A TSDoc comment that states a default other than its rule's fails the run.
// `--check` writes nothing and exits 1 when the committed file differs (test/docs.test.ts runs it).
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'docs', 'options.md');

const { DSE_SPEC, ASE_SPEC, DSMI_SPEC, ASMI_SPEC, KERNEL_SPEC } = require(path.join(ROOT, 'dist', 'options.js'));
const { CLUSTER_SPEC } = require(path.join(ROOT, 'dist', 'clusters.js'));
const { SLQ_DEFAULTS } = require(path.join(ROOT, 'dist', 'slq.js'));
const { FLAGS, KINDS } = require(path.join(ROOT, 'dist', 'cli', 'flags.js'));

// The functions, the interface of their options and the rules they run with.
const FUNCTIONS = [
  ['diffusionSpectralEntropy', 'lib/options.ts', 'DiffusionSpectralEntropyOptions', DSE_SPEC],
  ['adjacencySpectralEntropy', 'lib/options.ts', 'AdjacencySpectralEntropyOptions', ASE_SPEC],
  ['diffusionSpectralMutualInformation', 'lib/options.ts', 'DiffusionSpectralMutualInformationOptions', DSMI_SPEC],
  ['adjacencySpectralMutualInformation', 'lib/options.ts', 'AdjacencySpectralMutualInformationOptions', ASMI_SPEC],
  [
    'diffusionEigenvalues',
    'lib/options.ts',
    'DiffusionEigenvaluesOptions',
    { gaussianKernelSigma: KERNEL_SPEC.gaussianKernelSigma, precision: KERNEL_SPEC.precision, memoryLimitBytes: KERNEL_SPEC.memoryLimitBytes },
  ],
  ['spectralClustering', 'lib/clusters.ts', 'SpectralClusteringOptions', CLUSTER_SPEC],
];

/** A default as the docs write it. */
function show(value) {
  if (value === null) return '`null`';
  if (value === undefined) return '–';
  if (typeof value === 'string') return `\`'${value}'\``;
  if (typeof value === 'object') return '`{}`';
  return `\`${String(value)}\``;
}

/** The properties of an interface (inherited ones included) with their TSDoc text. */
function interfaceMembers(program, file, name) {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(path.join(ROOT, file));
  let node;
  ts.forEachChild(source, (n) => {
    if (ts.isInterfaceDeclaration(n) && n.name.text === name) node = n;
  });
  if (!node) throw new Error(`gen-docs: no interface ${name} in ${file}`);
  const type = checker.getTypeAtLocation(node);
  return checker.getPropertiesOfType(type).map((p) => ({
    name: p.getName(),
    doc: ts.displayPartsToString(p.getDocumentationComment(checker)).replace(/\s+/g, ' ').trim(),
  }));
}

/** The Python keyword a TSDoc names first (`` `snake_case`: ``), or – when not in the reference. */
function pythonKeyword(doc) {
  const m = /^`([a-z_A-Z]+)`/.exec(doc);
  return m && !/^Not in the reference/.test(doc) ? `\`${m[1]}\`` : '–';
}

/** The description: the TSDoc without its leading keyword and without its "Default ..." sentence. */
function description(doc) {
  return doc
    .replace(/^`[a-z_A-Z]+`(: |\. )?/, '')
    .replace(/^Not in the reference: /, '')
    .replace(/\s*Default[^.]*(\.\d+)?[^.]*\.\s*/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

/** The default a TSDoc states ("Default 10." / "Default `'float16'`."), or undefined. */
function statedDefault(doc) {
  const m = /Default:? ([^;.]+(?:\.\d+[^;.]*)?)[;.]/.exec(doc);
  return m ? m[1].trim() : undefined;
}

/** Whether a TSDoc's stated default agrees with the rule's. */
function agrees(stated, value) {
  if (stated === undefined) return true;
  const first = stated.split(/[ ,(]/)[0].replace(/`/g, '');
  if (value === null) return /^(null|inferred|setMemoryLimit's|none|no)/.test(stated) || first === 'null';
  if (typeof value === 'string') return first === `'${value}'` || first === value;
  if (typeof value === 'object') return true;
  return first === String(value);
}

function optionsTables(program) {
  const out = [];
  for (const [fn, file, iface, spec] of FUNCTIONS) {
    out.push(`### \`${fn}\``, '', `Options of \`${fn}\` and \`${fn}Sync\` (the type \`${iface}\`).`, '');
    out.push('| option | Python keyword | default | meaning |', '|---|---|---|---|');
    // The reference's options first, then ours; each group in the order of the rules.
    const order = Object.keys(spec);
    const members = interfaceMembers(program, file, iface).sort(
      (a, b) => (pythonKeyword(a.doc) === '–') - (pythonKeyword(b.doc) === '–') || order.indexOf(a.name) - order.indexOf(b.name),
    );
    for (const m of members) {
      const rule = spec[m.name];
      if (!rule) throw new Error(`gen-docs: ${iface}.${m.name} has no rule in ${fn}'s spec`);
      const stated = statedDefault(m.doc);
      if (!agrees(stated, rule.default))
        throw new Error(`gen-docs: ${iface}.${m.name}: the TSDoc says "Default ${stated}" but the rule's default is ${JSON.stringify(rule.default)}`);
      const special = { memoryLimitBytes: "`setMemoryLimit`'s", referenceDiscrete: 'inferred (`null`)', slq: 'see `slq` below' };
      const def = special[m.name] ?? show(rule.default);
      out.push(`| \`${m.name}\` | ${pythonKeyword(m.doc)} | ${def} | ${description(m.doc)} |`);
    }
    const extra = Object.keys(spec).filter((k) => !interfaceMembers(program, file, iface).some((m) => m.name === k));
    if (extra.length) throw new Error(`gen-docs: ${fn}'s spec has options its type lacks: ${extra.join(', ')}`);
    out.push('', 'The Promise form also takes `signal` (an `AbortSignal`) and `onProgress(done, total)`.', '');
  }
  out.push('### `slq` (with `method: \'slq\'`)', '', '| option | default | meaning |', '|---|---|---|');
  for (const m of interfaceMembers(program, 'lib/slq.ts', 'SlqOptions'))
    out.push(`| \`slq.${m.name}\` | ${show(SLQ_DEFAULTS[m.name])} | ${description(m.doc)} |`);
  out.push('');
  return out;
}

function flagsTable() {
  const out = ['| flag | option | default | kinds | meaning |', '|---|---|---|---|---|'];
  const all = Object.keys(KINDS).length;
  for (const def of Object.values(FLAGS)) {
    const kinds = def.kinds.length === all ? 'all' : def.kinds.join(', ');
    const choices = def.choices ? ` (${def.choices.join(', ')})` : '';
    out.push(`| \`${def.flags.replace(/\|/g, '\\|')}\` | ${def.option ? `\`${def.option}\`` : '–'} | ${show(def.default)} | ${kinds} | ${def.help.replace(/\|/g, '\\|')}${choices} |`);
  }
  return out;
}

function render() {
  const files = [...new Set(FUNCTIONS.map((f) => f[1])), 'lib/slq.ts'].map((f) => path.join(ROOT, f));
  const program = ts.createProgram(files, { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS });
  return [
    '# Options',
    '',
    '<!-- Generated by `npm run docs` (scripts/gen-docs.js) from the TSDoc of the option types and the',
    '     option rules the functions run with. Do not edit: test/docs.test.ts fails when it differs. -->',
    '',
    'Every option of the library functions, with its default and the Python keyword it stands for',
    '(– : not in the reference), then the measure flags of the `dse` command.',
    '',
    '## Library functions',
    '',
    ...optionsTables(program),
    '## Command-line flags',
    '',
    'The flags of the measure (`dse entropy`, `dse mi`; `--max-n` and the `--cache` flags: `dse entropy`;',
    '`--n-clusters` and `--repetitions`: `dse mi`). A flag typed for a kind it does not apply to is a',
    'usage error.',
    '',
    ...flagsTable(),
    '',
  ].join('\n');
}

const text = render();
if (process.argv.includes('--check')) {
  const now = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  if (now !== text) {
    process.stderr.write('gen-docs: docs/options.md differs from the code; run `npm run docs`\n');
    process.exit(1);
  }
} else {
  fs.writeFileSync(OUT, text);
  process.stdout.write(`gen-docs: wrote ${path.relative(ROOT, OUT)}\n`);
}
