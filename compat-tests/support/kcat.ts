/** kcat (librdkafka 2.0.2) as a user runs it: -L -J metadata, -P produce, -C consume. */
import { jsonLines, run, type RunResult } from './run.js'

const KCAT = process.env.KCAT ?? 'kcat'

export interface KcatMetadata {
  originating_broker: { id: number; name: string }
  query: { topic: string }
  controllerid?: number
  brokers: Array<{ id: number; name: string }>
  topics: Array<{
    topic: string
    error?: string
    partitions: Array<{
      partition: number
      leader: number
      error?: string
      replicas: Array<{ id: number }>
      isrs: Array<{ id: number }>
    }>
  }>
}

export interface KcatMessage {
  topic: string
  partition: number
  offset: number
  tstype: string
  ts: number
  broker: number
  headers?: string[]
  key: string | null
  payload: string | null
}

/** librdkafka properties for every kcat run: fail fast instead of retrying for minutes. */
const COMMON = ['-X', 'socket.timeout.ms=20000', '-X', 'topic.metadata.refresh.interval.ms=1000']

/** `kcat -L -J` (optionally for one topic; `props` are -X librdkafka properties such as SASL settings). */
export async function kcatMetadata(
  bootstrap: string,
  topic?: string,
  props: Readonly<Record<string, string | number>> = {},
): Promise<KcatMetadata> {
  const args = ['-b', bootstrap, '-L', '-J', ...COMMON, '-m', '20']
  if (topic) args.push('-t', topic)
  for (const [k, v] of Object.entries(props)) args.push('-X', `${k}=${String(v)}`)
  const r = await run(KCAT, args, { timeoutMs: 40_000 })
  return JSON.parse(r.stdout) as KcatMetadata
}

export interface KcatProduceOptions {
  partition?: number
  /** -z: none|gzip|snappy|lz4|zstd */
  compression?: string
  /** request.required.acks */
  acks?: number
  /** -H name=value (applied to every message) */
  headers?: Record<string, string>
  /** more -X property=value */
  props?: Record<string, string | number | boolean>
  timeoutMs?: number
}

/**
 * `kcat -P`: one message per line of stdin; with keys, `key<TAB>value` lines (-K '\t'). Values and keys must not
 * contain newlines or tabs. Resolves when kcat exits 0 (all messages delivered).
 */
export async function kcatProduce(
  bootstrap: string,
  topic: string,
  messages: ReadonlyArray<{ key?: string; value: string }>,
  opts: KcatProduceOptions = {},
): Promise<RunResult> {
  const keyed = messages.some((m) => m.key !== undefined)
  const args = ['-b', bootstrap, '-P', '-t', topic, ...COMMON, '-X', 'message.timeout.ms=30000']
  if (opts.partition !== undefined) args.push('-p', String(opts.partition))
  if (keyed) args.push('-K', '\t')
  if (opts.compression) args.push('-z', opts.compression)
  if (opts.acks !== undefined) args.push('-X', `request.required.acks=${opts.acks}`)
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}=${v}`)
  for (const [k, v] of Object.entries(opts.props ?? {})) args.push('-X', `${k}=${String(v)}`)
  const input = messages.map((m) => (keyed ? `${m.key ?? ''}\t${m.value}` : m.value)).join('\n') + '\n'
  const r = await run(KCAT, args, { input, timeoutMs: opts.timeoutMs ?? 60_000 })
  // kcat reports delivery failures on stderr ("% ERROR"/"Delivery failed") even when its exit code is 0.
  if (/Delivery failed|% ERROR/i.test(r.stderr)) {
    throw new Error(`kcat produce reported errors:\n${r.stderr}`)
  }
  return r
}

export interface KcatConsumeOptions {
  partition?: number
  /** -o: beginning | end | <offset> | -<n> | s@<timestamp ms> | e@<timestamp ms> (default beginning) */
  offset?: string | number
  /** -c: stop after this many messages */
  count?: number
  /** -e: exit at the end of the partitions (default true) */
  exitAtEnd?: boolean
  props?: Record<string, string | number | boolean>
  timeoutMs?: number
}

/** `kcat -C -J -o <offset> [-e]`: the consumed messages, parsed. */
export async function kcatConsume(
  bootstrap: string,
  topic: string,
  opts: KcatConsumeOptions = {},
): Promise<KcatMessage[]> {
  const args = ['-b', bootstrap, '-C', '-t', topic, '-J', ...COMMON, '-o', String(opts.offset ?? 'beginning')]
  if (opts.exitAtEnd ?? true) args.push('-e')
  if (opts.partition !== undefined) args.push('-p', String(opts.partition))
  if (opts.count !== undefined) args.push('-c', String(opts.count))
  for (const [k, v] of Object.entries(opts.props ?? {})) args.push('-X', `${k}=${String(v)}`)
  const r = await run(KCAT, args, { timeoutMs: opts.timeoutMs ?? 60_000 })
  return jsonLines<KcatMessage>(r.stdout)
}
