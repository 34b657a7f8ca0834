// SPDX-License-Identifier: MIT
// `--help` of the bench scripts: the comment block that opens the script (from line 3 to the first
// line that is not a comment), printed without its comment markers.
'use strict';
const fs = require('fs');

/** Prints the opening comment of `file` (a bench script's __filename) and exits 0. */
function printUsage(file) {
  const all = fs.readFileSync(file, 'utf8').split('\n').slice(2);
  const lines = all.slice(
    0,
    all.findIndex((l) => !l.startsWith('//')),
  );
  process.stdout.write(lines.map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}

module.exports = { printUsage };
