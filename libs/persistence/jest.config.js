module.exports = require('../../jest.preset.js').project(__dirname, {
  ...require('../../tools/test-support/jest-postgres.js'),
  testTimeout: 60_000,
});
