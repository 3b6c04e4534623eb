/** The python client scripts (kafka-python, confluent-kafka), run with Debian's /usr/bin/python3. */
import { join } from 'node:path'
import { SUPPORT_DIR, SYSTEM_PYTHON } from './env.js'
import { CommandError, jsonLines, run } from './run.js'

export type PythonLib = 'kafka-python' | 'confluent-kafka'

const SCRIPTS: Record<PythonLib, string> = {
  'kafka-python': join(SUPPORT_DIR, 'python', 'kafka_python_client.py'),
  'confluent-kafka': join(SUPPORT_DIR, 'python', 'confluent_client.py'),
}

export interface PyMessage {
  key?: string | null
  value: string | null
  headers?: Record<string, string>
  partition?: number
}

export interface PyConsumed {
  partition: number
  offset: number
  key: string | null
  value: string | null
  headers: Record<string, string>
  timestamp: number
}

/** Runs a script with one JSON argument and returns its JSON result (throws with its error and trace). */
export async function runPython<T>(
  lib: PythonLib,
  args: Record<string, unknown>,
  timeoutMs = 90_000,
  /** Another script of support/python than the library's client script. */
  script?: string,
): Promise<T> {
  const file = script ? join(SUPPORT_DIR, 'python', script) : SCRIPTS[lib]
  const r = await run(SYSTEM_PYTHON, [file, JSON.stringify(args)], {
    timeoutMs,
    allowFailure: true,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  })
  const docs = jsonLines<Record<string, unknown>>(r.stdout)
  const last = docs[docs.length - 1]
  if (r.code !== 0 || !last || 'error' in last) {
    const why = last && 'error' in last ? `${String(last.error)}\n${String(last.trace ?? '')}` : r.stdout
    throw new CommandError(
      `${lib} ${String(args.action)} failed (exit ${r.code}): ${why}\nstderr: ${r.stderr.slice(-4000)}`,
      r,
    )
  }
  return last as T
}

export function pyProduce(
  lib: PythonLib,
  bootstrap: string,
  topic: string,
  messages: PyMessage[],
  extra: Record<string, unknown> = {},
): Promise<{ results: Array<{ partition: number; offset: number }> }> {
  return runPython(lib, { action: 'produce', bootstrap, topic, messages, ...extra })
}

export function pyConsume(
  lib: PythonLib,
  bootstrap: string,
  topic: string,
  count: number,
  extra: Record<string, unknown> = {},
): Promise<{ messages: PyConsumed[]; committed: Record<string, number> | null; errors?: string[] }> {
  return runPython(lib, { action: 'consume', bootstrap, topic, count, ...extra })
}
