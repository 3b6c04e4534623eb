/**
 * The layering rule, checked on the import statements of every source file (tests excluded):
 *
 *   network → protocol (decode) → handlers → services → util; server wires them; index.ts/cli.ts start it.
 *
 * - handlers never import server/ (they are given a `Services` bundle, services/services.ts);
 * - services never import handlers/ or server/, nor the `Services` bundle (they get what they need by
 *   constructor);
 * - protocol/ imports only codec, records and util code of its own layer (never network, handlers, services,
 *   server, config);
 * - only the entry points (index.ts, cli.ts) and the in-process test cluster (cluster/) import server/;
 * - the graph of folders (each services/<name> counted as its own folder) has no cycle, so a service's
 *   dependencies can always be constructed before it.
 * Import cycles between single modules are caught by `npm run lint` (dpdm).
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = path.dirname(fileURLToPath(import.meta.url))

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return sources(p)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.startsWith('test-') ? [p] : []
  })
}

/** The folder a module belongs to: services/<name> for services, the top folder otherwise ('.' at the root). */
function folderOf(rel: string): string {
  const parts = rel.split('/')
  if (parts.length === 1) return '.'
  if (parts[0] === 'services' && parts.length > 2) return `services/${parts[1]}`
  return parts[0]!
}

interface Edge {
  readonly from: string
  readonly to: string
}

function imports(file: string): Edge[] {
  const text = readFileSync(file, 'utf8')
  const from = path.relative(SRC, file).split(path.sep).join('/')
  const out: Edge[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/g)) {
    const target = path
      .relative(SRC, path.resolve(path.dirname(file), m[1]!))
      .split(path.sep)
      .join('/')
    out.push({ from, to: target.replace(/\.js$/, '.ts') })
  }
  return out
}

const edges = sources(SRC).flatMap(imports)

function violations(rule: (e: Edge) => boolean): string[] {
  return edges.filter(rule).map((e) => `${e.from} -> ${e.to}`)
}

describe('layering', () => {
  it('finds the imports it checks', () => {
    expect(edges.length).toBeGreaterThan(300)
    expect(edges).toContainEqual({ from: 'server/broker.ts', to: 'handlers/index.ts' })
  })

  it('handlers never import the server', () => {
    expect(violations((e) => e.from.startsWith('handlers/') && e.to.startsWith('server/'))).toEqual([])
  })

  it('services never import handlers, the server or the Services bundle', () => {
    expect(
      violations(
        (e) =>
          folderOf(e.from).startsWith('services/') &&
          (e.to.startsWith('handlers/') || e.to.startsWith('server/') || e.to === 'services/services.ts'),
      ),
    ).toEqual([])
  })

  it('protocol depends on nothing above it', () => {
    expect(violations((e) => e.from.startsWith('protocol/') && !/^(protocol|util)\//.test(e.to))).toEqual([])
  })

  it('only the entry points and the in-process cluster import the server', () => {
    expect(
      violations(
        (e) =>
          e.to.startsWith('server/') &&
          !e.from.startsWith('server/') &&
          folderOf(e.from) !== '.' &&
          folderOf(e.from) !== 'cluster',
      ),
    ).toEqual([])
  })

  it('folders import each other without a cycle', () => {
    const graph = new Map<string, Set<string>>()
    for (const e of edges) {
      const a = folderOf(e.from)
      const b = folderOf(e.to)
      if (a === b) continue
      if (!graph.has(a)) graph.set(a, new Set())
      graph.get(a)!.add(b)
    }
    // Depth-first search; a back edge is a cycle.
    const state = new Map<string, 'open' | 'done'>()
    const cycles: string[] = []
    const visit = (n: string, stack: string[]): void => {
      state.set(n, 'open')
      for (const m of graph.get(n) ?? []) {
        if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), n, m].join(' -> '))
        else if (!state.has(m)) visit(m, [...stack, n])
      }
      state.set(n, 'done')
    }
    for (const n of graph.keys()) if (!state.has(n)) visit(n, [])
    expect(cycles).toEqual([])
  })
})
