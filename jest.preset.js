// Shared jest settings of every package. Tests import @grider-ms-tickets/common
// from its sources, so nothing has to be built before `npm test`. ts-jest only
// transpiles (isolatedModules): `npm run typecheck` does the type checking once
// for the whole repository instead of once per test file.
const path = require('node:path');

const commonSrc = path.join(__dirname, 'common', 'src');

/**
 * @param {string} dir the package folder
 * @param {import('jest').Config} [overrides]
 * @returns {import('jest').Config}
 */
module.exports = function preset(dir, overrides = {}) {
  const { testTimeout = 30_000, setupFilesAfterEnv = [], ...rest } = overrides;
  return {
    displayName: path.basename(dir),
    rootDir: dir,
    testEnvironment: 'node',
    roots: ['<rootDir>/src'],
    testMatch: ['**/__tests__/**/*.test.ts'],
    transform: {
      '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.json') }],
    },
    moduleNameMapper: {
      '^@grider-ms-tickets/common$': path.join(commonSrc, 'index.ts'),
      '^@grider-ms-tickets/common/testing$': path.join(commonSrc, 'testing', 'index.ts'),
    },
    // Integration tests talk to real Redis and NATS; give them room on a busy
    // machine. `testTimeout` is a global option that jest ignores inside
    // `projects`, so jest.setup.js applies it to each project's test files.
    globals: { __TEST_TIMEOUT__: testTimeout },
    setupFilesAfterEnv: [path.join(__dirname, 'jest.setup.js'), ...setupFilesAfterEnv],
    ...rest,
  };
};
