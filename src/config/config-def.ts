/**
 * The config definition language shared by broker and topic configs: Kafka's ConfigDef types, how a string value is
 * parsed into each type (and the exact "Invalid value … for configuration …" messages Kafka gives), the validators
 * Kafka uses (ranges, valid strings, valid lists) and how a typed value is turned back into a string for
 * DescribeConfigs.
 */

export type ConfigType =
  'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password'
export type Importance = 'high' | 'medium' | 'low'
/** How a broker config may be changed at runtime, as Kafka's DynamicBrokerConfig classifies it. */
export type DynamicMode = 'read-only' | 'per-broker' | 'cluster-wide'

/** A password value: kept out of logs and of DescribeConfigs output. */
export class Password {
  constructor(readonly value: string) {}
  toString(): string {
    return '[hidden]'
  }
  toJSON(): string {
    return '[hidden]'
  }
}

export type ConfigValue = boolean | number | string | readonly string[] | Password | null

/** Thrown for an invalid config value or an invalid combination of values (Kafka's ConfigException). */
export class ConfigException extends Error {
  readonly configName: string | undefined
  constructor(message: string, configName?: string) {
    super(message)
    this.name = 'ConfigException'
    this.configName = configName
  }

  /** Kafka's `new ConfigException(name, value, message)`: "Invalid value V for configuration N: M". */
  static invalid(name: string, value: unknown, message?: string, type?: ConfigType): ConfigException {
    const v = value === null || value === undefined ? 'null' : displayValue(value, type)
    return new ConfigException(
      `Invalid value ${v} for configuration ${name}${message ? `: ${message}` : ''}`,
      name,
    )
  }
}

export interface Validator {
  /** Throws ConfigException when the parsed value is not acceptable (`type` only shapes the message). */
  ensureValid(name: string, value: ConfigValue, type?: ConfigType): void
  /** Kafka's description of the valid values ("[1,...]", "[compact, delete]"). */
  readonly description: string
}

/** What every config declares: Kafka's name, type, default, validator and importance, with our own one-line doc. */
export interface ConfigKey {
  readonly name: string
  readonly type: ConfigType
  /** Kafka's default as a typed value; null where Kafka's default is null. */
  readonly default: ConfigValue
  readonly validator?: Validator
  readonly importance: Importance
  readonly doc: string
}

