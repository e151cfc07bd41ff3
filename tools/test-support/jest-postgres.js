// Jest options that give a project's tests a real PostgreSQL: spread them into the preset's extra options.
const { join } = require('node:path');

module.exports = {
  globalSetup: join(__dirname, 'src/postgres.global-setup.ts'),
  globalTeardown: join(__dirname, 'src/postgres.global-teardown.ts'),
};
