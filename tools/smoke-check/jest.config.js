module.exports = require('../../jest.preset.js').project(__dirname, {
  testTimeout: 60_000,
  // The end-to-end spec starts the built services as real processes.
  maxWorkers: 1,
});
