/**
 * The web console's single page (HTML, CSS and script in one document, no external assets, no build step):
 * hash routes #/ (brokers and topics), #/topic/<name>, #/groups, #/group/<id>; it polls the JSON API of
 * console-routes.ts every two seconds and draws its live charts (messages in and out per second, group lag) on canvases.
 * The DOM is built with createElement/textContent only, so record contents can never become markup.
 */
const STYLE = `
body{font:14px system-ui,sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
header{background:#1d2733;color:#fff;padding:10px 18px;display:flex;gap:18px;align-items:center}
header a{color:#cde;text-decoration:none}header b{font-size:16px}
main{padding:14px 18px}h2{margin:18px 0 8px;font-size:16px}
table{border-collapse:collapse;background:#fff;margin-bottom:8px}
th,td{border:1px solid #d6dde5;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#e9eef3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b00020;font-weight:bold}.ok{color:#16794a}
form{display:flex;gap:6px;flex-wrap:wrap;align-items:center;margin:6px 0 12px}
input,select,textarea{font:inherit;padding:3px 5px}button{font:inherit;padding:3px 10px;cursor:pointer}
#msg{position:fixed;right:14px;bottom:14px;max-width:50%;padding:8px 12px;border-radius:4px;display:none}
#msg.err{display:block;background:#fde2e4;color:#6b0010}#msg.info{display:block;background:#dff5e7;color:#0b4b29}
canvas{background:#fff;border:1px solid #d6dde5}pre{margin:0;white-space:pre-wrap;word-break:break-all;max-width:60em}
`

