/**
 * Version ranges as Kafka's message schemas write them: "0+", "3-7", "5", "none".
 * A range is inclusive on both ends; an open range has max = Infinity.
 */
export interface VersionRange {
  readonly min: number
  readonly max: number
}

export const NO_VERSIONS: VersionRange = Object.freeze({ min: 0, max: -1 })
export const ALL_VERSIONS: VersionRange = Object.freeze({ min: 0, max: Infinity })

export function parseVersions(spec: string): VersionRange {
  const s = spec.trim()
  if (s === 'none') return NO_VERSIONS
  let m = /^(\d+)\+$/.exec(s)
  if (m) return { min: Number(m[1]), max: Infinity }
  m = /^(\d+)-(\d+)$/.exec(s)
  if (m) {
    const min = Number(m[1])
    const max = Number(m[2])
    if (max < min) throw new Error(`invalid version range "${spec}"`)
    return { min, max }
  }
  m = /^(\d+)$/.exec(s)
  if (m) return { min: Number(m[1]), max: Number(m[1]) }
  throw new Error(`invalid version range "${spec}"`)
}

export function inRange(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max
}

export function formatVersions(range: VersionRange): string {
  if (range.max < range.min) return 'none'
  if (range.max === Infinity) return `${range.min}+`
  return range.min === range.max ? `${range.min}` : `${range.min}-${range.max}`
}
