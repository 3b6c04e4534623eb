/** The source files (src/**\/*.ts that tsc compiles) whose dist/*.js is missing or older than they are. */
export function staleSources(root: string): string[]
