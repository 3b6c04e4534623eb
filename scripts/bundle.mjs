#!/usr/bin/env node
// Builds dist/cli.bundle.cjs (+ .map): the broker's entry (src/cli.ts) and the modules it imports statically, in one
// CommonJS file, which bin/kafka-server-start.sh and bin/samsa.js start (through bin/start-bundle.cjs, with V8's
// code cache) when it is there and not older than dist/cli.js. Node compiles and links one module instead of ~270
// (each resolved, opened and read on its own): start-up to listening went from ~330-380 ms to ~210 ms median here
// (DEVELOPERS.md). dist/ from tsc stays complete and is what the library exports and the tests import; without
// esbuild (a dev dependency) the bundle is skipped and the scripts start dist/cli.js. Packages loaded through
// createRequire (pino-pretty, prom-client, the codecs, node-zookeeper-client, node-forge, re2js, @node-rs/crc32)
// stay out of the bundle and load on first use from node_modules, as before. The source map points into src/.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, resolve } from 'node:path'
import { fileURLToPath, URL } from 'node:url'

export const BUNDLE = 'dist/cli.bundle.cjs'

export async function bundle(root) {
  let esbuild
  try {
    esbuild = createRequire(import.meta.url)('esbuild')
  } catch {
    process.stderr.write(
      'samsa: esbuild is not installed: no dist/cli.bundle.cjs (the scripts start dist/cli.js)\n',
    )
    return false
  }
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/cli.ts'],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    // CommonJS: bin/start-bundle.cjs compiles it as a vm.Script, whose code V8 caches (Node 20 caches no ES module)
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    sourcesContent: false,
    // Non-ASCII in strings, template literals and regular expressions written as escapes (esbuild's default, stated)
    charset: 'ascii',
    logLevel: 'warning',
    // import.meta.url (createRequire, package.json) is the bundle's own URL, as it was for each module in dist/
    define: { 'import.meta.url': '__samsaModuleUrl' },
    banner: { js: "const __samsaModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  })
  const out = resolve(root, BUNDLE)
  asciiComments(out)
  // code caches of earlier bundles (bin/start-bundle.cjs): never to be given to this one
  for (const f of readdirSync(dirname(out)))
    if (f.startsWith(`${basename(out)}.`) && f.endsWith('.cache'))
      rmSync(resolve(dirname(out), f), { force: true })
  return true
}

/**
 * esbuild keeps comments before declarations and writes them as they are, so the bundle is not pure ASCII (the
 * sources' dashes and arrows): V8 then holds the whole 1.6 MB source as a two-byte string, which Node decodes,
 * and V8 scans, more slowly at every start. With `charset: 'ascii'` the only non-ASCII characters left are in those
 * comments; each becomes as many '?' as its UTF-16 length, so every line and column the source map names stays
 * where it was.
 */
export function asciiComments(file) {
  const text = readFileSync(file, 'utf8')
  // eslint-disable-next-line no-control-regex -- the range is the point
  const ascii = text.replace(/[^\x00-\x7f]/gu, (c) => '?'.repeat(c.length))
  if (ascii !== text) writeFileSync(file, ascii)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle(fileURLToPath(new URL('..', import.meta.url)))
}
