module.exports = require('../../jest.preset.js').project(__dirname, {
  ...require('../../tools/test-support/jest-postgres.js'),
  testTimeout: 300_000,
  maxWorkers: 1,
});
