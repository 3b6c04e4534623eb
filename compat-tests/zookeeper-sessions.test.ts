/**
 * ZooKeeper sessions under faults (issue 12), each with ZooKeeper behind a fault-injecting proxy:
 *  - a reconnect that lands on a ZooKeeper connection that is accepted and never answered (what a ZooKeeper still
 *    starting up did to one broker in `zookeeper-faults.test.ts`, flakily: node-zookeeper-client has no handshake
 *    timeout, so the broker stayed disconnected, its session expired and it never registered again): the broker
 *    gives up on that connection after the connect timeout and is registered again;
 *  - a ZooKeeper that hangs (connections up, nothing answered) for longer than 2/3 of the session timeout but less
 *    than the session timeout: the broker notices (Java's client "have not heard from server"), reconnects to the
 *    same session when ZooKeeper answers again, and its registration survives;
 *  - brokers getting SIGTERM at the moment ZooKeeper is killed, a new ZooKeeper on the same address and new brokers
 *    with the same ids registered in it, then the old brokers going on with their shutdown: they never delete the
 *    new brokers' /brokers/ids/<id> or /controller (another session's ephemeral znodes), and they exit;
 *  - brokers getting SIGTERM while ZooKeeper stays unreachable: the shutdown ends anyway (each ZooKeeper wait is
 *    bounded by zookeeper.connection.timeout.ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrokerProcess, printBrokerLogsOnFailure } from './support/broker.js'
import { CLUSTER_DEFAULTS, logLines, metadataOf, pauseBroker, resumeBroker } from './support/cluster.js'
import { scratchDir, uniqueName, waitFor } from './support/env.js'
import { FaultProxy } from './support/fault-proxy.js'
import { freePort } from './support/procs.js'
import { readZnode } from './support/zk-client.js'
import { startZooKeeper, type ZooKeeper } from './support/zookeeper.js'

printBrokerLogsOnFailure()

const SESSION_MS = 4000
let zkA: ZooKeeper | undefined
let zkB: ZooKeeper | undefined
const proxies: FaultProxy[] = []
const brokers: BrokerProcess[] = []

beforeAll(async () => {
  zkA = await startZooKeeper()
}, 120_000)

afterAll(async () => {
  for (const b of brokers) resumeBroker(b)
  await Promise.all(brokers.map((b) => b.kill()))
  for (const p of proxies) await p.close()
  await zkA?.stop()
  await zkB?.stop()
})

async function proxyTo(zk: ZooKeeper): Promise<FaultProxy> {
  const p = await FaultProxy.start({ host: zk.host, port: zk.port })
  proxies.push(p)
  return p
}

async function broker(
  id: number,
  zkConnect: string,
  overrides: Record<string, string | number> = {},
): Promise<BrokerProcess> {
  const b = new BrokerProcess({
    id,
    port: await freePort(),
    dataDir: await scratchDir(`zk-sessions-b${id}`),
    zkConnect,
    overrides: {
      ...CLUSTER_DEFAULTS,
      'zookeeper.session.timeout.ms': SESSION_MS,
      'zookeeper.connection.timeout.ms': 3000,
      'controlled.shutdown.retry.backoff.ms': 1000,
      'offsets.topic.replication.factor': 1,
      'default.replication.factor': 1,
      'min.insync.replicas': 1,
      ...overrides,
    },
  })
  brokers.push(b)
  return b.start()
}

const owner = async (zkConnect: string, path: string): Promise<string | undefined> =>
  (await readZnode(zkConnect, path))?.ephemeralOwner

describe('ZooKeeper sessions', () => {
  it('a reconnect accepted and never answered is abandoned after the connect timeout: the broker registers again', async () => {
    const proxy = await proxyTo(zkA!)
    const chroot = `/${uniqueName('zk-unanswered')}`
    const b = await broker(31, `${proxy.address}${chroot}`)
    const direct = `${zkA!.connectString}${chroot}`
    // ZooKeeper restarts: the connection breaks, and the reconnect lands on a connection that is accepted but
    // never answered; a moment later ZooKeeper serves again (but that connection stays dead).
    const SESSION_BACK = /Reconnected to ZooKeeper|Connected to .*, session/
    const sessionsBefore = logLines(b.logFile, SESSION_BACK).length
    proxy.set({ up: 'drop', down: 'drop' })
    const droppedBefore = proxy.dropped('up')
    proxy.cut()
    // its handshake lost, not merely its connection accepted: healed before the broker (slow on a busy machine)
    // sent it, the handshake would pass and be answered
    await waitFor(
      'the broker to reconnect into the dead connection and send its handshake there',
      () => (proxy.connections().get('client') ?? 0) >= 1 && proxy.dropped('up') > droppedBefore,
      { timeoutMs: 10_000, intervalMs: 20 },
    )
    proxy.heal()
    await waitFor(
      'the broker to give up on the unanswered handshake',
      () => logLines(b.logFile, /no answer to the session handshake/).length > 0,
      { timeoutMs: SESSION_MS + 5000, intervalMs: 100 },
    )
    // Once the broker is back in a session (its old one if it got back in time, else a new one: its own log line
    // says which), it is registered.
    await waitFor(
      'the broker back in a ZooKeeper session',
      () => logLines(b.logFile, SESSION_BACK).length > sessionsBefore,
      { timeoutMs: SESSION_MS + 20_000, intervalMs: 100 },
    )
    await waitFor(`/brokers/ids/31`, async () => (await owner(direct, '/brokers/ids/31')) !== undefined, {
      timeoutMs: 20_000,
      intervalMs: 250,
    })
    // and, once its metadata cache has read the registration back, it lists itself
    const listed = await waitFor(
      'the broker in its own Metadata',
      async () => {
        const ids = (await metadataOf(b)).brokers.map((x) => x.nodeId)
        return ids.length > 0 && ids
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    )
    expect(listed).toEqual([31])
    await b.stop()
  })

  it('ZooKeeper hanging for longer than 2/3 of the session: the broker notices, reconnects to the same session, stays registered', async () => {
    const proxy = await proxyTo(zkA!)
    const chroot = `/${uniqueName('zk-hang')}`
    const b = await broker(32, `${proxy.address}${chroot}`)
    const direct = `${zkA!.connectString}${chroot}`
    const session = await owner(direct, '/brokers/ids/32')
    proxy.set({ up: 'hold', down: 'hold' }) // connections stay up, nothing gets through
    await waitFor(
      'the broker to notice',
      () => logLines(b.logFile, /have not heard from the server/).length > 0,
      {
        timeoutMs: SESSION_MS,
        intervalMs: 50,
      },
    )
    proxy.heal() // within the session timeout: ZooKeeper still has the session
    await waitFor(
      'the broker to reconnect',
      () => logLines(b.logFile, /Reconnected to ZooKeeper/).length > 0,
      {
        timeoutMs: 15_000,
        intervalMs: 100,
      },
    )
    expect(await owner(direct, '/brokers/ids/32')).toBe(session)
    expect(logLines(b.logFile, /Session expired/)).toEqual([])
    await b.stop()
  })

  it('brokers stopped as ZooKeeper dies never delete the znodes of the brokers that replaced them', async () => {
    // The old brokers reach ZooKeeper at one address (the proxy): first ZooKeeper A, later a new, empty ZooKeeper B.
    const proxy = await proxyTo(zkA!)
    const chroot = `/${uniqueName('zk-stale')}`
    const connect = `${proxy.address}${chroot}`
    const old = [await broker(1, connect), await broker(2, connect)]
    await waitFor(
      'a controller',
      async () => (await readZnode(`${zkA!.connectString}${chroot}`, '/controller')) !== undefined,
    )

    // ZooKeeper A is killed at the moment the brokers get SIGTERM; they are caught in their shutdown.
    await zkA!.down({ kill: true })
    const exits = old.map((b) => b.stop(180_000))
    for (const b of old) {
      await waitFor(
        `broker ${b.id} to begin its shutdown`,
        () => logLines(b.logFile, /shutting down/).length > 0,
        {
          timeoutMs: 20_000,
          intervalMs: 20,
        },
      )
    }
    for (const b of old) pauseBroker(b)

    // A new ZooKeeper takes the address; new brokers 1 and 2 register and elect a controller there.
    zkB = await startZooKeeper()
    proxy.retarget({ host: zkB.host, port: zkB.port })
    proxy.cut()
    const fresh = [await broker(1, connect), await broker(2, connect)]
    const direct = `${zkB.connectString}${chroot}`
    await waitFor(
      'a controller among the new brokers',
      async () => (await owner(direct, '/controller')) !== undefined,
    )
    const before = {
      b1: await owner(direct, '/brokers/ids/1'),
      b2: await owner(direct, '/brokers/ids/2'),
      controller: await owner(direct, '/controller'),
    }

    // The old brokers go on with their shutdown, now reaching the new ZooKeeper.
    const t0 = Date.now()
    for (const b of old) resumeBroker(b)
    const codes = await Promise.all(exits)
    const took = Date.now() - t0
    console.log(
      `[zookeeper-sessions] the old brokers finished their shutdown in ${took} ms (exit ${codes.join(', ')})`,
    )
    expect(codes).toEqual([0, 0])
    const after = {
      b1: await owner(direct, '/brokers/ids/1'),
      b2: await owner(direct, '/brokers/ids/2'),
      controller: await owner(direct, '/controller'),
    }
    expect(after).toEqual(before)
    for (const b of fresh) expect(b.isRunning).toBe(true)
    await Promise.all(fresh.map((b) => b.stop()))
  })

  it('brokers stopped while ZooKeeper stays unreachable still finish their shutdown', async () => {
    await zkA!.up()
    const proxy = await proxyTo(zkA!)
    const chroot = `/${uniqueName('zk-gone')}`
    const connect = `${proxy.address}${chroot}`
    const bs = [await broker(41, connect), await broker(42, connect)]
    await proxy.refuse() // ZooKeeper unreachable from now on
    const t0 = Date.now()
    const codes = await Promise.all(bs.map((b) => b.stop(120_000)))
    const took = Date.now() - t0
    console.log(`[zookeeper-sessions] shutdown without ZooKeeper took ${took} ms (exit ${codes.join(', ')})`)
    expect(codes).toEqual([0, 0])
    // controlled shutdown (3 attempts, 1 s back-off) plus a few ZooKeeper waits of zookeeper.connection.timeout.ms
    expect(took).toBeLessThan(60_000)
  })
})