/** One broker config. */
export interface ConfigDef extends ConfigKey {
  readonly dynamic: DynamicMode
  /** Defined with defineInternal in Kafka: accepted, but not documented or described. */
  readonly internal?: boolean
  /** Deprecated in Kafka; the text says what replaces it. */
  readonly deprecated?: string
  /** Only settable as a dynamic config (Kafka's DynamicConfig.Broker); unknown in server.properties. */
  readonly dynamicOnly?: boolean
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers

export const INT_MAX = 2147483647
export const INT_MIN = -2147483648
/** Long.MAX_VALUE. Not exactly representable as a JS number; it rounds to 2^63, and prints back as Long.MAX_VALUE. */
export const LONG_MAX = Number(9223372036854775807n)
export const LONG_MIN = -9223372036854775808
/** Double.MAX_VALUE */
export const DOUBLE_MAX = Number.MAX_VALUE

const LONG_MAX_BIG = 9223372036854775807n
const LONG_MIN_BIG = -9223372036854775808n
const INTEGER_RE = /^[+-]?\d+$/
const DOUBLE_RE = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/

function parseInteger(s: string, min: bigint, max: bigint): number | undefined {
  if (!INTEGER_RE.test(s)) return undefined
  const n = BigInt(s)
  if (n < min || n > max) return undefined
  return Number(n)
}

/** Java's Long.toString for a value held as a JS number (±2^63 print as Long.MAX_VALUE / Long.MIN_VALUE). */
export function formatLong(n: number): string {
  if (n >= LONG_MAX) return '9223372036854775807'
  if (n <= LONG_MIN) return '-9223372036854775808'
  if (Number.isSafeInteger(n)) return String(n)
  return BigInt(Math.trunc(n)).toString()
}

/** Java's Double.toString. */
export function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return 'Infinity'
  if (n === -Infinity) return '-Infinity'
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0'
  const abs = Math.abs(n)
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n)
    return s.includes('.') ? s : `${s}.0`
  }
  const [mantissa = '', exp = ''] = n.toExponential().split('e')
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exp.replace('+', '')}`
}

/** How Java prints a parsed value in an error message (List.toString, Long/Double.toString). */
function displayValue(value: unknown, type: ConfigType | undefined): string {
  if (Array.isArray(value)) return `[${value.join(', ')}]`
  if (value instanceof Password) return '[hidden]'
  if (typeof value === 'number') {
    if (type === 'double') return formatDouble(value)
    if (Number.isInteger(value)) return formatLong(value)
  }
  return String(value)
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing (ConfigDef.parseType)

/** Splits a LIST value the way Kafka does: trimmed, empty → [], otherwise split on commas with surrounding spaces. */
export function splitList(value: string): string[] {
  const trimmed = value.trim()
  if (trimmed === '') return []
  return trimmed.split(/\s*,\s*/)
}

/**
 * Parses a string value into the config's type, as Kafka's ConfigDef.parseType does (values are trimmed first),
 * throwing "Invalid value X for configuration N: Not a number of type INT" and friends.
 */
export function parseType(name: string, value: string, type: ConfigType): ConfigValue {
  const trimmed = value.trim()
  switch (type) {
    case 'boolean':
      if (trimmed.toLowerCase() === 'true') return true
      if (trimmed.toLowerCase() === 'false') return false
      throw ConfigException.invalid(name, value, 'Expected value to be either true or false')
    case 'string':
      return trimmed
    case 'class':
      if (trimmed === '') throw ConfigException.invalid(name, value, 'Class  could not be found.')
      return trimmed
    case 'password':
      return new Password(trimmed)
    case 'int': {
      const n = parseInteger(trimmed, BigInt(INT_MIN), BigInt(INT_MAX))
      if (n === undefined) throw ConfigException.invalid(name, value, 'Not a number of type INT')
      return n
    }
    case 'short': {
      const n = parseInteger(trimmed, -32768n, 32767n)
      if (n === undefined) throw ConfigException.invalid(name, value, 'Not a number of type SHORT')
      return n
    }
    case 'long': {
      const n = parseInteger(trimmed, LONG_MIN_BIG, LONG_MAX_BIG)
      if (n === undefined) throw ConfigException.invalid(name, value, 'Not a number of type LONG')
      return n
    }
    case 'double': {
      if (!DOUBLE_RE.test(trimmed)) throw ConfigException.invalid(name, value, 'Not a number of type DOUBLE')
      return Number(trimmed.replace(/[fFdD]$/, ''))
    }
    case 'list':
      return splitList(trimmed)
  }
}

/** Parses and validates one value against its definition. */
export function parseAndValidate(
  def: Pick<ConfigDef, 'name' | 'type' | 'validator'>,
  value: string,
): ConfigValue {
  const parsed = parseType(def.name, value, def.type)
  def.validator?.ensureValid(def.name, parsed, def.type)
  return parsed
}

/** Kafka's ConfigDef.convertToString: the string form of a typed value (lists comma-joined, Java number forms). */
export function convertToString(value: ConfigValue, type: ConfigType | undefined): string | null {
  if (value === null) return null
  if (value instanceof Password) return value.value
  if (Array.isArray(value)) return value.join(',')
  if (typeof value === 'number') {
    if (type === 'double') return formatDouble(value)
    if (type === 'long') return formatLong(value)
    return String(value)
  }
  return String(value)
}

// ---------------------------------------------------------------------------------------------------------------
// Validators

function asNumber(name: string, value: ConfigValue): number {
  if (value === null) throw ConfigException.invalid(name, null, 'Value must be non-null')
  if (typeof value !== 'number') throw ConfigException.invalid(name, value, 'Value must be a number')
  return value
}

function rangeText(n: number): string {
  return Number.isInteger(n) ? formatLong(n) : formatDouble(n)
}

function range(min: number | undefined, max: number | undefined): Validator {
  let description: string
  if (min === undefined) description = `[...,${rangeText(max ?? 0)}]`
  else if (max === undefined) description = `[${rangeText(min)},...]`
  else description = `[${rangeText(min)},...,${rangeText(max)}]`
  return {
    description,
    ensureValid(name, value, type) {
      const n = asNumber(name, value)
      if (min !== undefined && n < min)
        throw ConfigException.invalid(name, value, `Value must be at least ${rangeText(min)}`, type)
      if (max !== undefined && n > max)
        throw ConfigException.invalid(name, value, `Value must be no more than ${rangeText(max)}`, type)
    },
  }
}

/** Range.atLeast */
export function atLeast(min: number): Validator {
  return range(min, undefined)
}

/** Range.between (inclusive) */
export function between(min: number, max: number): Validator {
  return range(min, max)
}

export const Range = { atLeast, between }

function validString(valid: readonly string[], caseInsensitive: boolean): Validator {
  const lower = valid.map((v) => v.toLowerCase())
  return {
    description: `[${valid.join(', ')}]`,
    ensureValid(name, value) {
      const s = typeof value === 'string' ? value : String(value)
      const ok = caseInsensitive ? lower.includes(s.toLowerCase()) : valid.includes(s)
      if (!ok) {
        const what = caseInsensitive
          ? 'String must be one of (case insensitive): '
          : 'String must be one of: '
        throw ConfigException.invalid(name, value, what + valid.join(', '))
      }
    },
  }
}

/** ValidString.in (case-sensitive) */
export const ValidString = {
  in: (...valid: string[]): Validator => validString(valid, false),
}

/** CaseInsensitiveValidString.in */
export const CaseInsensitiveValidString = {
  in: (...valid: string[]): Validator => validString(valid, true),
}

/** ValidList.in: every element must be one of the valid strings. */
export const ValidList = {
  in: (...valid: string[]): Validator => {
    const element = validString(valid, false)
    return {
      description: `[${valid.join(', ')}]`,
      ensureValid(name, value) {
        if (!Array.isArray(value)) throw ConfigException.invalid(name, value, 'Value must be a list')
        for (const v of value as readonly string[]) element.ensureValid(name, v)
      },
    }
  },
}

/** ConfigDef.NonNullValidator */
export const nonNull: Validator = {
  description: 'non-null string',
  ensureValid(name, value) {
    if (value === null) throw ConfigException.invalid(name, null, 'entry must be non null')
  },
}

/** A validator with its own check; `check` returns an error message, or undefined when the value is fine. */
export function customValidator(
  description: string,
  check: (value: ConfigValue) => string | undefined,
): Validator {
  return {
    description,
    ensureValid(name, value, type) {
      const message = check(value)
      if (message !== undefined) throw ConfigException.invalid(name, value, message, type)
    },
  }
}

// ---------------------------------------------------------------------------------------------------------------
// DescribeConfigs codes

/** DescribeConfigsResponse.ConfigSource */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource]

/** DescribeConfigsResponse.ConfigType (0 = UNKNOWN). */
export const CONFIG_TYPE_CODE: Readonly<Record<ConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
}

export interface ConfigSynonym {
  readonly name: string
  readonly value: string | null
  readonly source: ConfigSource
}

/** One entry of a DescribeConfigs answer (the wire shape, minus the version-0 isDefault that follows from source). */
export interface DescribedConfig {
  readonly name: string
  readonly value: string | null
  readonly readOnly: boolean
  readonly configSource: ConfigSource
  readonly isSensitive: boolean
  readonly synonyms: readonly ConfigSynonym[]
  readonly configType: number
  readonly documentation: string | null
}
