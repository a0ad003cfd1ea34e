// `make bench`: runs every benchmark section, prints each one's table, then
// one combined table; writes target/bench/report.json (and <section>.json).
//
//   node bench/run.mjs [--only size,throughput,…] [--quick] [options] [section…]
//
// Sections (each a module in bench/):
//   size           download size, ours vs an esbuild bundle of the reference
//   packet         sender CPU per STREAM packet: native, wasm in Chromium, Node reference
//   throughput     pay() of --throughput-amount through the local stack, packets/s
//   ceiling        the same pay() against a peer that answers at once (bench/fast-peer.mjs),
//                  and the renderer's busy fraction during pay()
//   first-payment  start to first fulfilled packet, median of --runs
//   pacing         --pacing-seconds at --rate: delivered vs rate x time, packets/s
//   idle           renderer CPU per minute while streaming at --rate (--idle-seconds)
//   receipts       receipts verified per second by ReceiptVerifier per store (memory,
//                  SQLite, Redis, two processes on one Redis), --receipts N each
//   size-steps     (only when named) what each release-profile step buys in gzip bytes
//   metric         (only when named) what Chromium's ScriptDuration and TaskDuration count:
//                  1 ms burned 100x/s in timer, microtask, promise, message and WebSocket
//                  callbacks, and WebSocket.send's cost per call (bench/metric-check.mjs)
// Options: --iterations N (packet, default 100000), --throughput-amount N
// (10000000 = 10,000 packets), --throughput-runs N (3), --runs N (7),
// --rate N (100000 units/s), --pacing-seconds N (30), --idle-seconds N (15),
// --receipts N (20000, a multiple of 100),
// --quick (shorter everything, for a smoke pass).
//
// The network sections share one reference stack (network/stack.mjs,
// --max-packet-amount 1000 --rate-limit 1000000, loopback) and one headless
// Chromium; both are stopped at the end, also on errors and Ctrl-C.
// Figures are printed, never asserted; 2 shared cores make them noisy.
import { cpus, totalmem } from 'node:os'
import { ceiling } from './ceiling.mjs'
import { firstPayment } from './first-payment.mjs'
import { idle } from './idle.mjs'
import { metric } from './metric-check.mjs'
import { launchChromium, printTable, startStack, writeResult } from './lib.mjs'
import { pacing } from './pacing.mjs'
import { packet as packetSection } from './packet.mjs'
import { receipts } from './receipts.mjs'
import { size } from './size.mjs'
import { sizeSteps } from './size-steps.mjs'
import { buildReferenceBundle } from './size.mjs'
import { throughput } from './throughput.mjs'

async function packet (opts) {
  const results = await packetSection(opts)
  const get = (p) => results.find((r) => r.path.startsWith(p))
  const ref = get('node')
  return {
    rows: ['native', 'wasm'].map((p) => ({
      section: 'packet',
      figure: `sender CPU per STREAM packet, ${get(p).path}`,
      unit: 'ns/packet',
      ours: Number(get(p).ns_per_packet.toFixed(1)),
      reference: Number(ref.ns_per_packet.toFixed(1)),
      lowerIsBetter: true,
      method: `median of 5 runs of ${opts.iterations} packets (build, seal, Prepare; decode Fulfill, open reply)`
    })),
    details: { results }
  }
}

const sections = { size, packet, throughput, ceiling, 'first-payment': firstPayment, pacing, idle, receipts, 'size-steps': sizeSteps, metric }
// Sections that run only when named (size-steps is slow: a release build per
// step; metric checks the browser's metrics, not this package).
const ON_REQUEST = new Set(['size-steps', 'metric'])
const NETWORK = new Set(['throughput', 'ceiling', 'first-payment', 'pacing', 'idle'])

