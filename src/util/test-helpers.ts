/**
 * Shared helpers for unit tests (not used by the broker).
 */

/** One turn of the event loop: pending promise jobs, immediates and ready I/O callbacks run. */
export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r))

/**
 * Waits until `pred` holds, one event-loop turn at a time and without any time passing: a positive barrier for a
 * state that work already under way (promise jobs, watch notifications, loopback I/O) reaches by itself. Fails after
 * `turns` turns.
 */
export async function eventually(pred: () => boolean | Promise<boolean>, turns = 100_000): Promise<void> {
  for (let i = 0; !(await pred()); i++) {
    if (i >= turns) throw new Error(`condition not reached after ${turns} event-loop turns`)
    await nextTurn()
  }
}
