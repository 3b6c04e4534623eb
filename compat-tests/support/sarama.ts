/**
 * The Sarama 1.22 programs (support/sarama/*.go, and support/sarama-group/main.go for groups.ts), built
 * once per run into the run directory from Debian's GOPATH sources (golang-github-shopify-sarama-dev) with
 * GO111MODULE=off.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { runDir, SUPPORT_DIR } from './env.js'
import { CommandError, jsonLines, run } from './run.js'

const GOPATH_SOURCES = process.env.SARAMA_GOPATH ?? '/usr/share/gocode'
const builds = new Map<string, Promise<string>>()

/**
 * Builds the Go program support/<program>/*.go against Sarama 1.22 into the run directory, once per run;
 * returns the binary's path.
 */
export function buildSaramaProgram(program: 'sarama' | 'sarama-group', binName: string): Promise<string> {
  let building = builds.get(program)
  if (!building) {
    building = (async () => {
      const dir = join(runDir(), 'bin')
      mkdirSync(dir, { recursive: true })
      const bin = join(dir, binName)
      if (existsSync(bin)) return bin
      const t0 = Date.now()
      const src = join(SUPPORT_DIR, program)
      const sources = readdirSync(src)
        .filter((f) => f.endsWith('.go'))
        .map((f) => join(src, f))
      await run('go', ['build', '-o', bin, ...sources], {
        timeoutMs: 300_000,
        env: { ...process.env, GO111MODULE: 'off', GOPATH: GOPATH_SOURCES, GOFLAGS: '' },
      })
      console.log(`[compat] built ${bin} in ${Date.now() - t0} ms`)
      return bin
    })()
    builds.set(program, building)
  }
  return building
}

/** Builds the client program (support/sarama/) if this run has not yet; returns the binary's path. */
export function buildSaramaClient(): Promise<string> {
  return buildSaramaProgram('sarama', 'sarama-client')
}

export interface SaramaMessage {
  partition: number
  offset: number
  key: string | null
  value: string | null
  headers: Record<string, string>
  timestamp: number
}

/** Runs one action (see main.go) and returns its JSON result. */
export async function runSarama<T>(args: Record<string, unknown>, timeoutMs = 90_000): Promise<T> {
  const bin = await buildSaramaClient()
  const r = await run(bin, [JSON.stringify(args)], { timeoutMs, allowFailure: true })
  const docs = jsonLines<Record<string, unknown>>(r.stdout)
  const last = docs[docs.length - 1]
  if (r.code !== 0 || !last || 'error' in last) {
    const why = last && 'error' in last ? String(last.error) : r.stdout
    throw new CommandError(
      `sarama ${String(args.action)} failed (exit ${r.code}): ${why}\nstderr: ${r.stderr.slice(-4000)}`,
      r,
    )
  }
  return last as T
}

export function saramaProduce(
  bootstrap: string,
  topic: string,
  messages: Array<{
    key?: string | null
    value: string | null
    headers?: Record<string, string>
    partition?: number
  }>,
  opts: { version?: string; compression?: string; acks?: number; partition?: number } = {},
): Promise<{ results: Array<{ partition: number; offset: number }> }> {
  return runSarama({ action: 'produce', brokers: [bootstrap], topic, messages, ...opts })
}

export function saramaConsume(
  bootstrap: string,
  topic: string,
  opts: {
    partition?: number
    offset?: string | number
    count: number
    version?: string
    timeout_ms?: number
  },
): Promise<{ messages: SaramaMessage[]; timed_out?: boolean }> {
  return runSarama({ action: 'consume', brokers: [bootstrap], topic, ...opts })
}

export function saramaGroupConsume(
  bootstrap: string,
  topic: string,
  opts: { group: string; count: number; version?: string; timeout_ms?: number },
): Promise<{ messages: SaramaMessage[] }> {
  return runSarama({ action: 'group', brokers: [bootstrap], topic, ...opts })
}
