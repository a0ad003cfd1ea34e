// Benchmark section "size": what a page downloads for each client.
//
//   ours       pkg/ilp_stream_web_bg.wasm + pkg/ilp_stream_web.js as `make build`
//              leaves them (wasm-pack --target web, wasm-opt -Oz)
//   reference  bench/web/reference-entry.js (ilp-plugin-btp + ilp-protocol-stream
//              createConnection) bundled by esbuild for the browser, minified, ESM,
//              with the Node polyfills it needs: buffer and process (injected
//              globals), events, stream (stream-browserify), assert (npm `assert`,
//              which brings `util`). Its packages' own "browser" fields already
//              swap crypto for WebCrypto and ws for the browser WebSocket.
//
// Sizes: raw bytes, gzip level 9, brotli quality 11 (node:zlib). The bundle is
// written to target/bench/web/reference.js, where the bench page loads it from,
// so the bundle measured is one that is run (throughput, first payment, idle).
import { readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compressedSizes, kb, printTable, root } from './lib.mjs'

export const REFERENCE_BUNDLE = join(root, 'target/bench/web/reference.js')

/** Builds the reference bundle; returns esbuild's metafile. */
export async function buildReferenceBundle () {
  const esbuild = await import('esbuild')
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, 'bench/web/reference-entry.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    inject: [join(root, 'bench/web/reference-globals.js')],
    alias: { stream: 'stream-browserify' },
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    outfile: REFERENCE_BUNDLE,
    metafile: true,
    logLevel: 'error'
  })
  return result.metafile
}

const POLYFILLS = new Set(['buffer', 'process', 'events', 'stream-browserify', 'assert', 'util',
  'readable-stream', 'string_decoder', 'base64-js', 'ieee754', 'inherits', 'util-deprecate', 'safe-buffer'])

/** Runs the section; returns { rows, details }. */
export async function size () {
  const files = ['pkg/ilp_stream_web_bg.wasm', 'pkg/ilp_stream_web.js']
  const ours = {}
  for (const f of files) ours[f] = await compressedSizes(await readFile(join(root, f)))
  const sum = (list, k) => list.reduce((n, s) => n + s[k], 0)
  const ourTotal = { raw: sum(Object.values(ours), 'raw'), gzip: sum(Object.values(ours), 'gzip'), brotli: sum(Object.values(ours), 'brotli') }

  const meta = await buildReferenceBundle()
  const refSizes = await compressedSizes(await readFile(REFERENCE_BUNDLE))
  // Which part of the minified bundle is polyfill (by package; before compression;
  // the small is-*/get-intrinsic helpers come with `assert` and `util`).
  const output = Object.values(meta.outputs)[0]
  const byPackage = {}
  for (const [input, v] of Object.entries(output.inputs)) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/)
    const name = m ? m[1] : input
    byPackage[name] = (byPackage[name] ?? 0) + v.bytesInOutput
  }
  const ilp = Object.entries(byPackage).filter(([n]) => /^(ilp-|btp-packet|oer-utils|long|eventemitter2|uuid|extensible-error|debug|ms|dateformat|bench\/)/.test(n))
  const ilpBytes = ilp.reduce((n, [, b]) => n + b, 0)
  const allBytes = Object.values(byPackage).reduce((n, b) => n + b, 0)

  let toolchain = 'unknown'
  try { toolchain = readFileSync(join(root, 'target/pkg-toolchain.txt'), 'utf8').trim() } catch {}
  console.log(`\n## size: what a page downloads (raw / gzip -9 / brotli -q 11, node:zlib; ours built with ${toolchain})\n`)
  printTable(['file', 'raw', 'gzip', 'brotli'], [
    ...Object.entries(ours).map(([f, s]) => [f, kb(s.raw), kb(s.gzip), kb(s.brotli)]),
    ['ours: wasm + glue', kb(ourTotal.raw), kb(ourTotal.gzip), kb(ourTotal.brotli)],
    ['reference: esbuild bundle (minified, polyfills)', kb(refSizes.raw), kb(refSizes.gzip), kb(refSizes.brotli)]
  ])
  console.log(`\nreference bundle, minified bytes by origin: ILP libraries and their deps ${kb(ilpBytes)}, ` +
    `Node polyfills and their helpers ${kb(allBytes - ilpBytes)} (of ${kb(allBytes)})`)
  console.log(`target for ours: <= 25 KB gzip (wasm + glue): ${ourTotal.gzip <= 25 * 1024 ? 'met' : 'NOT met'} (${kb(ourTotal.gzip)})`)

  const method = 'bytes of the files; gzip level 9 and brotli quality 11 via node:zlib'
  const rows = ['raw', 'gzip', 'brotli'].map((k) => ({
    section: 'size',
    figure: `download, ${k}`,
    unit: 'KB',
    ours: Number((ourTotal[k] / 1024).toFixed(1)),
    reference: Number((refSizes[k] / 1024).toFixed(1)),
    lowerIsBetter: true,
    method: k === 'raw' ? `ours: pkg wasm + JS glue (${toolchain} build); reference: esbuild browser bundle, minified, with polyfills` : method
  }))
  return {
    rows,
    details: {
      ours: ours,
      toolchain,
      oursTotal: ourTotal,
      reference: { file: 'target/bench/web/reference.js', ...refSizes },
      referenceMinifiedBytesByPackage: byPackage,
      referencePolyfillBytes: allBytes - ilpBytes,
      polyfillPackages: [...POLYFILLS],
      targetGzipBytes: 25 * 1024
    }
  }
}
