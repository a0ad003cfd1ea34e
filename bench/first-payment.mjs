// Benchmark section "first-payment": time to the first fulfilled packet.
//
//   ours       new PaymentStream({ amountPerSecond: rate }); from start() to its
//              `start` event (fired when the first packet is fulfilled); includes
//              the SPSP query, WebSocket + BTP auth, IL-DCP and STREAM setup
//   reference  from the SPSP query to the stream's first 'outgoing_money' event
//              (createConnection, then setSendMax(rate x 200 ms), one tick of ours),
//              in Node and, bundled, in Chromium
//   ours, unpaced  rate 0, from start() to pay(1000) (one packet) resolving: the
//              paced figure includes waiting for the pacer to earn a first
//              quantum; the reference pays its first sendMax up front
//   ours (Node)  both of ours again in Node (bench/ours-node.mjs, `ws`): the
//              same runtime as the reference's Node row
//
// One warm-up run each (not counted), then --runs runs; median in ms.
import { median, openBenchPage, oursNode, printTable, referenceNode } from './lib.mjs'

/**
 * Ours, paced: the median time (from start()) of the SPSP answer, the
 * socket's open and each message in and out, in order, up to the start event.
 */
function printTimeline (runs) {
  const at = (pick) => {
    const v = runs.map(pick).filter((x) => typeof x === 'number')
    return v.length ? median(v).toFixed(1) : ''
  }
  const rows = [['SPSP answered (resource timing responseEnd)', at((r) => r.spspMs)]]
  const longest = Math.max(...runs.map((r) => r.log.length))
  const counts = { open: 0, send: 0, message: 0 }
  const first = runs[0]?.log ?? []
  for (let i = 0; i < longest; i++) {
    const kind = first[i]?.[1]
    if (!kind) break
    counts[kind]++
    const n = counts[kind]
    // The n-th event of that kind in each run.
    const nth = (r) => r.log.filter(([, k]) => k === kind)[n - 1]?.[0]
    rows.push([kind === 'open' ? 'WebSocket open' : `${kind === 'send' ? 'sent' : 'received'} message ${n}`, at(nth)])
  }
  rows.push(['start event (first fulfilled packet)', at((r) => r.ms)])
  console.log('\nours, paced: where the time goes (median ms after start(); messages: BTP auth, IL-DCP, rate probes, then paying packets)')
  printTable(['event', 'ms'], rows)
  console.log('')
}

export async function firstPayment (opts, { stack, browser }) {
  const rate = opts.rate
  const firstAmount = rate / 5
  const o = { btp: stack.info.btpUrl, receiver: stack.info.paymentPointerUrl, rate, firstAmount, unpacedAmount: 1000 }
  const n = opts.runs
  console.log(`\n## first-payment: start to first fulfilled packet at ${rate} units/s, ${n} runs (+1 warm-up), median\n`)
  const page = await openBenchPage(browser, stack)
  const runs = { ours: [], oursDiscrete: [], refChromium: [] }
  try {
    for (let i = 0; i <= n; i++) {
      const a = await page.evaluate((o) => window.bench.ours.firstPayment(o), o)
      const b = await page.evaluate((o) => window.bench.ref.firstPayment(o), o)
      const c = await page.evaluate((o) => window.bench.ours.firstPaymentDiscrete({ ...o, firstAmount: o.unpacedAmount }), o)
      if (i > 0) { runs.ours.push(a); runs.refChromium.push(b); runs.oursDiscrete.push(c) }
    }
  } finally { await page.close() }
  const node = await referenceNode(['--mode', 'first-payment', '--btp', o.btp, '--spsp', o.receiver,
    '--amount', String(firstAmount), '--runs', String(n + 1)])
  runs.refNode = node.runs.slice(1)
  const common = ['--btp', o.btp, '--spsp', o.receiver, '--rate', String(rate), '--runs', String(n + 1)]
  runs.oursNode = (await oursNode(['--mode', 'first-payment', ...common])).runs.slice(1)
  runs.oursNodeDiscrete = (await oursNode(['--mode', 'first-payment-unpaced', ...common])).runs.slice(1)
  const med = (list) => median(list.map((r) => r.ms))
  printTimeline(runs.ours)
  const f = {
    ours: med(runs.ours),
    oursDiscrete: med(runs.oursDiscrete),
    oursNode: med(runs.oursNode),
    oursNodeDiscrete: med(runs.oursNodeDiscrete),
    refNode: med(runs.refNode),
    refChromium: med(runs.refChromium)
  }
  const list = (l) => l.map((r) => r.ms.toFixed(0)).join(' ')
  printTable(['client', 'median ms', 'runs (ms)'], [
    ['ours (Chromium), paced: start() to start event', f.ours.toFixed(0), list(runs.ours)],
    ['ours (Chromium), rate 0: start() + pay(1000)', f.oursDiscrete.toFixed(0), list(runs.oursDiscrete)],
    ['ours (Node), paced: start() to start event', f.oursNode.toFixed(0), list(runs.oursNode)],
    ['ours (Node), rate 0: start() + pay(1000)', f.oursNodeDiscrete.toFixed(0), list(runs.oursNodeDiscrete)],
    ['reference (Node)', f.refNode.toFixed(0), list(runs.refNode)],
    ['reference (Chromium)', f.refChromium.toFixed(0), list(runs.refChromium)]
  ])
  const row = (figure, ours, method, chromium) => ({
    section: 'first-payment',
    figure,
    unit: 'ms',
    ours: Number(ours.toFixed(1)),
    reference: Number(f.refNode.toFixed(1)),
    ...(chromium ? { referenceChromium: Number(f.refChromium.toFixed(1)) } : {}),
    lowerIsBetter: true,
    method
  })
  return {
    rows: [
      row('start to first fulfilled packet', f.ours,
        `start() to 'start' event / SPSP query to first 'outgoing_money'; median of ${n} after 1 warm-up`, true),
      row('same, ours unpaced: start() (rate 0) + pay()', f.oursDiscrete,
        `start() call to pay(1000) (one packet) resolving (rate 0: no pacing wait); median of ${n}`, true),
      row('start to first fulfilled packet, ours in Node (paced)', f.oursNode,
        `bench/ours-node.mjs (pkg/ in Node 20, ws): start() to 'start' event; median of ${n} after 1 warm-up`),
      row('same, ours in Node, unpaced: start() (rate 0) + pay()', f.oursNodeDiscrete,
        `bench/ours-node.mjs: start() call to pay(1000) resolving; median of ${n} after 1 warm-up`)
    ],
    details: { rate, referenceFirstAmount: firstAmount, runs, medianMs: f }
  }
}
