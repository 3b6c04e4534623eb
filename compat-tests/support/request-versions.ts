/**
 * Which API versions clients really used, read from an in-process broker's trace log: pass `sink` to the broker's
 * pino logger (`pino({ level: 'trace' }, sink)`) and read `used` (API name -> versions) afterwards.
 */
import { Writable } from 'node:stream'

export function requestVersionRecorder(): { used: Map<string, Set<number>>; sink: Writable } {
  const used = new Map<string, Set<number>>()
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.includes('"msg":"request"')) continue
        const { api, version } = JSON.parse(line) as { api: string; version: number }
        if (!used.has(api)) used.set(api, new Set())
        used.get(api)!.add(version)
      }
      done()
    },
  })
  return { used, sink }
}
