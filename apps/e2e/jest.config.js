module.exports = require('../../jest.preset.js').project(__dirname, {
  ...require('../../tools/test-support/jest-postgres.js'),
  testTimeout: 60_000,
  // The suites start real service processes; one at a time keeps two cores responsive.
  maxWorkers: 1,
});
