// SPDX-License-Identifier: MIT
// What binding.gyp and CMakeLists.txt share, printed for either (node native/build-config.js WHAT):
//   sources   the addon's sources: the list in binding.gyp, the one list (CMake reads it here)
//   warnings  the compiler warnings of both builds; DSE_WERROR=1 (CI) makes them errors
// The OpenBLAS library both link is native/find-openblas.js's.
'use strict';
const fs = require('fs');
const path = require('path');

const WARNINGS = ['-Wall', '-Wextra', '-Wno-unused-parameter'];

function gypSources() {
  // binding.gyp is JSON but for its # comments.
  const text = fs.readFileSync(path.join(__dirname, '..', 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '');
  return JSON.parse(text).targets[0].sources;
}

const what = process.argv[2];
if (what === 'sources') process.stdout.write(gypSources().join(';'));
else if (what === 'warnings') {
  const flags = process.env.DSE_WERROR === '1' ? [...WARNINGS, '-Werror'] : WARNINGS;
  process.stdout.write(flags.join(process.argv[3] === '--cmake' ? ';' : ' '));
} else {
  process.stderr.write('usage: node native/build-config.js sources|warnings [--cmake]\n');
  process.exit(1);
}
