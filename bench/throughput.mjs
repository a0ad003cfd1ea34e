// Benchmark section "throughput": one pay() of `amount` through the local
// stack (connector max packet 1000, rate limit 1,000,000 packets/s), i.e.
// amount / 1000 fulfilled ILP packets, timed from the pay call to its
// completion over an already open connection:
//
//   ours                  PaymentStream.pay() in headless Chromium (bench/web/index.html)
//   reference (Node)      ilp-protocol-stream createConnection + stream.sendTotal()
//                         over ilp-plugin-btp, in a Node process (bench/reference-client.mjs)
//   reference (Chromium)  the same reference code, esbuild-bundled, in the same page
//
// packets/s = (amount / max packet) / seconds; median of --throughput-runs runs
// (alternating the clients), all against the same stack in the same run.
import { median, openBenchPage, printTable, referenceNode } from './lib.mjs'

export async function throughput (opts, { stack, browser }) {
  const amount = opts.throughputAmount
  const packets = amount / 1000
  const o = { btp: stack.info.btpUrl, receiver: stack.info.paymentPointerUrl, amount }
  console.log(`\n## throughput: pay(${amount}) = ${packets} packets of 1000, ${opts.throughputRuns} runs each, median\n`)
  const page = await openBenchPage(browser, stack)
  const runs = { ours: [], refChromium: [], refNode: [] }
  try {
    for (let i = 0; i < opts.throughputRuns; i++) {
      process.stderr.write(`bench: throughput run ${i + 1}/${opts.throughputRuns}\n`)
      runs.ours.push(await page.evaluate((o) => window.bench.ours.throughput(o), o))
      runs.refNode.push((await referenceNode(['--mode', 'throughput', '--btp', o.btp, '--spsp', o.receiver, '--amount', String(amount)])).runs[0])
      runs.refChromium.push(await page.evaluate((o) => window.bench.ref.throughput(o), o))
    }
  } finally { await page.close() }
  const pps = (list) => median(list.map((r) => packets / (r.ms / 1000)))
  const figures = { ours: pps(runs.ours), refNode: pps(runs.refNode), refChromium: pps(runs.refChromium) }
  const ms = (list) => median(list.map((r) => r.ms))
  printTable(['client', 'median ms', 'packets/s (median)', 'runs (ms)', 'messages sent'], [
    ['ours (Chromium)', ms(runs.ours).toFixed(0), figures.ours.toFixed(0), runs.ours.map((r) => r.ms.toFixed(0)).join(' '), runs.ours[0].sends],
    ['reference (Node)', ms(runs.refNode).toFixed(0), figures.refNode.toFixed(0), runs.refNode.map((r) => r.ms.toFixed(0)).join(' '), runs.refNode[0].sends],
    ['reference (Chromium)', ms(runs.refChromium).toFixed(0), figures.refChromium.toFixed(0), runs.refChromium.map((r) => r.ms.toFixed(0)).join(' '), runs.refChromium[0].sends]
  ])
  console.log(`\nratio ours / reference (Node): ${(figures.ours / figures.refNode).toFixed(2)} (above 1: ours faster)`)
  return {
    rows: [{
      section: 'throughput',
      figure: `pay ${amount} in ${packets} packets`,
      unit: 'packets/s',
      ours: Math.round(figures.ours),
      reference: Math.round(figures.refNode),
      referenceChromium: Math.round(figures.refChromium),
      lowerIsBetter: false,
      method: `(${packets} fulfilled packets) / (pay() start to resolve), open connection, median of ${opts.throughputRuns}`
    }],
    details: { amount, packets, runs, packetsPerSecond: figures }
  }
}
