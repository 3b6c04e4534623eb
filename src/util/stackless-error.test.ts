import { describe, expect, it } from 'vitest'
import { CloseConnection } from '../network/connection.js'
import { DecodeError } from '../protocol/codec/errors.js'
import { StacklessError } from './stackless-error.js'

describe('StacklessError', () => {
  it('captures no stack frames, keeps its message and name, and restores Error.stackTraceLimit', () => {
    const limit = Error.stackTraceLimit
    for (const e of [new StacklessError('x'), new DecodeError('bad bytes'), new CloseConnection('bye')]) {
      expect(e).toBeInstanceOf(Error)
      expect(e.stack?.split('\n').filter((l) => l.trimStart().startsWith('at '))).toEqual([])
    }
    expect(new DecodeError('bad bytes').message).toBe('bad bytes')
    expect(String(new DecodeError('bad bytes'))).toBe('DecodeError: bad bytes')
    expect(new CloseConnection('bye').name).toBe('CloseConnection')
    expect(Error.stackTraceLimit).toBe(limit)
    expect(new Error('ordinary').stack).toMatch(/\n\s+at /)
  })
})
