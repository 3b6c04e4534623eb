/** The source files (src/**\/*.ts that tsc compiles) whose dist/*.js is missing or older than they are. */
export function staleSources(root: string): string[]
/** Whether dist/cli.bundle.cjs is there and not older than dist/cli.js (what bin/kafka-server-start.sh checks). */
export function bundleCurrent(root: string): boolean
