/** `partition.metadata` (PartitionMetadataFile): "version: 0" and "topic_id: <base64 uuid>". */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  atomicWriteFileAsync,
  atomicWriteFileSync,
  isErrno,
  PARTITION_METADATA_FILENAME,
} from './file-utils.js'

export const PARTITION_METADATA_VERSION = 0
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

export function partitionMetadataPath(dir: string): string {
  return join(dir, PARTITION_METADATA_FILENAME)
}

const partitionMetadataText = (topicId: string): string =>
  `version: ${PARTITION_METADATA_VERSION}\ntopic_id: ${topicId}\n`

export function writePartitionMetadata(dir: string, topicId: string): void {
  atomicWriteFileSync(partitionMetadataPath(dir), partitionMetadataText(topicId))
}

/** writePartitionMetadata() off the event loop (atomicWriteFileAsync). */
export function writePartitionMetadataAsync(dir: string, topicId: string): Promise<void> {
  return atomicWriteFileAsync(partitionMetadataPath(dir), partitionMetadataText(topicId))
}

/** The topic id stored in `dir`, or undefined when there is no file. Throws on a malformed one. */
export function readPartitionMetadata(dir: string): string | undefined {
  const path = partitionMetadataPath(dir)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined
    throw e
  }
  const lines = text.split(/\r?\n/)
  const version = /^version:\s+(\d+)$/.exec(lines[0] ?? '')
  if (!version) throw new Error(`Malformed line in checkpoint file ${path}: ${lines[0]}`)
  if (Number(version[1]) !== PARTITION_METADATA_VERSION) {
    throw new Error(`Unrecognized version of partition metadata file (${path}): ${version[1]}`)
  }
  const id = /^topic_id:\s+(\S+)$/.exec(lines[1] ?? '')
  if (!id || Buffer.from(id[1]!, 'base64url').length !== 16) {
    throw new Error(`Malformed line in checkpoint file ${path}: ${lines[1]}`)
  }
  if (id[1] === ZERO_UUID) throw new Error(`Invalid topic ID in partition metadata file (${path})`)
  return id[1]!
}
