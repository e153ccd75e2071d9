// The bench project: the --quick benchmark check (src/__tests__) and the fault
// suite (faults/). Both start child processes and servers, so they get long timeouts.
module.exports = require('../jest.preset')(__dirname, {
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/src/**/__tests__/**/*.test.ts', '<rootDir>/faults/**/*.test.ts'],
  testTimeout: 10 * 60_000,
});
