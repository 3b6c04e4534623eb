/** Running a client program to completion: stdin, timeout, and errors that carry its output. */
import { spawn } from 'node:child_process'

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

export interface RunOptions {
  input?: string | Buffer
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly result: RunResult,
  ) {
    super(message)
    this.name = 'CommandError'
  }
}

const clip = (s: string, n = 6000): string =>
  s.length > n ? `${s.slice(0, n)}…(${s.length - n} more chars)` : s

export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = Date.now()
  const timeoutMs = opts.timeoutMs ?? 60_000
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    let timedOut = false
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(new Error(`${command}: ${e.message}`))
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const result: RunResult = {
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - t0,
      }
      const cmdline = `${command} ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`
      if (timedOut) {
        reject(
          new CommandError(
            `timed out after ${timeoutMs} ms: ${cmdline}\nstdout: ${clip(result.stdout)}\nstderr: ${clip(result.stderr)}`,
            result,
          ),
        )
      } else if (code !== 0 && !opts.allowFailure) {
        reject(
          new CommandError(
            `exit ${code ?? signal}: ${cmdline}\nstdout: ${clip(result.stdout)}\nstderr: ${clip(result.stderr)}`,
            result,
          ),
        )
      } else {
        resolve(result)
      }
    })
    child.stdin.on('error', () => {
      /* the program may exit without reading its input */
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** Parses one JSON document per non-empty line. */
export function jsonLines<T = unknown>(text: string): T[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{') || l.startsWith('['))
    .map((l) => JSON.parse(l) as T)
}
