// A minimal Fetch client for `npm run bench`: the broker's own ceiling for serving one partition, without a real
// consumer's per-record work. It sends Fetch v11 (what librdkafka 2.0.2 sends) for partition 0 of a topic, from
// offset 0 until `count` records have arrived, one request in flight (as a consumer has per broker), and reads only
// what it needs to ask for the next offset: the response header and each record batch's 61-byte header (base
// offset, length, last offset delta) — records are never decoded, CRCs never checked, the bytes never copied.
//   node raw-fetch.mjs <host:port> <topic> <count> <record value size> [partition max bytes] [max bytes] [wrap]
// With `wrap`, it reads the partition round and round: from its log start offset to its high watermark, then from
// the log start again, until `count` records — for a partition smaller than `count` (librdkafka's mock broker keeps
// only the last ~5 MiB of one).
// prints {"records":N,"bytes":value bytes (records x size, as rdkafka_performance counts),"wireBytes":B,"ms":T,
// "fetches":F}. Defaults are librdkafka's: max.partition.fetch.bytes 1 MiB, fetch.max.bytes 50 MiB, and
// fetch.wait.max.ms 500 with fetch.min.bytes 1.
import net from 'node:net'

const [hostPort, topic, countArg, sizeArg, partMaxArg, maxArg, wrapArg] = process.argv.slice(2)
if (!hostPort || !topic || !countArg || !sizeArg) {
  process.stderr.write(
    'usage: raw-fetch.mjs <host:port> <topic> <count> <size> [partition max bytes] [max bytes] [wrap]\n',
  )
  process.exit(2)
}
const [host, port] = hostPort.split(':')
const count = Number(countArg)
const size = Number(sizeArg)
const partitionMaxBytes = Number(partMaxArg ?? 1024 * 1024)
const maxBytes = Number(maxArg ?? 50 * 1024 * 1024)
const wrap = wrapArg === 'wrap'

const CLIENT_ID = Buffer.from('raw-fetch')
const TOPIC = Buffer.from(topic)

/** One Fetch v11 request frame (with its size prefix) for partition 0 from `offset`. */
function fetchRequest(correlationId, offset) {
  const n =
    4 +
    2 +
    2 +
    4 +
    2 +
    CLIENT_ID.length +
    4 * 4 +
    1 +
    4 +
    4 +
    4 +
    2 +
    TOPIC.length +
    4 +
    4 +
    4 +
    8 +
    8 +
    4 +
    4 +
    2
  const b = Buffer.alloc(n)
  let p = 0
  p = b.writeInt32BE(n - 4, p)
  p = b.writeInt16BE(1, p) // Fetch
  p = b.writeInt16BE(11, p)
  p = b.writeInt32BE(correlationId, p)
  p = b.writeInt16BE(CLIENT_ID.length, p)
  p += CLIENT_ID.copy(b, p)
  p = b.writeInt32BE(-1, p) // replica id
  p = b.writeInt32BE(500, p) // max wait ms
  p = b.writeInt32BE(1, p) // min bytes
  p = b.writeInt32BE(maxBytes, p)
  p = b.writeInt8(0, p) // READ_UNCOMMITTED
  p = b.writeInt32BE(0, p) // session id: none
  p = b.writeInt32BE(-1, p) // session epoch: sessionless
  p = b.writeInt32BE(1, p) // topics
  p = b.writeInt16BE(TOPIC.length, p)
  p += TOPIC.copy(b, p)
  p = b.writeInt32BE(1, p) // partitions
  p = b.writeInt32BE(0, p)
  p = b.writeInt32BE(-1, p) // current leader epoch
  p = b.writeBigInt64BE(BigInt(offset), p)
  p = b.writeBigInt64BE(-1n, p) // log start offset (followers only)
  p = b.writeInt32BE(partitionMaxBytes, p)
  p = b.writeInt32BE(0, p) // forgotten topics
  p = b.writeInt16BE(0, p) // rack id ''
  if (p !== n) throw new Error(`request size ${p} != ${n}`)
  return b
}

// The incoming bytes as a list of chunks, read at absolute positions without joining them.
const chunks = []
let chunksStart = 0 // absolute position of chunks[0][0]
let received = 0 // absolute position after the last byte received

/** `len` bytes at absolute position `pos` (copied only when they span chunks). */
function bytesAt(pos, len) {
  let base = chunksStart
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]
    if (pos < base + c.length) {
      const off = pos - base
      if (off + len <= c.length) return c.subarray(off, off + len)
      const out = Buffer.allocUnsafe(len)
      let got = 0
      for (let j = i, o = off; got < len; j++, o = 0)
        got += chunks[j].copy(out, got, o, Math.min(chunks[j].length, o + len - got))
      return out
    }
    base += c.length
  }
  throw new Error(`no bytes at ${pos}`)
}

