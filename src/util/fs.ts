/**
 * Directory creation that always terminates. Node's `mkdirSync(dir, { recursive: true })` loops for ever on some
 * paths (under /proc, mkdir answers ENOENT for a child of a directory that exists, and Node retries the parent
 * again and again), so the broker creates directories one level at a time and reports the first failure.
 */
import { mkdirSync, statSync } from 'node:fs'
import path from 'node:path'

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e
    ? String((e as { code: unknown }).code)
    : undefined
}

/**
 * Creates `dir` and any missing parents, like `mkdir -p`. Throws the first error with a message naming the path
 * that failed; a path component that exists but is not a directory fails with ENOTDIR.
 */
export function mkdirs(dir: string): void {
  const target = path.resolve(dir)
  const missing: string[] = []
  for (let p = target; ;) {
    let isDir: boolean | undefined
    try {
      isDir = statSync(p).isDirectory()
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e
    }
    if (isDir === true) break
    if (isDir === false) {
      const err = new Error(`ENOTDIR: not a directory, mkdir '${p}'`) as NodeJS.ErrnoException
      err.code = 'ENOTDIR'
      err.path = p
      throw err
    }
    missing.push(p)
    const parent = path.dirname(p)
    if (parent === p) break
    p = parent
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p)
    } catch (e) {
      // Created by someone else in the meantime: fine if it is a directory now.
      if (errnoCode(e) === 'EEXIST' && statSync(p).isDirectory()) continue
      throw e
    }
  }
}
