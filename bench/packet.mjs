// Benchmark section "packet": the sender's cost per STREAM packet (build,
// seal, fulfillment and condition, ILP Prepare; decode the Fulfill, check
// it, open and parse the reply) measured three ways in one run:
//
//   native  cargo run --release --example packet_bench
//   wasm    the same Rust code in headless Chromium (tests/bench_web.rs)
//   node    ilp-protocol-stream + ilp-packet doing the same steps
//           (bench/reference-packet.mjs), the reference
//
// Each prints "packet_bench <path>: <ns> ns/packet, …" (median of 5 runs
// after a warm-up, same iteration count); this parses those lines.
import { join } from 'node:path'
import { grab, printTable, root, run, streamShim, writeResult } from './lib.mjs'

const LINE = /packet_bench (\w+): ([\d.]+) ns\/packet/

const paths = [
  {
    path: 'native (Rust, release)',
    command: (n) => ['cargo', ['run', '-q', '--release', '--example', 'packet_bench', '--', '--iterations', String(n)]]
  },
  {
    path: 'wasm (Rust, Chromium)',
    command: (n) => ['wasm-pack', [
      'test', '--release', '--headless', '--chrome',
      '--chromedriver', join(root, '.cache/bin/chromedriver'),
      '--test', 'bench_web', '--', '--nocapture'
    ]],
    env: (n) => ({ PACKET_BENCH_ITERATIONS: String(n) })
  },
  {
    path: 'node (ilp-protocol-stream)',
    reference: true,
    command: (n) => ['node', ['-r', streamShim(), 'bench/reference-packet.mjs', '--iterations', String(n)]]
  }
]

/** Runs the section; prints its table and writes target/bench/packet.json. */
export async function packet ({ iterations }) {
  console.log(`\n## packet: sender cost per STREAM packet (${iterations} packets × 5 runs, median)\n`)
  const results = []
  for (const p of paths) {
    const [command, args] = p.command(iterations)
    process.stderr.write(`bench: ${p.path}: ${command} ${args.join(' ')}\n`)
    const out = await run(command, args, { env: p.env ? p.env(iterations) : {} })
    const m = grab(out, LINE, `"packet_bench …: N ns/packet" line from ${p.path}`)
    const ns = Number(m[2])
    results.push({
      path: p.path,
      reference: Boolean(p.reference),
      ns_per_packet: ns,
      packets_per_second: Math.round(1e9 / ns),
      command: [command, ...args].join(' '),
      output: m[0]
    })
  }
  const reference = results.find((r) => r.reference)
  for (const r of results) r.ratio_vs_reference = Number((r.ns_per_packet / reference.ns_per_packet).toFixed(3))
  printTable(
    ['path', 'ns/packet', 'packets/s', 'ratio vs reference'],
    results.map((r) => [r.path, r.ns_per_packet.toFixed(1), r.packets_per_second, r.ratio_vs_reference.toFixed(3)])
  )
  console.log('\nratio = ns/packet ÷ the reference\'s ns/packet (below 1: faster than the reference)')
  const file = await writeResult('packet', { section: 'packet', iterations, runs: 5, results })
  console.log(`wrote ${file}`)
  return results
}
