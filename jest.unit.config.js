// `npm run test:unit`: the fast loop (about a minute on 2 idle cores). Everything but the tests
// that pack and install the package, compile it (builds, examples), drive Chromium (report) or
// train a network (training); `npm test` runs those too.
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/', '/test/(pack|builds|examples|report|training)\\.test\\.ts$'],
};