function options (argv) {
  const o = {
    iterations: Number(process.env.BENCH_ITERATIONS ?? 100_000),
    throughputAmount: 10_000_000,
    throughputRuns: 3,
    runs: 7,
    rate: 100_000,
    pacingSeconds: 30,
    idleSeconds: 15,
    receipts: 20_000,
    only: []
  }
  const numeric = {
    '--iterations': 'iterations',
    '--throughput-amount': 'throughputAmount',
    '--throughput-runs': 'throughputRuns',
    '--runs': 'runs',
    '--rate': 'rate',
    '--pacing-seconds': 'pacingSeconds',
    '--idle-seconds': 'idleSeconds',
    '--receipts': 'receipts'
  }
  const set = new Set()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (numeric[a]) {
      const v = Number(argv[++i])
      if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${a} needs an integer >= 1`)
      o[numeric[a]] = v
      set.add(numeric[a])
    } else if (a === '--quick') {
      const quick = { iterations: 10_000, throughputAmount: 2_000_000, throughputRuns: 1, runs: 3, pacingSeconds: 5, idleSeconds: 5, receipts: 2000 }
      for (const [k, v] of Object.entries(quick)) if (!set.has(k)) o[k] = v
    } else if (a === '--only') {
      o.only.push(...argv[++i].split(',').filter(Boolean))
    } else if (sections[a]) {
      o.only.push(a)
    } else {
      throw new Error(`unknown argument ${a}; sections: ${Object.keys(sections).join(', ')}`)
    }
  }
  for (const s of o.only) if (!sections[s]) throw new Error(`unknown section ${s}; sections: ${Object.keys(sections).join(', ')}`)
  if (o.receipts % 100) throw new Error('--receipts must be a multiple of 100')
  if (o.throughputAmount % 1000) throw new Error('--throughput-amount must be a multiple of 1000 (the max packet)')
  return o
}

const opts = options(process.argv.slice(2))
const chosen = opts.only.length ? Object.keys(sections).filter((s) => opts.only.includes(s)) : Object.keys(sections).filter((s) => !ON_REQUEST.has(s))
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
const date = new Date().toISOString()
console.log(`# ilp-stream-web benchmarks, ${date} (${machine})`)

const ctx = { stack: null, browser: null }
let cleaning = null
async function cleanup () {
  cleaning ??= (async () => {
    if (ctx.browser) await ctx.browser.close().catch(() => {})
    if (ctx.stack) await ctx.stack.stop().catch(() => {})
  })()
  return cleaning
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)) })

const report = { date, machine, options: opts, sections: {}, rows: [] }
try {
  if (chosen.some((s) => NETWORK.has(s))) {
    if (!chosen.includes('size')) await buildReferenceBundle() // the page loads it
    ctx.stack = await startStack(['--max-packet-amount', '1000', '--rate-limit', '1000000'])
  }
  if (chosen.some((s) => NETWORK.has(s) || s === 'metric')) {
    ctx.browser = await launchChromium()
    report.chromium = ctx.browser.version()
  }
  for (const name of chosen) {
    process.stderr.write(`bench: section ${name}\n`)
    const result = await sections[name](opts, ctx)
    report.sections[name] = result.details
    report.rows.push(...result.rows)
    await writeResult(name, { section: name, date, machine, rows: result.rows, ...result.details })
  }
} finally {
  await cleanup()
}

const fmt = (v) => (v === undefined || v === null ? '' : typeof v === 'number' ? v.toLocaleString('en-US') : String(v))
console.log(`\n## all figures (${date.slice(0, 10)}; ${machine}; noisy: medians where there are runs)\n`)
printTable(['section', 'figure', 'unit', 'ours', 'reference (Node)', 'reference (Chromium)', 'ours ÷ ref (Node)'],
  report.rows.map((r) => [r.section, r.figure, r.unit, fmt(r.ours), fmt(r.reference), fmt(r.referenceChromium),
    typeof r.reference === 'number' && typeof r.ours === 'number' ? (r.ours / r.reference).toFixed(2) : '']), 3)
console.log('\nHow each figure was measured:')
for (const r of report.rows) console.log(`- ${r.section} / ${r.figure}: ${r.method}`)
const file = await writeResult('report', report)
console.log(`\nwrote ${file}`)
