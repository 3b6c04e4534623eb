// A horizontal bar chart as a standalone SVG file, for the benchmark's results (no dependencies).
//   barChart({ title, unit, bars: [{ label, value, group? }] }) -> svg text
// Bars of the same `group` share a colour; a legend lists the groups.

const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f']

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function barChart({ title, unit, bars }) {
  const labelWidth = 260
  const plotWidth = 420
  const valueWidth = 110
  const rowHeight = 22
  const top = 40
  const groups = [...new Set(bars.map((b) => b.group ?? ''))]
  const legendHeight = groups.length > 1 ? 24 : 0
  const height = top + bars.length * rowHeight + legendHeight + 16
  const width = labelWidth + plotWidth + valueWidth
  const max = Math.max(...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1e-9)
  const fmt = (v) =>
    Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: v < 10 ? 2 : 1 }) : '-'
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ]
  bars.forEach((b, i) => {
    const y = top + i * rowHeight
    const w = Number.isFinite(b.value) ? Math.max(1, (b.value / max) * plotWidth) : 0
    const colour = COLOURS[groups.indexOf(b.group ?? '') % COLOURS.length]
    out.push(
      `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${colour}"/>`,
      `<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + 15}">${esc(fmt(b.value))} ${esc(unit)}</text>`,
    )
  })
  if (groups.length > 1) {
    let x = 8
    const y = top + bars.length * rowHeight + 12
    groups.forEach((g, i) => {
      out.push(
        `<rect x="${x}" y="${y}" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`,
        `<text x="${x + 16}" y="${y + 10}">${esc(g)}</text>`,
      )
      x += 24 + g.length * 7
    })
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}
