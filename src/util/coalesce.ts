/**
 * Coalesces wake-ups: calls `run` once on the next microtask however often `wake()` was called before it ran
 * (a send loop woken by every enqueue sends one round, Kafka's `InterBrokerSendThread.wakeup`).
 */
export function coalescedWakeup(run: () => void): () => void {
  let scheduled = false
  return () => {
    if (scheduled) return
    scheduled = true
    queueMicrotask(() => {
      scheduled = false
      run()
    })
  }
}
