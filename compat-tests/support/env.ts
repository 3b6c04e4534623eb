/**
 * Paths and per-run state shared by the compat harness. The global setup creates one run directory per
 * `vitest run` (logs, broker data, the pid registry, built helper binaries) and hands it to the test files
 * through vitest's provide/inject.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inject } from 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run directory created by the global setup. */
    runDir: string
    /** The connect string of the ZooKeeper the global setup started ("" when it could not start one). */
    zkConnect: string
    /** How that ZooKeeper runs: 'testcontainers' or 'local'. */
    zkMode: string
  }
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const SUPPORT_DIR = join(REPO_ROOT, 'compat-tests', 'support')
export const KAFKA_SERVER_START = join(REPO_ROOT, 'bin', 'kafka-server-start.sh')
// Test brokers keep every logger (controller, state changes) in their one captured log, not in logs/ of the
// checkout: set and empty, SAMSA_LOG_DIR turns off the script's side log files.
process.env.SAMSA_LOG_DIR ??= ''
export const STANDALONE_PROPERTIES = join(REPO_ROOT, 'config', 'standalone.properties')
export const ZK_MODE_PROPERTIES = join(REPO_ROOT, 'config', 'server.properties')
/** Debian's python with python3-kafka and python3-confluent-kafka (not the pyenv python3 on PATH). */
export const SYSTEM_PYTHON = process.env.SAMSA_PYTHON ?? '/usr/bin/python3'

let fallbackRunDir: string | undefined

/** The run directory (from the global setup; a fresh temp dir when used outside vitest's compat project). */
export function runDir(): string {
  let dir: string | undefined
  try {
    dir = inject('runDir')
  } catch {
    dir = undefined
  }
  if (dir) return dir
  if (process.env.SAMSA_COMPAT_RUN_DIR) return process.env.SAMSA_COMPAT_RUN_DIR
  if (!fallbackRunDir) {
    fallbackRunDir = join(tmpdir(), `samsa-compat-${process.pid}`)
    mkdirSync(fallbackRunDir, { recursive: true })
  }
  return fallbackRunDir
}

/** A new directory under the run directory (for a broker's data, a ZooKeeper's data, scratch files). */
export async function scratchDir(prefix: string): Promise<string> {
  const base = join(runDir(), 'data')
  mkdirSync(base, { recursive: true })
  return mkdtemp(join(base, `${prefix}-`))
}

export function logsDir(): string {
  const dir = join(runDir(), 'logs')
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Marks the run as failed: the global teardown then keeps the logs. */
export function markRunFailed(): void {
  writeFileSync(join(runDir(), 'failed'), '')
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const v = await check()
      if (v) return v
    } catch (e) {
      lastError = e
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`)
    }
    await sleep(intervalMs)
  }
}

/** A unique, valid topic/group name for one test. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}
