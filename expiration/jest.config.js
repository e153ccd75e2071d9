module.exports = require('../jest.preset')(__dirname, {
  // testTimeout in a project's config is ignored when jest runs the root's
  // `projects` (it is a global option), so set it for this project's test files here.
  setupFilesAfterEnv: ['<rootDir>/src/test/jest-setup.ts'],
});
