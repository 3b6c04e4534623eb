/**
 * The web console in a real browser: Debian's chromium driven by playwright-core (no browser download) against
 * broker 1 of a three-broker cluster, whose console reaches the partitions' leaders and the group's coordinator on
 * the other brokers. It shows the brokers, a topic with its partitions, messages and configs, a group's lag with
 * its live chart, and performs the operator's actions (create/delete a topic, add partitions, change a config,
 * produce, reset a group's offsets), each checked with kafkajs, and live rates of messages in and out while kafkajs
 * produces and a group consumes. Screenshots are kept as artefacts in artifacts/console/ of the checkout (gitignored;
 * SAMSA_ARTIFACTS_DIR moves them); their paths are printed.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printBrokerLogsOnFailure } from './support/broker.js'
import { startCluster, type Cluster } from './support/cluster.js'
import { REPO_ROOT, uniqueName, waitFor } from './support/env.js'
import { consumeWithGroup, kafkajs, withAdmin, withProducer } from './support/kafkajs.js'
import { freePort } from './support/procs.js'

printBrokerLogsOnFailure()

const CHROMIUM = process.env.SAMSA_CHROMIUM ?? '/usr/bin/chromium'
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

let cluster: Cluster
let browser: Browser
let page: Page
let base: string

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`)
  const httpPort = await freePort()
  base = `http://127.0.0.1:${httpPort}`
  cluster = await startCluster({
    ids: [1, 2, 3],
    brokerOverrides: (id): Record<string, string> => (id === 1 ? { 'http.listeners': base } : {}),
  })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true })
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.setDefaultTimeout(30_000)
})
afterAll(async () => {
  await browser?.close()
  await cluster?.stop()
})

const ARTIFACTS = join(process.env.SAMSA_ARTIFACTS_DIR ?? join(REPO_ROOT, 'artifacts'), 'console')

/** A full-page screenshot kept as a test artefact (the path is printed). */
async function shot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const path = join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  console.log(`[console] screenshot ${path}`)
}

