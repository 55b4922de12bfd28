/** Unit specs sit next to the code (*.spec.ts); cross-process and e2e tests live in test/ (*.e2e-spec.ts). */
module.exports = {
  // Output of the code under test is shown only for a failing test (see quiet-environment.js).
  testEnvironment: '<rootDir>/test/support/quiet-environment.js',
  roots: ['<rootDir>/src', '<rootDir>/state-machines', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  setupFilesAfterEnv: ['<rootDir>/test/support/after-each-file.ts'],
};
