/**
 * `bin/samsa-cluster`: a 3-broker in-process cluster started from the command line and driven only over its HTTP
 * control API, with kcat (librdkafka) as the client — what a Python, Go or Java test suite does.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { logsDir, REPO_ROOT, scratchDir, uniqueName, waitFor } from './support/env.js'
import { kcatConsume, kcatProduce } from './support/kcat.js'
import { spawnLogged, stopProcess, type Spawned } from './support/procs.js'

let proc: Spawned | undefined
afterAll(async () => {
  if (proc) await stopProcess(proc)
})

interface Ready {
  bootstrapServers: string
  http: string
  brokers: { id: number; bootstrap: string; logDir: string }[]
}

async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${base}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const json = (await r.json()) as T & { error?: string }
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${json.error}`)
  return json
}

describe('bin/samsa-cluster', () => {
  it('starts 3 brokers and takes kill, restart and latency over HTTP; SIGTERM removes its data', async () => {
    const dir = await scratchDir('samsa-cluster-cli')
    const readyFile = join(dir, 'ready.json')
    const t0 = performance.now()
    proc = spawnLogged(
      'samsa-cluster',
      join(REPO_ROOT, 'bin', 'samsa-cluster'),
      ['--brokers', '3', '--ready-file', readyFile, '--override', 'zookeeper.session.timeout.ms=1500'],
      join(logsDir(), 'samsa-cluster-cli.log'),
    )
    const ready = await waitFor(
      'the ready line',
      () => existsSync(readyFile) && (JSON.parse(readFileSync(readyFile, 'utf8')) as Ready),
      { timeoutMs: 60_000, intervalMs: 50 },
    )
    console.log(
      `samsa-cluster with 3 brokers ready in ${Math.round(performance.now() - t0)} ms (process start included)`,
    )
    const h = ready.http
    expect(ready.brokers.map((b) => b.id)).toEqual([0, 1, 2])

    const topic = uniqueName('cli')
    await api(h, 'POST', '/topics', { name: topic, partitions: 1, replicationFactor: 3 })
    await api(h, 'POST', '/wait/isr', { topic, size: 3 })
    await kcatProduce(ready.bootstrapServers, topic, [{ value: 'a' }, { value: 'b' }], { acks: -1 })

    // the leader dies: a new one is elected, kcat produces through it, the dead one comes back into the ISR
    const { leader } = await api<{ leader: number }>(h, 'GET', `/topics/${topic}/partitions/0`)
    await api(h, 'POST', `/brokers/${leader}/kill`)
    const { leader: next } = await api<{ leader: number }>(h, 'POST', '/wait/leader', {
      topic,
      notIn: [leader],
    })
    expect(next).not.toBe(leader)
    // bootstrapped from the live brokers: kcat reports a refused bootstrap connection as an error, as it would for
    // a dead broker process
    const live = ready.brokers.filter((b) => b.id !== leader).map((b) => b.bootstrap)
    await kcatProduce(live.join(','), topic, [{ value: 'c' }], { acks: -1 })
    await api(h, 'POST', `/brokers/${leader}/start`)
    await api(h, 'POST', '/wait/isr', { topic, size: 3 })

    // 300 ms of latency on every Produce: kcat's produce takes at least that long
    const rule = await api<{ id: number }>(h, 'POST', '/latency', { ms: 300, apis: ['Produce'] })
    const t1 = performance.now()
    await kcatProduce(ready.bootstrapServers, topic, [{ value: 'd' }], { acks: -1 })
    expect(performance.now() - t1).toBeGreaterThanOrEqual(300)
    await api(h, 'DELETE', `/latency/${rule.id}`)

    const got = await kcatConsume(ready.bootstrapServers, topic)
    expect(got.map((m) => m.payload)).toEqual(['a', 'b', 'c', 'd'])
    const { records } = await api<{ records: { value: { text: string } }[] }>(
      h,
      'GET',
      `/topics/${topic}/partitions/0/records`,
    )
    expect(records.map((r) => r.value.text)).toEqual(['a', 'b', 'c', 'd'])
    // the request log names librdkafka's client id
    const { requests } = await api<{ requests: { api: string; clientId: string }[] }>(
      h,
      'GET',
      '/requests?api=Produce',
    )
    expect(requests.some((r) => r.clientId === 'rdkafka')).toBe(true)

    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
    proc = undefined
    expect(existsSync(ready.brokers[0]!.logDir)).toBe(false)
  })
})
