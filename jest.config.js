// One jest run for the whole repository: each package is a project.
module.exports = {
  projects: [
    '<rootDir>/common',
    '<rootDir>/expiration',
    '<rootDir>/orders',
    '<rootDir>/infra',
    '<rootDir>/infra/local',
    '<rootDir>/bench',
  ],
};
