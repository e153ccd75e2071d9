module.exports = require('../jest.preset')(__dirname, { roots: ['<rootDir>/validate', '<rootDir>/security'] });
