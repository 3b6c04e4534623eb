/**
 * Library mode: `startBroker()` from src/index.ts in this process (ephemeral port, temp data dir by default),
 * kafkajs produce/consume against it, and `stop()`; and the package as a user installs it (`npm install` of the
 * packed package and of the checkout's path, `npx samsa`).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ManualScheduler, startBroker } from '../src/index.js'
import { REPO_ROOT, scratchDir, uniqueName } from './support/env.js'
import { consumeWithGroup, createTopic, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { kcatConsume } from './support/kcat.js'
import { canConnect } from './support/procs.js'

type Started = Awaited<ReturnType<typeof startBroker>>
const started: Started[] = []

afterAll(async () => {
  for (const b of started) await b.stop().catch(() => undefined)
})

describe('startBroker() in-process', () => {
  it('starts on an ephemeral port with a temp data dir, serves kafkajs, and stops', async () => {
    const b = await startBroker({ logLevel: 'warn' })
    started.push(b)
    expect(b.host).toBe('127.0.0.1')
    expect(b.port).toBeGreaterThan(0)
    expect(b.bootstrap).toBe(`${b.host}:${b.port}`)
    expect(typeof b.brokerId).toBe('number')
    expect(b.logDirs.length).toBeGreaterThan(0)
    for (const d of b.logDirs) expect(existsSync(d)).toBe(true)

    const topic = uniqueName('lib')
    await createTopic(b.bootstrap, topic, { partitions: 2 })
    const kafka = kafkajs(b.bootstrap)
    const messages = Array.from({ length: 20 }, (_, i) => ({
      key: `k${i}`,
      value: `library ${i}`,
      headers: { i: String(i) },
    }))
    const md = await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages }))
    expect(md.every((r) => r.errorCode === 0)).toBe(true)

    // without a group (librdkafka) ...
    const all = [
      ...(await kcatConsume(b.bootstrap, topic, { partition: 0 })),
      ...(await kcatConsume(b.bootstrap, topic, { partition: 1 })),
    ]
    expect(all.map((m) => m.payload).sort()).toEqual(messages.map((m) => m.value).sort())

    // ... and with a kafkajs consumer group
    const got = await consumeWithGroup(kafka, { topic, groupId: uniqueName('lib-g'), count: 20 })
    expect(got.map((m) => m.value).sort()).toEqual(messages.map((m) => m.value).sort())
    for (const m of got) expect(m.headers.i).toBe(m.key!.slice(1))

    await b.stop()
    started.pop()
    expect(await canConnect(b.host, b.port)).toBe(false)
  })

  it('accepts properties, a port and a log dir; data survives stop/start in the same process', async () => {
    const logDir = await scratchDir('lib-explicit')
    const first = await startBroker({
      logDir,
      port: 0,
      logLevel: 'warn',
      properties: { 'broker.id': 7, 'num.partitions': 3, 'auto.create.topics.enable': true },
    })
    started.push(first)
    expect(first.brokerId).toBe(7)
    expect(first.logDirs).toEqual([logDir])
    const topic = uniqueName('lib-auto')
    // auto-created with num.partitions=3
    await withProducer(kafkajs(first.bootstrap), { allowAutoTopicCreation: true }, (p) =>
      p.send({ topic, acks: -1, messages: [{ partition: 2, value: 'persisted' }] }),
    )
    await first.stop()
    started.pop()

    const second = await startBroker({ logDir, logLevel: 'warn', properties: { 'broker.id': 7 } })
    started.push(second)
    const got = await kcatConsume(second.bootstrap, topic, { partition: 2 })
    expect(got.map((m) => m.payload)).toEqual(['persisted'])
    await second.stop()
    started.pop()
  })

  it('on manual time: kafkajs is served without time passing; rolls and retention happen when the test advances', async () => {
    const scheduler = new ManualScheduler()
    const b = await startBroker({
      scheduler,
      logLevel: 'warn',
      properties: { 'log.retention.check.interval.ms': 1000 },
    })
    started.push(b)
    const topic = uniqueName('lib-manual')
    await createTopic(b.bootstrap, topic, { configs: { 'segment.ms': '60000', 'retention.ms': '600000' } })
    const kafka = kafkajs(b.bootstrap)
    // record timestamps from the broker's clock, so that retention counts from the time the test controls
    const send = (tag: string) =>
      withProducer(kafka, {}, (p) =>
        p.send({
          topic,
          acks: -1,
          messages: Array.from({ length: 5 }, (_, i) => ({
            value: `${tag} ${i}`,
            timestamp: String(scheduler.clock.now()),
          })),
        }),
      )
    await send('first')
    // a consumer group: the join (group.initial.rebalance.delay.ms=0) and fetches need no time to pass
    // (maxWaitTimeInMs 0: a fetch that waited for more data would wait for the test's clock)
    const got = await consumeWithGroup(kafka, {
      topic,
      groupId: uniqueName('lib-manual-g'),
      count: 5,
      consumerConfig: { maxWaitTimeInMs: 0 },
    })
    expect(got.map((m) => m.value)).toEqual(Array.from({ length: 5 }, (_, i) => `first ${i}`))

    await scheduler.advance(60_001) // segment.ms has passed: the next append rolls
    await send('second')
    const offsets = () => withAdmin(kafka, (a) => a.fetchTopicOffsets(topic))
    expect(await offsets()).toMatchObject([{ partition: 0, low: '0', high: '10' }])
    await scheduler.advance(600_000) // the first segment is past retention.ms
    expect(await offsets()).toMatchObject([{ partition: 0, low: '5', high: '10' }])
  })
})

/** Runs a command to completion; fails the test with its output when it exits non-zero (unless allowed). */
function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A new npm project that uses samsa as a user's project would, after `npm install <spec>`. */
async function projectWith(spec: string): Promise<string> {
  const dir = await scratchDir('user-project')
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'user-project', private: true, type: 'module' }),
  )
  const r = run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', spec],
    dir,
  )
  expect(r.status, r.stderr).toBe(0)
  return dir
}

