/**
 * Counter and histogram families for the hot path. prom-client's own Counter and Histogram hash their label set
 * on every increment (about a microsecond); these keep each series as a plain mutable cell that the caller looks up
 * once and then updates with an addition, and hand prom-client's registry their values only when /metrics is
 * scraped (they implement the part of prom-client's metric interface its Registry reads: name, help, type, get,
 * reset).
 */
import type { Metric, Registry } from 'prom-client'

type LabelValues = Readonly<Record<string, string | number>>

/** One counter series: add to `value`. */
export interface CounterCell {
  value: number
}

interface MetricValue {
  readonly labels: LabelValues
  readonly value: number
  readonly metricName?: string
}

abstract class Family {
  abstract readonly type: 'counter' | 'histogram' | 'gauge'
  readonly aggregator = 'sum'

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  protected abstract values(): MetricValue[]

  abstract reset(): void

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.values(),
    })
  }

  register(registry: Registry): this {
    // prom-client's Registry reads only name, help, type, get() and reset() of what it is given
    registry.registerMetric(this as unknown as Metric)
    return this
  }
}

/**
 * A gauge family whose series are computed when /metrics is scraped: `fill` sets each label set's value (a label
 * set set twice keeps its first place and its last value, as prom-client's Gauge). Unlike a prom-client Gauge
 * rebuilt in `collect()`, no label set is hashed and validated per series — it matters for per-partition families
 * of tens of thousands of series.
 */
export class ScrapedGaugeFamily extends Family {
  readonly type = 'gauge' as const

  constructor(
    name: string,
    help: string,
    private readonly fill: (set: (labels: LabelValues, value: number) => void) => void,
  ) {
    super(name, help)
  }

  protected values(): MetricValue[] {
    const out = new Map<string, MetricValue>()
    this.fill((labels, value) => {
      const key = Object.values(labels).join('\u0000')
      const had = out.get(key)
      out.set(key, { labels: had ? had.labels : labels, value })
    })
    return [...out.values()]
  }

  reset(): void {}
}

/** A counter family; `cell(labels)` creates a series (at 0) or returns the existing one. */
export class CounterFamily extends Family {
  readonly type = 'counter' as const
  private readonly series = new Map<string, { labels: LabelValues; cell: CounterCell }>()

  cell(labels: LabelValues = {}): CounterCell {
    const key = JSON.stringify(labels)
    let s = this.series.get(key)
    if (!s) {
      s = { labels, cell: { value: 0 } }
      this.series.set(key, s)
    }
    return s.cell
  }

  /** Drops the series with exactly these labels. */
  remove(labels: LabelValues): void {
    this.series.delete(JSON.stringify(labels))
  }

  protected values(): MetricValue[] {
    return [...this.series.values()].map((s) => ({ labels: s.labels, value: s.cell.value }))
  }

  reset(): void {
    for (const s of this.series.values()) s.cell.value = 0
  }
}

/** One histogram series: `observe(v)`. */
export class HistogramCell {
  /** Non-cumulative counts per bucket; the last one is +Inf. */
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe(v: number): void {
    const b = this.bounds
    let i = 0
    while (i < b.length && v > b[i]!) i++
    this.counts[i]! += 1
    this.sum += v
    this.count++
  }
}

/** A histogram family with fixed bucket bounds (upper bounds, ascending). */
export class HistogramFamily extends Family {
  readonly type = 'histogram' as const
  private readonly series = new Map<string, { labels: LabelValues; cell: HistogramCell }>()

  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    super(name, help)
  }

  cell(labels: LabelValues = {}): HistogramCell {
    const key = JSON.stringify(labels)
    let s = this.series.get(key)
    if (!s) {
      s = { labels, cell: new HistogramCell(this.bounds) }
      this.series.set(key, s)
    }
    return s.cell
  }

  protected values(): MetricValue[] {
    const out: MetricValue[] = []
    for (const { labels, cell } of this.series.values()) {
      let cumulative = 0
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += cell.counts[i]!
        const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf'
        out.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative })
      }
      out.push({ metricName: `${this.name}_sum`, labels, value: cell.sum })
      out.push({ metricName: `${this.name}_count`, labels, value: cell.count })
    }
    return out
  }

  reset(): void {
    for (const { cell } of this.series.values()) {
      cell.counts.fill(0)
      cell.sum = 0
      cell.count = 0
    }
  }
}
