#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// `npm run docs`: writes docs/api.md and docs/options.md from the code, so that they cannot
// drift from it:
//   - docs/api.md: every export of lib/index.ts, its signature, its TSDoc and examples, the
//     members of its option and result types, and the error codes;
//   - docs/cli.md: every `dse` command's --help (flags, defaults, examples) from the program
//     itself, with the exit codes and file formats;
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

// The Promise forms' own options, in every options type; the note under each table names them.
const ASYNC_ONLY = new Set(['signal', 'onProgress']);

function optionsTables(program) {
  const out = [];
  for (const [fn, file, iface, spec] of FUNCTIONS) {
    out.push(`### \`${fn}\``, '', `Options of \`${fn}\` and \`${fn}Sync\` (the type \`${iface}\`).`, '');
    out.push('| option | Python keyword | default | meaning |', '|---|---|---|---|');
    // The reference's options first, then ours; each group in the order of the rules.
    const order = Object.keys(spec);
    const members = interfaceMembers(program, file, iface).filter((m) => !ASYNC_ONLY.has(m.name)).sort(
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
    const extra = Object.keys(spec).filter((k) => !members.some((m) => m.name === k));
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

// ---------------------------------------------------------------------------------------------
// docs/api.md

const SECTIONS = [
  ['entropy.ts', 'Entropy'],
  ['spectralEntropy.ts', 'Entropy'],
  ['options.ts', 'Options'],
  ['mi.ts', 'Mutual information'],
  ['slq.ts', 'Large N: method slq'],
  ['clusters.ts', 'Spectral clustering'],
  ['chebyshev.ts', 'Chebyshev approximation'],
  ['plan.ts', 'Async calls'],
  ['cache.ts', 'Eigenvalue cache'],
  ['random.ts', "Python's random"],
  ['info.ts', 'Build, threads and memory'],
  ['memory.ts', 'Build, threads and memory'],
  ['tracker.ts', 'Training loops'],
  ['report', 'Reports'],
  ['io', 'Files'],
  ['data.ts', 'Bundled data'],
  ['scale.ts', 'Choosing sigma'],
  ['errors.ts', 'Errors'],
  ['validate.ts', 'Matrices'],
];

function sectionOf(file) {
  const rel = path.relative(path.join(ROOT, 'lib'), file).split(path.sep).join('/');
  const hit = SECTIONS.find(([f]) => rel === f || rel.startsWith(`${f}/`));
  if (!hit) throw new Error(`gen-docs: no section for lib/${rel}; add it to SECTIONS`);
  return hit[1];
}

/** The TSDoc of a declaration: its text and its @example blocks. */
function docOf(checker, symbol) {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
  const examples = symbol
    .getJsDocTags(checker)
    .filter((t) => t.name === 'example')
    .map((t) => ts.displayPartsToString(t.text).trim());
  return { text, examples };
}

/** `{@link name}` as a link to that export's heading. */
function links(text) {
  return text.replace(/\{@link ([A-Za-z0-9_.]+)\}/g, (_m, name) => `[\`${name}\`](#${name.toLowerCase().replace(/[^a-z0-9]/g, '')})`);
}

function oneLine(text) {
  return text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
}

/** What a declaration looks like, without its body. */
function signature(decl) {
  const text = decl.getText();
  if (ts.isFunctionDeclaration(decl) && decl.body) return text.slice(0, decl.body.getStart() - decl.getStart()).trim().replace(/^export /, '');
  if (ts.isVariableDeclaration(decl)) return `const ${decl.name.getText()}: ${decl.type ? decl.type.getText() : 'unknown'}`;
  if (ts.isTypeAliasDeclaration(decl)) return text.replace(/^export /, '');
  if (ts.isClassDeclaration(decl)) return `class ${decl.name.getText()}${decl.heritageClauses ? ` ${decl.heritageClauses.map((h) => h.getText()).join(' ')}` : ''}`;
  if (ts.isInterfaceDeclaration(decl)) return `interface ${decl.name.getText()}${decl.heritageClauses ? ` ${decl.heritageClauses.map((h) => h.getText()).join(' ')}` : ''}`;
  return text.split('\n')[0];
}

function membersTable(checker, decl) {
  const type = checker.getTypeAtLocation(decl);
  const props = checker.getPropertiesOfType(type);
  if (props.length === 0) return [];
  const rows = ['| member | type | meaning |', '|---|---|---|'];
  for (const p of props) {
    const d = p.valueDeclaration ?? p.declarations?.[0];
    const t = d && (ts.isPropertySignature(d) || ts.isPropertyDeclaration(d)) && d.type ? d.type.getText() : checker.typeToString(checker.getTypeOfSymbolAtLocation(p, decl));
    const optional = p.flags & ts.SymbolFlags.Optional ? '?' : '';
    rows.push(`| \`${p.getName()}${optional}\` | \`${oneLine(t)}\` | ${oneLine(ts.displayPartsToString(p.getDocumentationComment(checker)))} |`);
  }
  return rows;
}

function classMethods(checker, decl) {
  const out = [];
  for (const m of decl.members) {
    if (!(ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m) || ts.isGetAccessorDeclaration(m))) continue;
    if (m.modifiers?.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword)) continue;
    if (m.name && ts.isPrivateIdentifier(m.name)) continue;
    const sym = m.name ? checker.getSymbolAtLocation(m.name) : checker.getSymbolAtLocation(decl.name);
    const head = m.body ? m.getText().slice(0, m.body.getStart() - m.getStart()).trim() : m.getText();
    const doc = ts.isConstructorDeclaration(m)
      ? ts.displayPartsToString(ts.getJSDocCommentsAndTags(m).map((j) => j.comment ?? '').flat()).trim()
      : sym
        ? docOf(checker, sym).text
        : '';
    out.push(`- \`${oneLine(head.replace(/^(public |async )+/, ''))}\`${doc ? `: ${oneLine(doc)}` : ''}`);
  }
  return out;
}

function errorCodes() {
  const src = fs.readFileSync(path.join(ROOT, 'lib', 'errors.ts'), 'utf8');
  const block = src.slice(src.indexOf('export const ERROR_CODES'), src.indexOf('] as const;'));
  const rows = ['| code | meaning |', '|---|---|'];
  for (const m of block.matchAll(/'([A-Z_]+)', \/\/ (.*)/g)) rows.push(`| \`${m[1]}\` | ${m[2]} |`);
  return rows;
}

function renderApi() {
  const index = path.join(ROOT, 'lib', 'index.ts');
  const program = ts.createProgram([index], { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(index));
  const bySection = new Map();
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decl = symbol.valueDeclaration ?? symbol.declarations?.[0];
    if (!decl) continue;
    const section = sectionOf(decl.getSourceFile().fileName);
    const { text, examples } = docOf(checker, symbol);
    const lines = [`### \`${exported.getName()}\``, '', '```ts', signature(decl), '```', ''];
    if (text) lines.push(links(text), '');
    if (ts.isInterfaceDeclaration(decl)) {
      const rows = membersTable(checker, decl);
      if (rows.length) lines.push(...rows, '');
    }
    if (ts.isClassDeclaration(decl)) {
      const methods = classMethods(checker, decl);
      if (methods.length) lines.push(...methods, '');
    }
    for (const e of examples) lines.push(e.startsWith('```') ? e : `\`\`\`ts\n${e}\n\`\`\``, '');
    if (!bySection.has(section)) bySection.set(section, []);
    bySection.get(section).push(lines.join('\n'));
  }
  const order = [...new Set(SECTIONS.map((s) => s[1]))];
  const out = [
    '# API',
    '',
    '<!-- Generated by `npm run docs` (scripts/gen-docs.js) from lib/index.ts and the TSDoc of what it',
    '     exports. Do not edit: test/docs.test.ts fails when it differs. -->',
    '',
    "Every export of `dse-dsmi`. Each computing function has a Promise form (on the addon's compute",
    'thread; it takes `signal` and `onProgress` besides its options) and a `Sync` form (blocks the',
    'calling thread). The options of each function, with defaults and Python keywords:',
    '[options.md](options.md).',
    '',
    ...order.flatMap((name) => (bySection.has(name) ? [`## ${name}`, '', ...bySection.get(name)] : [])),
    '## Error codes',
    '',
    'Every error the package throws or rejects with is a `DseError` with one of these `code`s:',
    '',
    ...errorCodes(),
    '',
  ];
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// docs/cli.md

/** Commands a user can run on the bundled data, each run by test/docs.test.ts (exit 0). */
const CLI_EXAMPLES = [
  'dse demo --no-report',
  'dse entropy data/digits_X.npy --sigma 10 --t 1',
  'dse entropy data/digits_X.npy --kind knn --knn 10 --json',
  'dse mi data/digits_X.npy data/digits_y.npy --sigma 10',
  'dse mi data/digits_X.npy data/digits_X.npy --n-clusters 10 --repetitions 1',
];

function helpOf(argv) {
  const { createProgram } = require(path.join(ROOT, 'dist', 'cli', 'program.js'));
  let text = '';
  const sink = { write: (s) => void (text += s) };
  const program = createProgram({ stdout: sink, stderr: sink, cwd: ROOT, env: {} });
  const cmd = argv.length ? program.commands.find((c) => c.name() === argv[0]) : program;
  cmd.outputHelp();
  return { text: text.trimEnd(), program };
}

function renderCli() {
  const { text: top, program } = helpOf([]);
  const out = [
    '# The `dse` command',
    '',
    '<!-- Generated by `npm run docs` (scripts/gen-docs.js) from the program\'s own --help. Do not edit:',
    '     test/docs.test.ts fails when it differs, and runs every command under "Examples". -->',
    '',
    'Installed with the package (`npx dse ...` in a project that depends on `dse-dsmi`;',
    '`node dist/cli/index.js ...` in a clone). Results go to stdout; errors (one line, `dse: ...`) and',
    'progress bars (only when stderr is a terminal and `CI` is unset) to stderr.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    '| 0 | success (also `--help`, `--version`) |',
    '| 1 | usage: unknown command or flag, missing argument, a flag value no data could make valid (e.g. `--sigma 0x10`; numbers are decimal), a flag that does not apply to the chosen `--kind` |',
    '| 2 | data: a `DseError` about the files or how the values fit them (missing or malformed file, rows that do not match, `--knn` above the number of rows, ...) |',
    '',
    'An output file (`--out`, `--csv`, `--save-clusters`, ...) that is one of the inputs is refused before any work.',
    '',
    '## Files',
    '',
    'Matrices are read from `.npy`, `.npz` (`--key` chooses the array when there are several) and numeric',
    '`.csv`/`.tsv` files: a first line with no number among its fields is a header and is skipped; any other',
    'line is data, and a field that is not a decimal number is an error. 1-D arrays are one column; arrays',
    'with more than 2 dimensions are flattened after the first (images `[N, 3, 32, 32]` become `[N, 3072]`).',
    'Integer files (or CSV fields written as integers) are class labels. The flags of the measure, with the',
    'library option each sets: [options.md](options.md#command-line-flags).',
    '',
    '## Examples',
    '',
    'On the bundled digits, from a clone (in a project: `npx dse ...` and the path of the package\'s `data/`):',
    '',
    '```sh',
    ...CLI_EXAMPLES,
    '```',
    '',
    '## `dse`',
    '',
    '```',
    top,
    '```',
    '',
  ];
  for (const c of program.commands) {
    out.push(`## \`dse ${c.name()}\``, '', '```', helpOf([c.name()]).text, '```', '');
  }
  return out.join('\n');
}

const OUTPUTS = [
  [path.join(ROOT, 'docs', 'options.md'), render],
  [path.join(ROOT, 'docs', 'api.md'), renderApi],
  [path.join(ROOT, 'docs', 'cli.md'), renderCli],
];
module.exports = { CLI_EXAMPLES };
if (require.main !== module) return;
let stale = 0;
for (const [file, make] of OUTPUTS) {
  const text = make();
  if (process.argv.includes('--check')) {
    const now = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (now !== text) {
      process.stderr.write(`gen-docs: ${path.relative(ROOT, file)} differs from the code; run \`npm run docs\`\n`);
      stale++;
    }
  } else {
    fs.writeFileSync(file, text);
    process.stdout.write(`gen-docs: wrote ${path.relative(ROOT, file)}\n`);
  }
}
if (stale) process.exit(1);
