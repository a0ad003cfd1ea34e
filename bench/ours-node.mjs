// Our package in Node (pkg/, as `make build` left it; `ws` as the WebSocket
// on Node 20), against the stack bench/run.mjs started: the same runtime as
// the reference's Node rows, so the two compare without a browser between.
//
//   node bench/ours-node.mjs --mode MODE --btp URL --spsp URL [--rate N] [--runs N]
//
// Modes (times in ms, from performance.now()):
//   first-payment  new PaymentStream({ amountPerSecond: rate }); start() to its
//                  `start` event (the first fulfilled packet)
//   first-payment-unpaced  rate 0: start() to pay(1000) resolving
// Prints one line of JSON: { mode, runs: [...] } and exits.
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import init, { PaymentStream } from '../pkg/ilp_stream_web.js'

function options (argv) {
  const o = { runs: 1, rate: 0 }
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '')
    o[key] = ['btp', 'spsp', 'mode'].includes(key) ? argv[i + 1] : Number(argv[i + 1])
  }
  return o
}

const modes = {
  async 'first-payment' (o) {
    const s = new PaymentStream({ btp: o.btp, receiver: o.spsp, amountPerSecond: String(o.rate), WebSocket })
    const t0 = performance.now()
    const first = new Promise((resolve) => s.addEventListener('start', () => resolve(performance.now()), { once: true }))
    await s.start()
    const ms = (await first) - t0
    await s.stop()
    return { ms, sent: s.totalSent }
  },
  async 'first-payment-unpaced' (o) {
    const s = new PaymentStream({ btp: o.btp, receiver: o.spsp, amountPerSecond: '0', WebSocket })
    const t0 = performance.now()
    await s.start()
    await s.pay('1000')
    const ms = performance.now() - t0
    await s.stop()
    return { ms, sent: s.totalSent }
  }
}

const o = options(process.argv.slice(2))
await init()
const runs = []
for (let i = 0; i < o.runs; i++) runs.push(await modes[o.mode](o))
process.stdout.write(JSON.stringify({ mode: o.mode, runs }) + '\n')
process.exit(0)
