import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ErrorCode, KafkaError } from '../../protocol/errors.js'
import { ManualClock } from '../../util/scheduler.js'
import { asStorageError, FaultLog, storageFault } from './storage-faults.js'

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: failed`), { code })

function capture(): { log: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = []
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string })
      cb()
    },
  })
  return { log: pino({ level: 'debug' }, stream), lines }
}

describe('storage faults', () => {
  it('tells a full disk from a failed one, and turns both into KAFKA_STORAGE_ERROR', () => {
    expect(storageFault(errno('ENOSPC'))).toBe('full')
    expect(storageFault(errno('EIO'))).toBe('failed')
    expect(storageFault(errno('EROFS'))).toBe('failed')
    expect(storageFault(errno('ENOENT'))).toBeUndefined()
    const e = asStorageError(errno('ENOSPC'), 'appending')
    expect(e).toBeInstanceOf(KafkaError)
    expect((e as KafkaError).code).toBe(ErrorCode.KAFKA_STORAGE_ERROR)
    const other = errno('ENOENT')
    expect(asStorageError(other, 'x')).toBe(other)
  })

  it('logs a failing write once per episode, its recovery once, and a flapping full disk as one episode', () => {
    const { log, lines } = capture()
    const clock = new ManualClock()
    const f = new FaultLog(log, clock)
    const errors = (): number => lines.filter((l) => l.level === 50).length
    const infos = (): number => lines.filter((l) => l.level === 30).length
    for (let i = 0; i < 5; i++) f.fail('cp', 'checkpoint', errno('ENOSPC'))
    expect(errors()).toBe(1)
    f.ok('cp', 'checkpoint written again') // a flap within the quiet period
    f.fail('cp', 'checkpoint', errno('ENOSPC'))
    expect(errors()).toBe(1)
    expect(f.isFailing('cp')).toBe(true)
    f.fail('cp', 'checkpoint', errno('EIO')) // a different failure is news
    expect(errors()).toBe(2)
    clock.advance(61_000)
    f.fail('cp', 'checkpoint', errno('EIO')) // still failing a minute later: said again
    expect(errors()).toBe(3)
    clock.advance(61_000)
    f.ok('cp', 'checkpoint written again')
    expect(infos()).toBe(1)
    expect(f.isFailing('cp')).toBe(false)
  })
})
