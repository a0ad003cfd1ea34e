// The reference client (ilp-plugin-btp + ilp-protocol-stream) in Node,
// against the stack bench/run.mjs started; one process per measurement set.
//
//   node -r network/shim.cjs bench/reference-client.mjs --mode MODE \
//     --btp URL --spsp URL [--amount N] [--runs N] [--rate N] [--seconds N]
//
// Modes (times in ms, from performance.now()):
//   throughput     connect, then time stream.sendTotal(amount) alone
//   first-payment  from SPSP query begin to the first 'outgoing_money' event
//                  (setSendMax(amount): the first tick's worth)
//   stream         raise sendMax by rate x 200 ms every 200 ms for `seconds`;
//                  the process's CPU time (process.cpuUsage) over that window
// Prints one line of JSON: { mode, runs: [...] } and exits.
import { performance } from 'node:perf_hooks'
import { createRequire } from 'node:module'
import { ReferenceBtpPlugin as CountingBtpPlugin } from '../tests/interop/btp-plugin.mjs'

const require = createRequire(import.meta.url)
const { createConnection } = require('ilp-protocol-stream')

function options (argv) {
  const o = { runs: 1, amount: 0, rate: 0, seconds: 0 }
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '')
    o[key] = ['btp', 'spsp', 'mode'].includes(key) ? argv[i + 1] : Number(argv[i + 1])
  }
  return o
}

async function spsp (url) {
  const res = await fetch(url, { headers: { accept: 'application/spsp4+json, application/spsp+json' } })
  const body = await res.json()
  return { destinationAccount: body.destination_account, sharedSecret: Buffer.from(body.shared_secret, 'base64') }
}

async function connect (o) {
  const plugin = new CountingBtpPlugin({ server: o.btp })
  const conn = await createConnection({ plugin, ...await spsp(o.spsp) })
  return { plugin, conn, stream: conn.createStream() }
}

async function close ({ conn, plugin }) {
  await conn.end().catch(() => {})
  await plugin.disconnect().catch(() => {})
}

const modes = {
  async throughput (o) {
    const c = await connect(o)
    const sends0 = c.plugin.sends
    const t0 = performance.now()
    await c.stream.sendTotal(String(o.amount))
    const ms = performance.now() - t0
    const r = { ms, sends: c.plugin.sends - sends0, sent: c.stream.totalSent, delivered: c.conn.totalDelivered }
    await close(c)
    return r
  },
  async 'first-payment' (o) {
    const t0 = performance.now()
    const c = await connect(o)
    const first = new Promise((resolve) => c.stream.once('outgoing_money', resolve))
    c.stream.setSendMax(String(o.amount))
    await first
    const ms = performance.now() - t0
    await close(c)
    return { ms, sent: c.stream.totalSent }
  },
  async stream (o) {
    const c = await connect(o)
    let max = 0
    const raise = () => { max += o.rate * 0.2; c.stream.setSendMax(String(max)) }
    raise()
    const timer = setInterval(raise, 200)
    await new Promise((resolve) => setTimeout(resolve, 2000)) // warm-up, as for Chromium
    const cpu0 = process.cpuUsage()
    const sent0 = Number(c.stream.totalSent)
    const t0 = performance.now()
    await new Promise((resolve) => setTimeout(resolve, o.seconds * 1000))
    const cpu = process.cpuUsage(cpu0)
    const ms = performance.now() - t0
    const sent = Number(c.stream.totalSent) - sent0
    clearInterval(timer)
    await close(c)
    return { ms, userMs: cpu.user / 1000, systemMs: cpu.system / 1000, sent }
  }
}

const o = options(process.argv.slice(2))
const runs = []
for (let i = 0; i < o.runs; i++) runs.push(await modes[o.mode](o))
process.stdout.write(JSON.stringify({ mode: o.mode, runs }) + '\n')
process.exit(0)
