/**
 * Security settings: a listener or setting Samsa cannot honour stops the broker at start-up with a clear message,
 * never a silent downgrade to PLAINTEXT.
 */
import { describe, expect, it } from 'vitest'
import { startBroker } from '../src/index.js'
import { KAFKA_SERVER_START, REPO_ROOT, scratchDir, STANDALONE_PROPERTIES } from './support/env.js'
import { freePort } from './support/procs.js'
import { run } from './support/run.js'

describe('start-up refusal', () => {
  it('kafka-server-start.sh exits with a message for a listener it cannot secure', async () => {
    const dir = await scratchDir('refuse')
    const [plain, secure] = [await freePort(), await freePort()]
    const r = await run(
      KAFKA_SERVER_START,
      [
        STANDALONE_PROPERTIES,
        '--override',
        `listeners=PLAINTEXT://127.0.0.1:${plain},SASL_SSL://127.0.0.1:${secure}`,
        '--override',
        `log.dirs=${dir}`,
      ],
      { cwd: REPO_ROOT, allowFailure: true, timeoutMs: 30_000 },
    )
    expect(r.code).toBe(1)
    expect(r.stdout + r.stderr).toContain(
      `Listener SASL_SSL://127.0.0.1:${secure} uses security protocol SASL_SSL, which Samsa does not support yet`,
    )
  })

  it('startBroker() rejects the same configuration', async () => {
    await expect(
      startBroker({
        properties: {
          listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
          'security.inter.broker.protocol': 'SASL_PLAINTEXT',
        },
        logLevel: 'silent',
      }),
    ).rejects.toThrow('uses security protocol SASL_PLAINTEXT')
  })
})
