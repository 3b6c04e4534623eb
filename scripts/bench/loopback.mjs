// A bare loopback TCP baseline for `npm run bench`: no protocol, no storage, just bytes through a socket.
//   node loopback.mjs recv <bytes>                  listens on 127.0.0.1:0, prints {"port":N}, then after
//                                                   <bytes> arrived prints {"bytes":B,"ms":T}
//   node loopback.mjs send <port> <bytes> <chunk>   writes <bytes> in <chunk>-byte writes, honouring back-pressure
import net from 'node:net'

const [mode, ...args] = process.argv.slice(2)

if (mode === 'recv') {
  const want = Number(args[0])
  let got = 0
  let t0 = 0n
  const server = net.createServer((sock) => {
    sock.on('data', (d) => {
      if (t0 === 0n) t0 = process.hrtime.bigint()
      got += d.length
      if (got >= want) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6
        process.stdout.write(JSON.stringify({ bytes: got, ms }) + '\n')
        sock.destroy()
        server.close()
      }
    })
  })
  server.listen(0, '127.0.0.1', () =>
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'),
  )
} else if (mode === 'send') {
  const [port, total, chunkSize] = args.map(Number)
  const chunk = Buffer.alloc(chunkSize, 0x61)
  const sock = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => {
    let sent = 0
    const pump = () => {
      while (sent < total) {
        const n = Math.min(chunkSize, total - sent)
        sent += n
        if (!sock.write(n === chunkSize ? chunk : chunk.subarray(0, n))) {
          sock.once('drain', pump)
          return
        }
      }
      sock.end()
    }
    pump()
  })
  sock.on('error', () => process.exit(0))
} else {
  process.stderr.write('usage: loopback.mjs recv <bytes> | send <port> <bytes> <chunk>\n')
  process.exit(2)
}
