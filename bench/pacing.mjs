// Benchmark section "pacing": ours streams at a fixed rate for --pacing-seconds
// (connector max packet 1000) in headless Chromium.
//
//   active time   from the `start` event (first packet fulfilled) to the stop() call
//   sent          PaymentStream.totalSent read just before stop() (source units)
//   received      what the stack's STREAM receiver counted for the whole run
//                 (GET /control/totals before and after; includes what was in
//                 flight at stop())
//   error         (sent - rate x active time) / (rate x active time)
//   packets/s     WebSocket messages the page sent between start() resolving and
//                 stop() (each one an ILP Prepare), divided by that time
//   per second    amounts sent in each whole second of the window, from the
//                 `progress` events (min / median / max)
// The reference has no pacing of its own, so it has no column here.
import { median, openBenchPage, printTable } from './lib.mjs'

export async function pacing (opts, { stack, browser }) {
  const { rate } = opts
  const seconds = opts.pacingSeconds
  const o = { btp: stack.info.btpUrl, receiver: stack.info.paymentPointerUrl, rate, seconds }
  console.log(`\n## pacing: ${rate} units/s for ${seconds} s (max packet 1000)\n`)
  const before = BigInt((await stack.get('/control/totals')).totalReceived)
  const page = await openBenchPage(browser, stack)
  let r
  try {
    r = await page.evaluate((o) => window.bench.ours.pacing(o), o)
  } finally { await page.close() }
  const received = Number(BigInt((await stack.get('/control/totals')).totalReceived) - before)
  const activeS = (r.stopCalled - r.startEvent) / 1000
  const expected = rate * activeS
  const sent = Number(r.sentAtStop)
  const errorPct = (sent - expected) / expected * 100
  const sinceCallS = (r.stopCalled - r.called) / 1000
  const errorSinceCallPct = (sent - rate * sinceCallS) / (rate * sinceCallS) * 100
  const packetsPerSecond = r.sends / activeS
  // Amount sent in each whole second after the start event, from progress events.
  const perSecond = []
  const at = (t) => { // totalSent at time t: the last progress event at or before t
    let v = 0
    for (const [pt, total] of r.progress) { if (pt <= t) v = Number(total); else break }
    return v
  }
  for (let s = 0; s + 1 <= activeS; s++) {
    perSecond.push(at(r.startEvent + (s + 1) * 1000) - at(r.startEvent + s * 1000))
  }
  printTable(['figure', 'value'], [
    ['active time (start event to stop call)', `${activeS.toFixed(3)} s`],
    ['expected (rate x active time)', expected.toFixed(0)],
    ['sent (totalSent at stop call)', sent],
    ['received by the receiver (after stop settled)', received],
    ['error of sent vs expected', `${errorPct.toFixed(2)} %`],
    ['error counted from the start() call instead', `${errorSinceCallPct.toFixed(2)} %`],
    ['packets sent per second', packetsPerSecond.toFixed(1)],
    ['sent per whole second: min / median / max', `${Math.min(...perSecond)} / ${median(perSecond)} / ${Math.max(...perSecond)}`],
    ['progress events per second', (r.progress.length / activeS).toFixed(1)]
  ])
  const method = `${seconds} s at ${rate}/s; active = 'start' event to stop() call`
  return {
    rows: [
      { section: 'pacing', figure: 'sent vs rate x active time', unit: '% error', ours: Number(errorPct.toFixed(2)), method },
      { section: 'pacing', figure: 'packets sent per second', unit: 'packets/s', ours: Number(packetsPerSecond.toFixed(1)), method: 'WebSocket messages sent / active time' }
    ],
    details: { rate, seconds, activeSeconds: activeS, expected, sent, received, errorPct, errorSinceCallPct, packetsPerSecond, perSecond, sends: r.sends, progressEvents: r.progress.length }
  }
}
