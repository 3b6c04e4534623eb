/**
 * Disk faults for the fault tests (root only: they mount file systems):
 *  - a size-limited tmpfs as a broker's log directory: a disk that fills up;
 *  - an ext4 file system on a loop device, shut down with EXT4_IOC_SHUTDOWN (what xfstests does to simulate a
 *    failing disk): from then on every read and write fails with EIO; unmounted and mounted again, it is back
 *    (the journal is replayed).
 */
import { existsSync, readdirSync, statfsSync } from 'node:fs'
import { join } from 'node:path'
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

/** Mounts a fresh ext4 file system of `sizeMb` MB, on a loop device over the sparse file `image`, on `dir`. */
export async function mountExt4(dir: string, image: string, sizeMb: number): Promise<void> {
  await run('truncate', ['-s', `${sizeMb}M`, image])
  const device = (await run('losetup', ['-f', '--show', image])).stdout.trim()
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

/** Unmounts `dir` (lazily, so a process still holding files there cannot keep it busy). */
export async function unmount(dir: string): Promise<void> {
  if (!mounted.delete(dir)) return
  await run('umount', ['-l', dir], { timeoutMs: 10_000 }).catch(() => {})
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
