// One 3-broker Samsa cluster for the whole jest run (globalSetup), test files in parallel workers, a namespace per
// test. Run: node --experimental-vm-modules node_modules/.bin/jest --config examples/kafkajs-jest/jest.config.mjs
export default {
  rootDir: import.meta.dirname,
  testMatch: ['**/*.test.mjs'],
  globalSetup: '<rootDir>/global-setup.mjs',
  globalTeardown: '<rootDir>/global-teardown.mjs',
  transform: {},
  testTimeout: 60_000,
}