const SCRIPT = `
'use strict'
const $ = (sel) => document.querySelector(sel)
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v)
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : String(v))
  }
  for (const k of kids.flat()) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : String(k))
  return e
}
function table(head, rows, id) {
  return h('table', { id }, h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : h('td', typeof c === 'number' ? { class: 'num' } : {}, c)))))))
}
function note(text, err) {
  const m = $('#msg'); m.textContent = text; m.className = err ? 'err' : 'info'
  clearTimeout(note.t); note.t = setTimeout(() => (m.className = ''), err ? 8000 : 3000)
}
async function call(method, path, body) {
  const r = await fetch(path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const v = await r.json().catch(() => ({ error: r.statusText }))
  if (!r.ok) throw new Error((v.kafkaError ? v.kafkaError + ': ' : '') + (v.error || r.status))
  return v
}
const get = (p) => call('GET', p)
async function act(fn, okText) {
  try { await fn(); if (okText) note(okText); await render(true) } catch (e) { note(e.message, true) }
}
function size(n) {
  if (n === undefined || n === null) return '-'
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++ }
  return (i ? n.toFixed(1) : n) + ' ' + u[i]
}
const fmt = (n) => (n === undefined || n === null ? '-' : n)
const enc = encodeURIComponent
function bytesOf(b64) { const s = atob(b64); const a = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a }
function show(b64, how) {
  if (b64 === null) return h('i', {}, 'null')
  const a = bytesOf(b64)
  if (how === 'hex') return h('pre', {}, Array.from(a, (x) => x.toString(16).padStart(2, '0')).join(' '))
  let t
  try { t = new TextDecoder('utf-8', { fatal: true }).decode(a) } catch { return h('pre', { title: 'not UTF-8: shown as hex' }, Array.from(a, (x) => x.toString(16).padStart(2, '0')).join(' ')) }
  if (how === 'json') { try { return h('pre', {}, JSON.stringify(JSON.parse(t), null, 2)) } catch { return h('pre', { title: 'not JSON: shown as text' }, t) } }
  return h('pre', {}, t)
}

// live series: name -> [{t, v}], kept for 5 minutes
const series = new Map()
function push(name, v) {
  const s = series.get(name) || []; const t = Date.now(); s.push({ t, v })
  while (s.length && s[0].t < t - 300000) s.shift()
  series.set(name, s); return s
}
function rate(name, total) {
  const s = push(name + ':total', total)
  if (s.length < 2) return undefined
  const a = s[s.length - 2], b = s[s.length - 1]
  const r = b.t > a.t ? Math.max(0, ((b.v - a.v) * 1000) / (b.t - a.t)) : 0
  push(name + ':rate', r); return r
}
function chart(id, name, label) {
  const c = h('canvas', { id, width: 640, height: 140, 'aria-label': label })
  const s = series.get(name) || []
  const g = c.getContext('2d'); const W = 640, H = 140, L = 50
  const max = Math.max(1, ...s.map((p) => p.v)); const now = Date.now()
  g.fillStyle = '#1d2733'; g.font = '11px sans-serif'; g.fillText(label + ' (max ' + Math.round(max) + ')', L, 12)
  g.fillText(String(Math.round(max)), 2, 22); g.fillText('0', 2, H - 4)
  g.strokeStyle = '#d6dde5'; g.strokeRect(L, 16, W - L - 4, H - 22)
  g.strokeStyle = '#1f77b4'; g.lineWidth = 2; g.beginPath()
  s.forEach((p, i) => { const x = L + ((W - L - 4) * (300000 - (now - p.t))) / 300000; const y = H - 6 - ((H - 22) * p.v) / max; i ? g.lineTo(x, y) : g.moveTo(x, y) })
  g.stroke(); c.dataset.points = String(s.length); c.dataset.max = String(Math.max(0, ...s.map((p) => p.v))); return c
}

async function home() {
  const [b, topics] = await Promise.all([get('/api/brokers'), get('/api/topics')])
  $('#who').textContent = 'served by broker ' + b.servedBy + (b.aclsOn ? ' · ACLs on: read-only' : '')
  let totalIn = 0, totalOut = 0
  const rows = topics.map((t) => {
    const r = rate('topic:' + t.name, t.endOffsets); totalIn += r || 0
    const o = rate('topic-out:' + t.name, t.committedOffsets); totalOut += o || 0
    return [h('a', { href: '#/topic/' + enc(t.name) }, t.name), t.partitions, t.replicationFactor,
      h('td', { class: t.underReplicated ? 'bad num' : 'num' }, t.underReplicated), h('td', { class: t.offline ? 'bad num' : 'num' }, t.offline),
      size(t.size), t.endOffsets, r === undefined ? '-' : r.toFixed(1), o === undefined ? '-' : o.toFixed(1)]
  })
  push('all:in', totalIn); push('all:out', totalOut)
  return [
    h('h2', {}, 'Brokers'),
    table(['id', 'endpoints', 'rack', 'controller', 'up since'], b.brokers.map((x) => [x.id, x.endpoints.join(' '), fmt(x.rack),
      x.id === b.controller ? h('td', { class: 'ok' }, 'controller') : '', new Date(x.upSince).toLocaleString()]), 'brokers'),
    h('h2', {}, 'Topics'),
    table(['topic', 'partitions', 'replication factor', 'under-replicated', 'offline', 'size', 'messages', 'messages in/s',
      'messages out/s (groups)'], rows, 'topics'),
    h('form', { id: 'create-topic', onsubmit: (e) => { e.preventDefault(); const f = e.target
      act(() => call('POST', '/api/topics', { name: f.name.value, partitions: f.partitions.value, replicationFactor: f.rf.value }), 'created ' + f.name.value) } },
      'New topic', h('input', { name: 'name', placeholder: 'name', required: true }), h('input', { name: 'partitions', placeholder: 'partitions (default)', size: 14 }),
      h('input', { name: 'rf', placeholder: 'replication (default)', size: 16 }), h('button', {}, 'Create')),
    chart('chart-in', 'all:in', 'messages in/s, all topics'),
    chart('chart-out', 'all:out', 'messages out/s (consumer group commits), all topics'),
  ]
}

const browse = { partition: 0, from: 'newest', at: '', limit: 20, format: 'text', result: null }
async function topicPage(name) {
  const t = await get('/api/topics/' + enc(name))
  const total = t.partitions.reduce((a, p) => a + (p.logEndOffset || 0), 0)
  push('topic:' + name + ':in', rate('topic:' + name, total) || 0)
  const cfgRows = t.configs.map((c) => [c.name,
    c.readOnly || c.sensitive ? fmt(c.value) : h('input', { 'data-config': c.name, value: c.value === null ? '' : c.value, size: 28 }),
    c.source, c.readOnly || c.sensitive ? '' : h('button', { onclick: (e) => { const v = e.target.closest('tr').querySelector('input').value
      act(() => call('PUT', '/api/topics/' + enc(name) + '/configs', { configs: { [c.name]: v } }), c.name + ' = ' + v) } }, 'Save')])
  const msgs = browse.result
  return [
    h('h2', {}, 'Topic ' + name),
    table(['partition', 'leader', 'replicas', 'ISR', 'log start', 'log end', 'size'], t.partitions.map((p) => [p.partition,
      h('td', { class: p.offline ? 'bad' : '' }, p.offline ? 'none' : p.leader), p.replicas.join(','), h('td', { class: p.underReplicated ? 'bad' : '' }, p.isr.join(',')),
      fmt(p.logStartOffset), fmt(p.logEndOffset), size(p.size)]), 'partitions'),
    chart('chart-topic', 'topic:' + name + ':in', 'messages in/s'),
    h('form', { id: 'add-partitions', onsubmit: (e) => { e.preventDefault(); act(() => call('POST', '/api/topics/' + enc(name) + '/partitions', { count: e.target.count.value }), 'partitions added') } },
      'Partitions in total', h('input', { name: 'count', size: 6, value: t.partitions.length + 1 }), h('button', {}, 'Add partitions'),
      h('button', { type: 'button', id: 'delete-topic', onclick: () => { if (confirm('Delete topic ' + name + '?')) act(async () => { await call('DELETE', '/api/topics/' + enc(name)); location.hash = '#/' }, 'deleted ' + name) } }, 'Delete topic')),
    h('h2', {}, 'Produce a test message'),
    h('form', { id: 'produce', onsubmit: (e) => { e.preventDefault(); const f = e.target
      let headers = {}; try { headers = f.headers.value ? JSON.parse(f.headers.value) : {} } catch { note('headers: not a JSON object', true); return }
      act(async () => { const r = await call('POST', '/api/topics/' + enc(name) + '/messages', { partition: f.partition.value, key: f.key.value, value: f.value.value, headers }); note('written to partition ' + r.partition + ' at offset ' + r.offset) }) } },
      h('input', { name: 'partition', placeholder: 'partition (any)', size: 12 }), h('input', { name: 'key', placeholder: 'key' }),
      h('input', { name: 'value', placeholder: 'value', size: 30 }), h('input', { name: 'headers', placeholder: 'headers {"k":"v"}' }), h('button', {}, 'Produce')),
    h('h2', {}, 'Messages'),
    h('form', { id: 'browse', onsubmit: (e) => { e.preventDefault(); const f = e.target
      Object.assign(browse, { partition: f.partition.value, from: f.from.value, at: f.at.value, limit: f.limit.value, format: f.format.value })
      const q = new URLSearchParams({ partition: browse.partition, limit: browse.limit })
      if (browse.from === 'offset') q.set('offset', browse.at); if (browse.from === 'timestamp') q.set('timestamp', browse.at)
      act(async () => { browse.result = await get('/api/topics/' + enc(name) + '/messages?' + q) }) } },
      'partition', h('select', { name: 'partition' }, t.partitions.map((p) => h('option', { value: p.partition, selected: String(p.partition) === String(browse.partition) }, p.partition))),
      h('select', { name: 'from' }, ['newest', 'offset', 'timestamp'].map((v) => h('option', { value: v, selected: v === browse.from }, v))),
      h('input', { name: 'at', placeholder: 'offset or time (ISO / ms)', value: browse.at }),
      'limit', h('input', { name: 'limit', size: 4, value: browse.limit }),
      h('select', { name: 'format' }, ['text', 'json', 'hex'].map((v) => h('option', { value: v, selected: v === browse.format }, v))), h('button', {}, 'Show')),
    msgs ? table(['offset', 'timestamp', 'key', 'value', 'headers'], msgs.messages.map((m) => [m.offset, new Date(m.timestamp).toISOString(),
      show(m.key, browse.format), show(m.value, browse.format), h('div', {}, m.headers.map((x) => h('div', {}, x.key + ': ', show(x.value, browse.format))))]), 'messages') : '',
    h('h2', {}, 'Configs'),
    table(['name', 'value', 'source', ''], cfgRows, 'configs'),
  ]
}

async function groupsPage() {
  const gs = await get('/api/groups')
  return [h('h2', {}, 'Consumer groups'), table(['group', 'state', 'protocol type', 'coordinator'],
    gs.map((g) => [h('a', { href: '#/group/' + enc(g.groupId) }, g.groupId), g.state, g.protocolType, g.coordinator]), 'groups')]
}

async function groupPage(id) {
  const g = await get('/api/groups/' + enc(id))
  push('group:' + id + ':lag', g.totalLag)
  const topics = [...new Set(g.partitions.map((p) => p.topic))]
  return [
    h('h2', {}, 'Group ' + id),
    h('p', {}, 'state ', h('b', { id: 'group-state' }, g.state), ' · coordinator ', g.coordinator, ' · protocol ', fmt(g.protocol), ' · total lag ', h('b', { id: 'total-lag' }, g.totalLag)),
    h('h2', {}, 'Members'),
    table(['member', 'client', 'host', 'assignment'], g.members.map((m) => [m.memberId, m.clientId, m.host,
      m.assignment.map((a) => a.topic + ': ' + a.partitions.join(',')).join('; ')]), 'members'),
    h('h2', {}, 'Offsets and lag'),
    table(['topic', 'partition', 'current offset', 'log end offset', 'lag', 'member'], g.partitions.map((p) => [p.topic, p.partition, p.currentOffset, p.logEndOffset, p.lag, fmt(p.memberId)]), 'lag'),
    chart('chart-lag', 'group:' + id + ':lag', 'total lag'),
    h('h2', {}, 'Reset offsets (the group must have no members)'),
    h('form', { id: 'reset', onsubmit: (e) => { e.preventDefault(); const f = e.target
      const to = f.to.value === 'offset' ? { offset: Number(f.at.value) } : f.to.value === 'timestamp' ? { timestamp: f.at.value } : f.to.value
      act(() => call('POST', '/api/groups/' + enc(id) + '/offsets', { topic: f.topic.value, to }), 'offsets reset') } },
      'topic', h('select', { name: 'topic' }, topics.map((t) => h('option', { value: t }, t))),
      h('select', { name: 'to' }, ['earliest', 'latest', 'offset', 'timestamp'].map((v) => h('option', { value: v }, v))),
      h('input', { name: 'at', placeholder: 'offset or time' }), h('button', {}, 'Reset')),
  ]
}

let rendering = false
let again = false
// a form changed since the page was last drawn: the periodic redraw would throw those edits away
let edited = false
addEventListener('input', () => { edited = true }, true)
addEventListener('change', () => { edited = true }, true)
async function render(force) {
  if (rendering) { again = again || force; return }
  // do not replace a form the user is typing in or has changed, except after an action
  if (!force && (edited || (document.activeElement && ['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement.tagName)))) return
  rendering = true
  if (force) edited = false
  const route = location.hash.replace(/^#\\/?/, '').split('/')
  try {
    const view = route[0] === 'topic' ? await topicPage(decodeURIComponent(route[1]))
      : route[0] === 'groups' ? await groupsPage()
      : route[0] === 'group' ? await groupPage(decodeURIComponent(route[1]))
      : await home()
    // a form changed while this periodic redraw was being built: keep the user's edits, draw it later
    if (force || !edited) {
      $('main').replaceChildren(...view.filter(Boolean))
      $('main').dataset.route = location.hash || '#/'
    }
  } catch (e) { note(e.message, true) } finally { rendering = false }
  if (again) { again = false; await render(true) }
}
addEventListener('hashchange', () => { browse.result = null; render(true) })
setInterval(render, 2000)
render(true)
`

export const CONSOLE_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Samsa console</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><header><b>Samsa</b><a href="#/">Brokers &amp; topics</a><a href="#/groups">Consumer groups</a><span id="who"></span></header>
<main></main><div id="msg" role="status"></div>
<script>${SCRIPT}</script></body></html>
`