/** The texts of a table's body cells, row by row. */
const rows = (table: string): Promise<string[][]> =>
  page.$$eval(`#${table} tbody tr`, (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
  )

describe('the web console', () => {
  it('shows brokers, a topic, its messages and a group lag, and performs the operator actions', async () => {
    const kafka = kafkajs(cluster.bootstrapAll())
    const topic = uniqueName('console')
    await withAdmin(kafka, (a) =>
      a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 3 }] }),
    )
    const messages = Array.from({ length: 10 }, (_, i) => ({
      key: `k${i}`,
      value: `value ${i}`,
      partition: 0,
    }))
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages }))
    const groupId = uniqueName('console-g')
    await consumeWithGroup(kafka, { topic, groupId, count: 10 })
    await withProducer(kafka, {}, (p) => p.send({ topic, acks: -1, messages: messages.slice(0, 5) }))

    // brokers and topics
    await page.goto(`${base}/`)
    await waitFor('three brokers listed', async () => (await rows('brokers')).length === 3)
    expect((await rows('brokers')).filter((r) => r[3] === 'controller')).toHaveLength(1)
    const listed = await waitFor('the topic listed', async () =>
      (await rows('topics')).find((r) => r[0] === topic),
    )
    expect(listed.slice(1, 5)).toEqual(['3', '3', '0', '0'])
    expect(listed[6]).toBe('15')

    // live rates: while kafkajs produces and a group consumes (and commits), the page shows messages in/s and
    // out/s for the topic and draws them in its charts (the page samples every 2 s)
    const live = uniqueName('console-live')
    const liveGroup = uniqueName('console-live-g')
    await withAdmin(kafka, (a) =>
      a.createTopics({
        waitForLeaders: true,
        topics: [{ topic: live, numPartitions: 1, replicationFactor: 3 }],
      }),
    )
    const chartMax = async (id: string): Promise<number> =>
      Number(await page.getAttribute(`#${id}`, 'data-max'))
    const seen = { in: false, out: false }
    await waitFor(
      'messages in/s and out/s of the live topic on the page and in its charts',
      async () => {
        await withProducer(kafka, {}, (p) =>
          p.send({ topic: live, acks: -1, messages: messages.slice(0, 5) }),
        )
        await consumeWithGroup(kafka, { topic: live, groupId: liveGroup, count: 5 })
        const row = (await rows('topics')).find((r) => r[0] === live)
        seen.in ||= Number(row?.[7]) > 0
        seen.out ||= Number(row?.[8]) > 0
        return seen.in && seen.out && (await chartMax('chart-in')) > 0 && (await chartMax('chart-out')) > 0
      },
      { timeoutMs: 60_000 },
    )
    await shot('home')

    // the topic page: partitions with leaders, replicas and ISR; offsets
    await page.click(`#topics a:text-is("${topic}")`)
    await waitFor('the partitions', async () => (await rows('partitions')).length === 3)
    const p0 = (await rows('partitions'))[0]!
    expect(p0[0]).toBe('0')
    expect(p0[2]!.split(',').sort()).toEqual(['1', '2', '3'])
    expect(p0[3]!.split(',').sort()).toEqual(['1', '2', '3'])
    expect(p0.slice(4, 6)).toEqual(['0', '15'])

    // produce a test message, then browse the newest messages of partition 0 as JSON
    await page.fill('#produce input[name=partition]', '0')
    await page.fill('#produce input[name=key]', 'console-key')
    await page.fill('#produce input[name=value]', '{"from":"console","n":1}')
    await page.fill('#produce input[name=headers]', '{"origin":"browser"}')
    await page.click('#produce button')
    await page.waitForSelector('#msg.info:has-text("at offset 15")')
    await page.selectOption('#browse select[name=format]', 'json')
    await page.click('#browse button')
    await waitFor('the messages', async () => (await rows('messages')).length === 16)
    const newest = (await rows('messages')).at(-1)!
    expect(newest[0]).toBe('15')
    expect(newest[2]).toBe('console-key')
    expect(JSON.parse(newest[3]!)).toEqual({ from: 'console', n: 1 })
    expect(newest[4]).toBe('origin: browser')
    // from its timestamp, as text: only that message (the others were written seconds before)
    await page.selectOption('#browse select[name=from]', 'timestamp')
    await page.fill('#browse input[name=at]', newest[1]!)
    await page.selectOption('#browse select[name=format]', 'text')
    await page.click('#browse button')
    await waitFor('one message from its timestamp', async () => (await rows('messages')).length === 1)
    expect((await rows('messages'))[0]!.slice(0, 4)).toEqual([
      '15',
      newest[1],
      'console-key',
      '{"from":"console","n":1}',
    ])
    // from an offset, as hex
    await page.selectOption('#browse select[name=from]', 'offset')
    await page.fill('#browse input[name=at]', '14')
    await page.selectOption('#browse select[name=format]', 'hex')
    await page.click('#browse button')
    await waitFor('two messages from offset 14', async () => (await rows('messages')).length === 2)
    expect((await rows('messages'))[0]![3]).toBe(
      Buffer.from('value 4')
        .toString('hex')
        .replace(/(..)(?!$)/g, '$1 '),
    )
    await shot('topic')

    // change a config: kafkajs sees it
    await page.fill('#configs input[data-config="retention.ms"]', '3600000')
    await page.click('#configs tr:has(input[data-config="retention.ms"]) button')
    await page.waitForSelector('#msg.info:has-text("retention.ms = 3600000")')
    const described = await withAdmin(kafka, (a) =>
      a.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] }),
    )
    expect(
      described.resources[0]!.configEntries.find((e) => e.configName === 'retention.ms')?.configValue,
    ).toBe('3600000')

    // add partitions
    await page.fill('#add-partitions input[name=count]', '4')
    await page.click('#add-partitions button:text-is("Add partitions")')
    await waitFor('four partitions', async () => (await rows('partitions')).length === 4)

    // the group (10 consumed of partition 0, 16 there now): lag 6 in total, a live chart; reset to the latest: lag 0
    await page.click('header a[href="#/groups"]')
    await page.click(`#groups a:text-is("${groupId}")`)
    await page.waitForSelector('#total-lag:text-is("6")')
    const lag = await rows('lag')
    expect(lag.find((r) => r[1] === '0')?.slice(2, 5)).toEqual(['10', '16', '6'])
    await waitFor(
      'the lag chart to have points',
      async () => Number(await page.getAttribute('#chart-lag', 'data-points')) >= 2,
    )
    await shot('group')
    await page.selectOption('#reset select[name=to]', 'latest')
    await page.click('#reset button')
    await page.waitForSelector('#total-lag:text-is("0")')
    const committed = await withAdmin(kafka, (a) => a.fetchOffsets({ groupId, topics: [topic] }))
    expect(committed[0]!.partitions.find((p) => p.partition === 0)?.offset).toBe('16')

    // create and delete a topic
    const other = uniqueName('console-new')
    await page.click('header a[href="#/"]')
    await page.fill('#create-topic input[name=name]', other)
    await page.fill('#create-topic input[name=partitions]', '2')
    await page.fill('#create-topic input[name=rf]', '2')
    await page.click('#create-topic button')
    await waitFor('the new topic listed', async () => (await rows('topics')).some((r) => r[0] === other))
    const created = await withAdmin(kafka, (a) => a.fetchTopicMetadata({ topics: [other] }))
    expect(created.topics[0]!.partitions).toHaveLength(2)
    expect(created.topics[0]!.partitions[0]!.replicas).toHaveLength(2)
    await page.click(`#topics a:text-is("${other}")`)
    await waitFor('its partitions', async () => (await rows('partitions')).length === 2)
    page.once('dialog', (d) => void d.accept())
    await page.click('#delete-topic')
    await waitFor(
      'the topic gone',
      async () => !(await withAdmin(kafka, (a) => a.listTopics())).includes(other),
    )
    await shot('after-delete')
  })

  it('answers API errors as Kafka does and refuses non-JSON changes', async () => {
    const missing = await fetch(`${base}/api/topics/${uniqueName('nope')}`)
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { kafkaError: string }).kafkaError).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    const form = await fetch(`${base}/api/topics`, { method: 'POST', body: 'name=x' })
    expect(form.status).toBe(415)
    const bad = await fetch(`${base}/api/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: uniqueName('bad'), replicationFactor: 4 }),
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { kafkaError: string }).kafkaError).toBe('INVALID_REPLICATION_FACTOR')
  })
})