/** Drops the chunks wholly before absolute position `pos`. */
function discardBefore(pos) {
  while (chunks.length > 0 && chunksStart + chunks[0].length <= pos) chunksStart += chunks.shift().length
}

let offset = 0
let highWatermark = -1 // of the last response
let logStartOffset = 0 // of the last response
let records = 0
let wireBytes = 0
let fetches = 0
let correlationId = 0
let frameStart = 0 // absolute position of the current response's size prefix
let t0 = 0n
let sentAt = 0n // when the current request was written
let firstAt = 0n // when its response's first bytes arrived
let waitNs = 0n // request written -> first response bytes, summed
let transferNs = 0n // first -> last response bytes, summed

/** Parses one whole response frame at frameStart (size prefix included); returns the next fetch offset. */
function parseResponse(frameLen) {
  let p = frameStart + 4
  const end = p + frameLen
  const h = bytesAt(p, 4 + 4 + 2 + 4 + 4)
  const errorCode = h.readInt16BE(8)
  if (errorCode !== 0) throw new Error(`fetch error ${errorCode}`)
  if (h.readInt32BE(14) !== 1) throw new Error('expected one topic')
  p += 18
  const tlen = bytesAt(p, 2).readInt16BE(0)
  p += 2 + tlen
  if (bytesAt(p, 4).readInt32BE(0) !== 1) throw new Error('expected one partition')
  p += 4
  const ph = bytesAt(p, 4 + 2 + 8 + 8 + 8 + 4)
  const perr = ph.readInt16BE(4)
  if (perr !== 0) throw new Error(`partition error ${perr}`)
  highWatermark = Number(ph.readBigInt64BE(6))
  logStartOffset = Number(ph.readBigInt64BE(22))
  p += 34
  const aborted = ph.readInt32BE(30)
  if (aborted > 0) p += aborted * 16
  p += 4 // preferred read replica
  const recLen = bytesAt(p, 4).readInt32BE(0)
  p += 4
  const recEnd = recLen > 0 ? p + recLen : p
  if (recEnd > end) throw new Error('records past the frame')
  let next = offset
  while (p + 61 <= recEnd) {
    const bh = bytesAt(p, 27)
    const base = Number(bh.readBigInt64BE(0))
    const len = bh.readInt32BE(8)
    if (p + 12 + len > recEnd) break // a partial batch at the end
    const last = base + bh.readInt32BE(23)
    if (last >= next) {
      records += last + 1 - Math.max(base, next)
      next = last + 1
    }
    p += 12 + len
  }
  return next
}

const sock = net.connect({ host, port: Number(port), noDelay: true }, () => {
  t0 = process.hrtime.bigint()
  sentAt = t0
  sock.write(fetchRequest(++correlationId, offset))
})
sock.on('data', (d) => {
  if (firstAt === 0n) firstAt = process.hrtime.bigint()
  chunks.push(d)
  received += d.length
  wireBytes += d.length
  for (;;) {
    if (received - frameStart < 4) return
    const frameLen = bytesAt(frameStart, 4).readInt32BE(0)
    if (received - frameStart < 4 + frameLen) return
    offset = parseResponse(frameLen)
    if (wrap && offset >= highWatermark) offset = Math.max(logStartOffset, 0)
    fetches++
    const now = process.hrtime.bigint()
    waitNs += firstAt - sentAt
    transferNs += now - firstAt
    firstAt = received > frameStart + 4 + frameLen ? now : 0n
    frameStart += 4 + frameLen
    discardBefore(frameStart)
    if (records >= count) {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      const perFetch = (ns) => Number(ns / BigInt(fetches)) / 1e6
      const stats = { records, bytes: records * size, wireBytes, ms, fetches }
      // mean ms per fetch: request written -> first response bytes (the broker's turn), first -> last bytes
      Object.assign(stats, { waitMs: perFetch(waitNs), transferMs: perFetch(transferNs) })
      process.stdout.write(JSON.stringify(stats) + '\n')
      sock.destroy()
      return
    }
    sentAt = process.hrtime.bigint()
    sock.write(fetchRequest(++correlationId, offset))
  }
})
sock.on('error', (e) => {
  process.stderr.write(`raw-fetch: ${e.message}\n`)
  process.exit(1)
})
