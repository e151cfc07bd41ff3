// One Jest set-up for every project: swc for speed (type-checking is the typecheck target's job),
// tsconfig path aliases through Nx's resolver.
const { readFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const swcrc = JSON.parse(readFileSync(join(__dirname, '.swcrc'), 'utf8'));

/** @param {string} dir the project folder; @param {object} [extra] project-specific options */
module.exports.project = (dir, extra = {}) => ({
  displayName: relative(__dirname, dir),
  rootDir: dir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  resolver: '@nx/jest/plugins/resolver',
  ...extra,
});
