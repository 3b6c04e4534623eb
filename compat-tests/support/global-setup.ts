/**
 * Global setup of the "compat" vitest project: builds Samsa once (`npm run build`), creates the run directory
 * (logs, broker data, helper binaries, the registry of started processes), starts one shared ZooKeeper
 * (testcontainers when a Docker engine is reachable, else the local jars) and provides both to the tests.
 * The teardown stops ZooKeeper, kills anything a crashed worker left running, and removes the run directory
 * unless SAMSA_KEEP_LOGS=1 or a test marked the run as failed (then the logs stay and their path is printed).
 *
 * Environment: SAMSA_SKIP_BUILD=1 (use dist/ as it is), SAMSA_STRICT_BUILD=1 (a failed build fails the run even
 * when tsc emitted JavaScript), SAMSA_ZK=local|testcontainers, SAMSA_KEEP_LOGS=1.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { REPO_ROOT } from './env.js'
import { killRegisteredProcesses } from './procs.js'
import { startZooKeeper, type ZooKeeper } from './zookeeper.js'

function build(): void {
  if (process.env.SAMSA_SKIP_BUILD === '1') return
  const t0 = Date.now()
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'pipe', encoding: 'utf8' })
    console.log(`[compat] npm run build: ${Date.now() - t0} ms`)
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string }
    const output = `${err.stdout ?? ''}${err.stderr ?? ''}`
    // tsc still emits JavaScript for type errors: run against it if it is there, but say so loudly.
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js')) || process.env.SAMSA_STRICT_BUILD === '1') {
      throw new Error(`[compat] npm run build failed:\n${output}`, { cause: e })
    }
    console.log(
      `[compat] WARNING: npm run build failed; testing the JavaScript it emitted anyway:\n${output}`,
    )
  }
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) {
    throw new Error('[compat] dist/cli.js is missing after the build: the broker cannot be started')
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-compat-'))
  // env.ts reads this in this process (inject() only works in test workers)
  process.env.SAMSA_COMPAT_RUN_DIR = dir
  project.provide('runDir', dir)
  console.log(`[compat] run directory ${dir}`)
  let zk: ZooKeeper | undefined
  try {
    build()
    try {
      zk = await startZooKeeper()
      project.provide('zkConnect', zk.connectString)
      project.provide('zkMode', zk.mode)
    } catch (e) {
      // ZooKeeper-mode tests fail on their own; standalone tests can still run
      console.log(`[compat] could not start ZooKeeper: ${(e as Error).message}`)
      project.provide('zkConnect', '')
      project.provide('zkMode', 'none')
    }
  } catch (e) {
    killRegisteredProcesses(dir)
    rmSync(dir, { recursive: true, force: true })
    throw e
  }

  return async () => {
    await zk?.stop().catch((e: Error) => console.log(`[compat] stopping ZooKeeper: ${e.message}`))
    const killed = killRegisteredProcesses(dir)
    if (killed.length) console.log(`[compat] killed leftover processes: ${killed.join(', ')}`)
    if (process.env.SAMSA_KEEP_LOGS === '1' || existsSync(join(dir, 'failed'))) {
      rmSync(join(dir, 'data'), { recursive: true, force: true })
      console.log(`[compat] logs kept in ${join(dir, 'logs')}`)
    } else {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
