/**
 * Reading a socket into our own memory (libuv's "user buffer"), instead of the fresh 64 KiB buffer Node allocates
 * for every read. Node offers it publicly only to client sockets (`net.connect({ onread })`); a socket that a
 * net.Server accepted is built without it. We give an accepted socket the same state its constructor gives a
 * socket made with `onread` — the three per-socket slots Node's read callback looks at (found by their symbol
 * descriptions) and the handle's `useUserBuffer` — before its first read.
 *
 * Checked at the first use: when Node's internals differ (the slots are missing, not empty, or the handle has no
 * useUserBuffer) the caller keeps the 'data' path, which reads exactly as before. TLS sockets always keep it.
 *
 * What the callback must do: the bytes of a read are in the buffer the read went to; a buffer handed to libuv must
 * stay untouched until the read callback has run (libuv writes into it while the socket reads), and the buffer of
 * the next read is the one `next()` returns after each callback.
 */
import net from 'node:net'
import tls from 'node:tls'

interface Slots {
  readonly buffer: symbol
  readonly callback: symbol
  readonly generator: symbol
}

let slots: Slots | null | undefined
/** Tests: force the 'data' path (as on a Node whose internals differ). */
let forcedOff = false

function findSlots(): Slots | null {
  const probe = new net.Socket()
  const byName = new Map<string, symbol>()
  for (const s of Object.getOwnPropertySymbols(probe)) if (s.description) byName.set(s.description, s)
  probe.destroy()
  const buffer = byName.get('kBuffer')
  const callback = byName.get('kBufferCb')
  const generator = byName.get('kBufferGen')
  if (!buffer || !callback || !generator) return null
  const p = probe as unknown as Record<symbol, unknown>
  if (p[buffer] !== null || p[callback] !== null || p[generator] !== null) return null
  return { buffer, callback, generator }
}

/** Whether this Node lets us read accepted sockets into our own buffers (false also when a test forced it off). */
export function userBufferSupported(): boolean {
  if (forcedOff) return false
  if (slots === undefined) slots = findSlots()
  return slots !== null
}

/** Tests: force the fallback ('data' events) for sockets attached from now on, or undo it. */
export function forceUserBufferFallback(on: boolean): void {
  forcedOff = on
}

interface UserBufferHandle {
  useUserBuffer?: (buf: Uint8Array) => void
  reading?: boolean
}

/**
 * Makes the socket read into the buffers `next` returns; `onRead(n, buf)` gets each read's byte count and the
 * buffer it went to. Must run before the socket's first read (a paused, just accepted socket). Returns false, and
 * changes nothing, when the socket cannot (TLS, internals differ, no handle): the caller reads 'data' instead.
 */
export function attachUserBuffer(
  socket: net.Socket,
  next: () => Buffer,
  onRead: (n: number, buf: Buffer) => void,
): boolean {
  if (socket instanceof tls.TLSSocket || !userBufferSupported()) return false
  const s = slots!
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle
  if (!handle || typeof handle.useUserBuffer !== 'function') return false
  const state = socket as unknown as Record<symbol, unknown>
  if (state[s.buffer] !== null || state[s.callback] !== null || state[s.generator] !== null) return false
  const first = next()
  state[s.buffer] = first
  state[s.callback] = onRead
  state[s.generator] = next
  handle.useUserBuffer(first)
  return true
}

/**
 * One buffer that every socket in user-buffer mode reads into while it waits for the start of its next frame.
 * Reads are synchronous on the event loop (libuv reads, then runs the callback at once), so sharing it is safe as
 * long as every callback copies out what it keeps before it returns.
 */
export const SHARED_READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024)
/** The first 4 bytes of it: a read of one size prefix only (after a large frame read in place). */
export const SHARED_PREFIX_BUFFER = SHARED_READ_BUFFER.subarray(0, 4)
