import { describe, expect, it } from 'vitest'
import { TimeSlicer } from '../../util/time-slicer.js'
import { Apis } from '../messages/index.js'
import { decodeBuffer, decodeSliced, encodeSliced, encodeToBuffer } from './codec.js'
import { Reader } from './reader.js'
import { Writer } from './writer.js'

describe('the time-sliced codec', () => {
  it('lets the event loop run while it decodes and encodes a Metadata request naming 200,000 topics', async () => {
    const topics = Array.from({ length: 200_000 }, (_, i) => ({ name: `t-${i}` }))
    const bytes = encodeToBuffer(Apis.Metadata.request, 4, { topics, allowAutoTopicCreation: false })
    let ticks = 0
    const ticker = setInterval(() => ticks++, 0)
    try {
      const slicer = new TimeSlicer(1)
      const decoded = await decodeSliced(Apis.Metadata.request, 4, new Reader(bytes), slicer)
      expect(decoded).toEqual(decodeBuffer(Apis.Metadata.request, 4, bytes))
      const w = new Writer()
      await encodeSliced(Apis.Metadata.request, 4, decoded, w, slicer)
      expect(w.toBuffer().equals(bytes)).toBe(true)
      expect(slicer.yields).toBeGreaterThan(0)
    } finally {
      clearInterval(ticker)
    }
    expect(ticks).toBeGreaterThan(0)
  })

  it('refuses a malformed array count as decode does', async () => {
    const bytes = encodeToBuffer(Apis.Metadata.request, 4, {
      topics: [{ name: 'a' }],
      allowAutoTopicCreation: false,
    })
    bytes.writeInt32BE(1000, 0) // 1000 topics announced, one there
    await expect(decodeSliced(Apis.Metadata.request, 4, new Reader(bytes), new TimeSlicer())).rejects.toThrow(
      /exceeds remaining bytes|beyond|end/,
    )
    expect(() => decodeBuffer(Apis.Metadata.request, 4, bytes)).toThrow()
  })
})
