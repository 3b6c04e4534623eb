export const BUNDLE: string
/** Builds dist/cli.bundle.cjs under root; false when esbuild is not installed. */
export function bundle(root: string): Promise<boolean>
/** Rewrites a bundle's remaining non-ASCII characters (in comments) as '?', one per UTF-16 unit. */
export function asciiComments(file: string): void
