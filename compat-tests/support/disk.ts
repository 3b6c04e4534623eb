/**
 * Disk faults for the fault tests (root only: they mount file systems):
 *  - a size-limited tmpfs as a broker's log directory: a disk that fills up;
 *  - an ext4 file system on a loop device, shut down with EXT4_IOC_SHUTDOWN (what xfstests does to simulate a
 *    failing disk): from then on every read and write fails with EIO; unmounted and mounted again, it is back
 *    (the journal is replayed);
 *  - the same ext4 on a loop device doing direct I/O, slowed by the block layer's throttle (throttleDisk): a slow
 *    disk (no dm-delay here: the device mapper is not in this kernel).
 */
import { existsSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { run } from './run.js'

/** Whether this process may mount file systems (CI runs as root). */
export const canMount = process.getuid?.() === 0

const mounted = new Set<string>()

/** Mounts a tmpfs of `sizeMb` MB on `dir` (which must exist, and should be empty). */
export async function mountTmpfs(dir: string, sizeMb: number): Promise<void> {
  await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { timeoutMs: 10_000 })
  mounted.add(dir)
}

const loops = new Map<string, { image: string; device: string }>()

/**
 * Mounts a fresh ext4 file system of `sizeMb` MB, on a loop device over the sparse file `image`, on `dir`.
 * `directIo`: the loop device reads and writes its backing file with O_DIRECT (no second page cache under it), so
 * what the block layer lets through (throttleDisk) is what reaches the disk.
 */
export async function mountExt4(
  dir: string,
  image: string,
  sizeMb: number,
  opts: { directIo?: boolean } = {},
): Promise<void> {
  await run('truncate', ['-s', `${sizeMb}M`, image])
  const device = (
    await run('losetup', ['-f', '--show', ...(opts.directIo ? ['--direct-io=on'] : []), image])
  ).stdout.trim()
  await run('blockdev', ['--setrw', device])
  await run('mkfs.ext4', ['-q', device], { timeoutMs: 60_000 })
  await run('mount', [device, dir], { timeoutMs: 10_000 })
  mounted.add(dir)
  loops.set(dir, { image, device })
}

/** Shuts the file system on `dir` down (EXT4_IOC_SHUTDOWN, without flushing the log): every I/O fails with EIO. */
export async function failDisk(dir: string): Promise<void> {
  const py = `import fcntl, os, struct; fd = os.open(${JSON.stringify(dir)}, os.O_RDONLY); fcntl.ioctl(fd, 0x8004587D, struct.pack('I', 2))`
  await run('python3', ['-c', py])
}

/** Unmounts and mounts again the ext4 of `dir` (after failDisk: the disk works again, its journal replayed). */
export async function repairDisk(dir: string): Promise<void> {
  const l = loops.get(dir)
  if (!l) throw new Error(`${dir} is not an ext4 of mountExt4`)
  await run('umount', [dir], { timeoutMs: 30_000 })
  await run('mount', [l.device, dir], { timeoutMs: 30_000 })
}

/** Limits of the block layer's throttle (cgroup v1 blkio.throttle.*); 0 = no limit. */
export interface DiskThrottle {
  readBps?: number
  writeBps?: number
  readIops?: number
  writeIops?: number
}

const BLKIO = '/sys/fs/cgroup/blkio'
const throttled = new Map<string, string>()

/** Whether the block layer's throttle can slow a loop device here (cgroup v1 blkio, root). */
export const canThrottle = canMount && existsSync(join(BLKIO, 'blkio.throttle.write_iops_device'))

/**
 * Makes the loop device under `dir` (mountExt4) slow: cgroup v1 blk-throttle limits on its major:minor, set in the
 * ROOT blkio cgroup. Root, not a cgroup of the broker's own: in cgroup v1 the page cache is written back by kernel
 * threads of the root cgroup, and the journal by jbd2 — a limit on the broker's cgroup would slow only its O_DIRECT
 * I/O. The device is this test's alone, so the root limit slows nothing else. `{}` lifts every limit.
 */
export async function throttleDisk(dir: string, t: DiskThrottle): Promise<void> {
  const l = loops.get(dir)
  if (!l) throw new Error(`${dir} is not an ext4 of mountExt4`)
  const majMin = readFileSync(`/sys/block/${basename(l.device)}/dev`, 'utf8').trim()
  const set = (file: string, v: number | undefined): void =>
    writeFileSync(join(BLKIO, `blkio.throttle.${file}`), `${majMin} ${v ?? 0}\n`)
  set('read_bps_device', t.readBps)
  set('write_bps_device', t.writeBps)
  set('read_iops_device', t.readIops)
  set('write_iops_device', t.writeIops)
  if (Object.values(t).some((v) => v)) throttled.set(dir, majMin)
  else throttled.delete(dir)
}

/** Unmounts `dir` (lazily, so a process still holding files there cannot keep it busy). */
export async function unmount(dir: string): Promise<void> {
  if (throttled.has(dir)) await throttleDisk(dir, {}).catch(() => {})
  if (!mounted.delete(dir)) return
  await run('umount', ['-l', dir], { timeoutMs: 10_000 }).catch((e: Error) =>
    console.log(`[disk] umount -l ${dir}: ${e.message}`),
  )
  const l = loops.get(dir)
  if (l) {
    loops.delete(dir)
    await run('losetup', ['-d', l.device]).catch(() => {})
  }
}

/** Unmounts everything this worker mounted. */
export async function unmountAll(): Promise<void> {
  for (const d of [...mounted]) await unmount(d)
}

/** Free bytes of the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir)
  return Number(s.bavail) * Number(s.bsize)
}

/** Files ending in `.tmp` under `dir` (one level of partition directories). */
export function tempFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.tmp')) out.push(e.name)
    if (e.isDirectory()) {
      for (const f of readdirSync(join(dir, e.name))) if (f.endsWith('.tmp')) out.push(join(e.name, f))
    }
  }
  return out
}
