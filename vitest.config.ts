import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'compat',
          include: ['compat-tests/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          globalSetup: ['compat-tests/support/global-setup.ts'],
          setupFiles: ['compat-tests/support/stall-watch.ts'],
        },
      },
      {
        // examples/: test suites of applications as a user writes them, importing 'samsa' (this checkout's source)
        resolve: { alias: { samsa: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
        test: {
          name: 'examples',
          include: ['examples/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
