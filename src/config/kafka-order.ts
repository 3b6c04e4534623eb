/**
 * The order in which Kafka lists config entries. Kafka 3.9's ConfigHelper builds the entries of a DescribeConfigs
 * result from a Scala 2.13 `mutable.HashMap` (the config's originals `++` its values), so clients — and
 * `kafka-configs --describe`, which does not sort — show them in that map's iteration order: by bucket
 * (the improved String hash masked by the table size), then by improved hash within a bucket. The table starts
 * at 16 slots and doubles whenever an insertion would reach 3/4 of it.
 */

/** Java's String.hashCode. */
export function javaStringHash(s: string): number {
  let h = 0
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0
  return h
}

/** Scala 2.13 HashMap's improveHash. */
function improve(h: number): number {
  return (h ^ (h >>> 16)) | 0
}

/** The table size of a Scala 2.13 mutable.HashMap after `n` insertions of distinct keys. */
function tableLength(n: number): number {
  let length = 16
  for (let size = 0; size < n; size++) {
    if (size + 1 >= Math.floor(length * 0.75)) length *= 2
  }
  return length
}

/** `items` (with distinct keys) in Kafka's iteration order of a HashMap holding them. */
export function inKafkaMapOrder<T>(items: readonly T[], key: (t: T) => string): T[] {
  const mask = tableLength(items.length) - 1
  const hashed = items.map((item) => ({ item, h: improve(javaStringHash(key(item))) }))
  hashed.sort((a, b) => (a.h & mask) - (b.h & mask) || a.h - b.h)
  return hashed.map((x) => x.item)
}
