import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startBroker } from './index.js'

const savedTmp = process.env.TMPDIR
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = savedTmp
})

describe('startBroker()', () => {
  it('removes its temporary data directory when the start fails', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'samsa-index-'))
    process.env.TMPDIR = scratch
    await expect(startBroker({ properties: { 'num.partitions': 'many' } })).rejects.toThrow(
      'Invalid value many for configuration num.partitions',
    )
    await expect(startBroker({ logLevel: 'loud' })).rejects.toThrow("Invalid log level 'loud'")
    expect(readdirSync(scratch)).toEqual([])
  })
})
