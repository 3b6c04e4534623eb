/**
 * Child processes started by the harness: free ports, spawning with output captured to a log file, waiting
 * for a TCP port, and a registry (a file in the run directory) so the global teardown can kill anything a
 * crashed test worker left behind. Only processes we started are ever signalled, by pid.
 */
import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process'
import { appendFileSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { runDir } from './env.js'

const live = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Last resort when a worker exits without its afterAll hooks: nothing we started may outlive it.
  process.once('exit', () => {
    for (const child of live) {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(child.pid, 'SIGKILL')
        } catch {
          /* already gone */
        }
      }
    }
  })
}

/** Where pids of started processes are recorded for the global teardown. */
export function pidRegistryFile(dir = runDir()): string {
  return join(dir, 'pids')
}

function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()
  } catch {
    return undefined
  }
}

/**
 * Kills (SIGKILL) every registered process that is still running with the command line it was registered
 * with (so a recycled pid is never hit). Used by the global teardown.
 */
export function killRegisteredProcesses(dir: string): string[] {
  const file = pidRegistryFile(dir)
  if (!existsSync(file)) return []
  const killed: string[] = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue
    let entry: { pid: number; cmd: string; what: string }
    try {
      entry = JSON.parse(line) as { pid: number; cmd: string; what: string }
    } catch {
      continue
    }
    const now = cmdlineOf(entry.pid)
    if (now === undefined || now !== entry.cmd) continue
    try {
      process.kill(entry.pid, 'SIGKILL')
      killed.push(`${entry.what} (pid ${entry.pid})`)
    } catch {
      /* gone */
    }
  }
  return killed
}

/**
 * Registers a process the harness did not spawn itself (a `-daemon` broker, whose parent script has exited) so
 * that the global teardown kills it if a test leaves it running.
 */
export function registerPid(pid: number, what: string): void {
  const cmd = cmdlineOf(pid)
  if (cmd) appendFileSync(pidRegistryFile(), JSON.stringify({ pid, cmd, what }) + '\n')
}

export interface Spawned {
  readonly child: ChildProcess
  readonly pid: number
  readonly logFile: string
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>
}

/**
 * Spawns a long-running process with stdout and stderr appended to `logFile`, registers it, and returns
 * once it has a pid.
 */
export function spawnLogged(
  what: string,
  command: string,
  args: readonly string[],
  logFile: string,
  options: SpawnOptions = {},
): Spawned {
  installExitHook()
  appendFileSync(logFile, `\n===== ${new Date().toISOString()} ${what}: ${command} ${args.join(' ')}\n`)
  const fd = openSync(logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(command, args, { ...options, stdio: ['ignore', fd, fd] })
  } finally {
    closeSync(fd)
  }
  if (!child.pid) throw new Error(`could not start ${what}: ${command}`)
  const pid = child.pid
  live.add(child)
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      appendFileSync(logFile, `\n===== ${new Date().toISOString()} ${what} exited: ${code ?? signal}\n`)
      resolve(code ?? signal ?? -1)
    })
  })
  // The registry entry is matched against /proc/<pid>/cmdline at teardown; read it once exec has happened.
  const register = (): void => {
    const cmd = cmdlineOf(pid)
    if (cmd) appendFileSync(pidRegistryFile(), JSON.stringify({ pid, cmd, what }) + '\n')
  }
  setTimeout(register, 200).unref()
  return { child, pid, logFile, exited }
}

export function isRunning(s: Spawned): boolean {
  return s.child.exitCode === null && s.child.signalCode === null
}

/** Sends `signal` and waits up to `timeoutMs` for the exit; escalates to SIGKILL after that. */
export async function stopProcess(
  s: Spawned,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 20_000,
): Promise<number | string> {
  if (!isRunning(s)) return s.exited
  s.child.kill(signal)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>(
    (resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)),
  )
  const r = await Promise.race([s.exited, timeout])
  clearTimeout(timer)
  if (r !== 'timeout') return r
  s.child.kill('SIGKILL')
  await s.exited
  return `did not exit within ${timeoutMs} ms of ${signal}; killed`
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once('error', reject)
    srv.listen(0, host, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** True when a TCP connection to host:port succeeds within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port })
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      sock.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
  })
}

/** The last `maxBytes` of a log file (for error messages). */
export function tailFile(file: string, maxBytes = 8000): string {
  try {
    const text = readFileSync(file, 'utf8')
    return text.length > maxBytes ? '…' + text.slice(-maxBytes) : text
  } catch {
    return `(no log at ${file})`
  }
}
