/**
 * A broker process's V8 inspector, for memory figures a test can trust: a broker started with
 * `inspectPort` (support/broker.ts: NODE_OPTIONS=--inspect=127.0.0.1:<port>) is asked, over the Chrome DevTools
 * protocol, to run a full garbage collection and then to report process.memoryUsage() — the heap that is still in
 * use after the collection is memory the broker keeps; RSS alone also counts what V8 and the allocator hold on to.
 */
import { WebSocket } from 'undici'

export interface MemoryAfterGc {
  /** V8 heap in use after a full collection. */
  readonly heapUsed: number
  /** V8 heap reserved (in use or not). */
  readonly heapTotal: number
  /** Memory of JavaScript objects outside the heap (Buffers). */
  readonly external: number
  readonly rss: number
}

/** A DevTools-protocol session with one process's inspector. */
export class InspectorSession {
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as {
        id?: number
        result?: unknown
        error?: { message: string }
      }
      const w = msg.id === undefined ? undefined : this.waiting.get(msg.id)
      if (!w) return
      this.waiting.delete(msg.id!)
      if (msg.error) w.reject(new Error(msg.error.message))
      else w.resolve(msg.result)
    })
    ws.addEventListener('close', () => {
      for (const w of this.waiting.values()) w.reject(new Error('the inspector closed the session'))
      this.waiting.clear()
    })
  }

  /** Connects to the inspector listening on 127.0.0.1:`port` (its first target). */
  static async connect(port: number, timeoutMs = 10_000): Promise<InspectorSession> {
    const res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(timeoutMs) })
    const targets = (await res.json()) as Array<{ webSocketDebuggerUrl?: string }>
    const url = targets[0]?.webSocketDebuggerUrl
    if (!url) throw new Error(`no inspector target on 127.0.0.1:${port}`)
    const ws = new WebSocket(url)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.close()
        reject(new Error(`the inspector at ${url} did not open within ${timeoutMs} ms`))
      }, timeoutMs)
      ws.addEventListener('open', () => {
        clearTimeout(timer)
        resolve()
      })
      ws.addEventListener('error', () => {
        clearTimeout(timer)
        reject(new Error(`cannot open the inspector at ${url}`))
      })
    })
    return new InspectorSession(ws)
  }

  /** Sends one DevTools-protocol command and waits (at most `timeoutMs`) for its result. */
  send(method: string, params: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<unknown> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new Error(`${method}: no answer from the inspector within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer)
          resolve(v)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
      this.ws.send(JSON.stringify({ id, method, params }))
    })
  }

  /** Runs a full garbage collection in the process, then reads its memory figures. */
  async memoryAfterGc(): Promise<MemoryAfterGc> {
    await this.send('HeapProfiler.collectGarbage')
    const r = (await this.send('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } }
    return JSON.parse(r.result.value) as MemoryAfterGc
  }

  close(): void {
    this.ws.close()
  }
}
