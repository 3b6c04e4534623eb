/**
 * The harness itself, for the ZooKeeper-mode and fault tests that build on it: the shared ZooKeeper from the
 * global setup, a private ZooKeeper that can be restarted without losing data, and a broker process in
 * ZooKeeper mode (with a chroot) that registers /brokers/ids/<id> and is killed and restarted, and one that is
 * stopped with SIGTERM while it still waits for an unreachable ZooKeeper.
 */
import zookeeper from 'node-zookeeper-client'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { BrokerProcess, printBrokerLogsOnFailure, startBroker } from './support/broker.js'
import { logLines } from './support/cluster.js'
import { scratchDir, uniqueName, waitFor } from './support/env.js'
import { freePort } from './support/procs.js'
import { kcatConsume, kcatMetadata, kcatProduce } from './support/kcat.js'
import { getZnode, listZnodes, readZnodeJson, withZk, znodeExists } from './support/zk-client.js'
import { startZooKeeper, type ZooKeeper } from './support/zookeeper.js'

printBrokerLogsOnFailure()

const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

describe('ZooKeeper', () => {
  it('the shared ZooKeeper from the global setup answers', async () => {
    const connect = inject('zkConnect')
    expect(connect, `ZooKeeper mode: ${inject('zkMode')}`).not.toBe('')
    expect(await listZnodes(connect, '/')).toContain('zookeeper')
  })

  it('a private ZooKeeper keeps its data across restarts (clean and kill -9)', async () => {
    const zk: ZooKeeper = await startZooKeeper()
    cleanups.push(() => zk.stop())
    const path = `/${uniqueName('harness')}`
    await withZk(
      zk.connectString,
      (c) =>
        new Promise<void>((resolve, reject) =>
          c.create(path, Buffer.from('kept'), zookeeper.CreateMode.PERSISTENT, (e) =>
            e ? reject(e) : resolve(),
          ),
        ),
    )
    await zk.restart()
    expect((await withZk(zk.connectString, (c) => getZnode(c, path)))?.data).toBe('kept')
    await zk.down({ kill: true })
    await expect(withZk(zk.connectString, (c) => getZnode(c, path), 1500)).rejects.toThrow(
      /could not connect/,
    )
    await zk.up()
    expect((await withZk(zk.connectString, (c) => getZnode(c, path)))?.data).toBe('kept')
  })
})

describe('a broker in ZooKeeper mode', () => {
  let broker: BrokerProcess

  it('registers /brokers/ids/<id> under a chroot and serves clients', async () => {
    const chroot = `/${uniqueName('samsa')}`
    const zkConnect = `${inject('zkConnect')}${chroot}`
    broker = await startBroker({ id: 3, zkConnect, overrides: { 'zookeeper.session.timeout.ms': 6000 } })
    cleanups.push(() => broker.stop())
    const reg = await readZnodeJson<{ host: string; port: number; endpoints: string[] }>(
      zkConnect,
      '/brokers/ids/3',
    )
    expect(reg).toMatchObject({ host: '127.0.0.1', port: broker.port })
    expect(reg!.endpoints).toContain(`PLAINTEXT://127.0.0.1:${broker.port}`)
    const ephemeral = await withZk(zkConnect, (c) => getZnode(c, '/brokers/ids/3'))
    expect(ephemeral!.ephemeralOwner).not.toBe('0')

    const md = await kcatMetadata(broker.bootstrap)
    expect(md.brokers).toEqual([{ id: 3, name: broker.bootstrap }])
    const topic = uniqueName('zk')
    await kcatProduce(broker.bootstrap, topic, [{ key: 'a', value: 'in zk mode' }], { acks: -1 })
    expect((await kcatConsume(broker.bootstrap, topic)).map((m) => m.payload)).toEqual(['in zk mode'])
    expect(await znodeExists(zkConnect, `/brokers/topics/${topic}`)).toBe(true)
  })

  it('kill -9 drops the registration after the session timeout; a restart registers again', async () => {
    const zkConnect = broker.zkConnect!
    await broker.kill()
    await waitFor('/brokers/ids/3 to expire', async () => !(await znodeExists(zkConnect, '/brokers/ids/3')), {
      timeoutMs: 20_000,
      intervalMs: 250,
    })
    await broker.start()
    expect(await znodeExists(zkConnect, '/brokers/ids/3')).toBe(true)
    // SIGTERM deregisters at once
    expect(await broker.stop()).toBe(0)
    expect(await znodeExists(zkConnect, '/brokers/ids/3')).toBe(false)
  })

  it('SIGTERM while still waiting for an unreachable ZooKeeper stops the startup cleanly (exit 0)', async () => {
    const nobody = await freePort() // nothing listens here
    const b = new BrokerProcess({
      id: 4,
      port: await freePort(),
      dataDir: await scratchDir('broker-4'),
      zkConnect: `127.0.0.1:${nobody}`,
      overrides: { 'zookeeper.connection.timeout.ms': 1000 },
      startTimeoutMs: 30_000,
    })
    const starting = b.start().catch((e: unknown) => e)
    cleanups.push(() => b.kill())
    await waitFor('a ZooKeeper connection retry line', () => logLines(b.logFile, /retrying/).length > 0, {
      timeoutMs: 15_000,
      intervalMs: 100,
    })
    expect(await b.stop(10_000)).toBe(0)
    expect(logLines(b.logFile, /Received SIGTERM during startup/)).toHaveLength(1)
    expect(await starting).toBeInstanceOf(Error) // never became ready
  })
})
