/**
 * Shared helpers for unit tests (not used by the broker).
 */

/** One turn of the event loop: pending promise jobs, immediates and ready I/O callbacks run. */
export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r))

/**
 * Waits until `pred` holds, one event-loop turn at a time and without any time passing: a positive barrier for a
 * state that work already under way (promise jobs, watch notifications, loopback I/O, reads and writes on the thread
 * pool) reaches by itself. Fails once `turns` turns AND `minMs` of real time have gone by: counting turns alone
 * failed under load while a thread-pool read was still queued (a turn costs microseconds when nothing is ready).
 */
export async function eventually(
  pred: () => boolean | Promise<boolean>,
  turns = 100_000,
  minMs = 10_000,
): Promise<void> {
  const start = performance.now()
  for (let i = 0; !(await pred()); i++) {
    if (i >= turns && performance.now() - start >= minMs)
      throw new Error(`condition not reached after ${i} event-loop turns and ${minMs} ms`)
    await nextTurn()
  }
}
