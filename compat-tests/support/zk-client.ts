/** Reading ZooKeeper from tests (node-zookeeper-client): znode data, existence, children. */
import zookeeper from 'node-zookeeper-client'

export interface Znode {
  /** The data as UTF-8 text ('' for an empty znode, null for a null one). */
  readonly data: string | null
  readonly version: number
  readonly numChildren: number
  /** Non-zero session id (as hex) for an ephemeral znode, '0' otherwise. */
  readonly ephemeralOwner: string
}

function isNoNode(e: unknown): boolean {
  return e instanceof zookeeper.Exception && e.getCode() === zookeeper.Exception.NO_NODE
}

/** Connects, runs `fn`, closes. Fails after `timeoutMs` if ZooKeeper cannot be reached. */
export async function withZk<T>(
  connectString: string,
  fn: (client: zookeeper.Client) => Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: 10_000, spinDelay: 200, retries: 1 })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`could not connect to ZooKeeper at ${connectString}`)),
        timeoutMs,
      )
      client.once('connected', () => {
        clearTimeout(timer)
        resolve()
      })
      client.connect()
    })
    return await fn(client)
  } finally {
    client.close()
  }
}

export function getZnode(client: zookeeper.Client, path: string): Promise<Znode | undefined> {
  return new Promise((resolve, reject) => {
    client.getData(path, (err, data, stat) => {
      if (err) {
        if (isNoNode(err)) resolve(undefined)
        else reject(err instanceof Error ? err : new Error(String(err)))
        return
      }
      resolve({
        data: data ? data.toString('utf8') : null,
        version: stat.version,
        numChildren: stat.numChildren,
        ephemeralOwner: stat.ephemeralOwner.toString('hex').replace(/^0+/, '') || '0',
      })
    })
  })
}

export function getChildren(client: zookeeper.Client, path: string): Promise<string[] | undefined> {
  return new Promise((resolve, reject) => {
    client.getChildren(path, (err, children) => {
      if (err) {
        if (isNoNode(err)) resolve(undefined)
        else reject(err instanceof Error ? err : new Error(String(err)))
        return
      }
      resolve([...children].sort())
    })
  })
}

/** Reads one znode (undefined when it does not exist). */
export function readZnode(connectString: string, path: string): Promise<Znode | undefined> {
  return withZk(connectString, (c) => getZnode(c, path))
}

/** Reads one znode and parses its data as JSON (undefined when it does not exist). */
export async function readZnodeJson<T = unknown>(
  connectString: string,
  path: string,
): Promise<T | undefined> {
  const z = await readZnode(connectString, path)
  if (!z || z.data === null) return undefined
  return JSON.parse(z.data) as T
}

export async function znodeExists(connectString: string, path: string): Promise<boolean> {
  return (await readZnode(connectString, path)) !== undefined
}

export function listZnodes(connectString: string, path: string): Promise<string[] | undefined> {
  return withZk(connectString, (c) => getChildren(c, path))
}