/** In the project: start a broker from the installed package, print its bootstrap and clean-up facts, stop it. */
function useAsLibrary(dir: string, tmp: string): string {
  writeFileSync(
    join(dir, 'use.mjs'),
    `import { startBroker } from 'samsa'
const b = await startBroker()
const dirs = b.logDirs
await b.stop()
console.log(JSON.stringify({ bootstrap: b.bootstrap, dirs }))
await startBroker({ properties: { 'num.partitions': 'x' } }).catch((e) => console.log(e.message))
`,
  )
  const r = run(process.execPath, ['use.mjs'], dir, { TMPDIR: tmp })
  expect(r.status, r.stderr).toBe(0)
  return r.stdout
}

describe('samsa installed with npm', () => {
  it('from the packed package: the library, npx samsa and its usage text', async () => {
    const packDir = await scratchDir('pack')
    const packed = run(
      'npm',
      ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir],
      REPO_ROOT,
    )
    expect(packed.status, packed.stderr).toBe(0)
    const tgz = join(packDir, packed.stdout.trim().split('\n').pop()!)
    const dir = await projectWith(tgz)
    expect(existsSync(join(dir, 'node_modules', 'samsa', 'dist', 'index.js'))).toBe(true)

    const tmp = await scratchDir('user-tmp')
    const out = useAsLibrary(dir, tmp).trim().split('\n')
    expect(JSON.parse(out[0]!)).toMatchObject({ bootstrap: expect.stringMatching(/^127\.0\.0\.1:\d+$/) })
    expect(out[1]).toBe('Invalid value x for configuration num.partitions: Not a number of type INT')
    expect(readdirSync(tmp)).toEqual([]) // temporary data directories removed, also after the failed start

    const help = run('npx', ['--no-install', 'samsa', '--help'], dir)
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/^USAGE: samsa server.properties \[--override property=value\]\*/)
    const bare = run('npx', ['--no-install', 'samsa'], dir)
    expect(bare.status).toBe(1)
    expect(bare.stderr).toMatch(/^Missing the server.properties file argument\n\nUSAGE: samsa /)
  })

  it('from the path of a checkout (npm links it)', async () => {
    const dir = await projectWith(REPO_ROOT)
    const tmp = await scratchDir('user-tmp')
    expect(JSON.parse(useAsLibrary(dir, tmp).split('\n')[0]!)).toMatchObject({
      bootstrap: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    })
  })
})
