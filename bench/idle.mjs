// Benchmark section "idle": CPU time a page spends per minute while it streams
// at --rate (a typical Web Monetization rate), in headless Chromium.
//
// Each client runs in its own fresh page (own browser context, nothing else
// open). After a 2 s warm-up, CDP Performance.getMetrics is read at the start
// and end of a --idle-seconds window; the deltas of TaskDuration (all tasks on
// the renderer's main thread) and ScriptDuration (JavaScript + wasm) are scaled
// to one minute. Rows: the bench page alone (baseline: its wasm loaded, not
// streaming), ours, and the reference bundle in the same kind of page paced
// by raising setSendMax every 200 ms. Work in Chromium's network process is
// not counted. For comparison the reference in Node: process.cpuUsage()
// (user + system) over the same window, also per minute.
import { openBenchPage, printTable, referenceNode } from './lib.mjs'

async function measure (browser, stack, seconds, begin, end) {
  const page = await openBenchPage(browser, stack)
  try {
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' })
    if (begin) await page.evaluate(begin.fn, begin.arg)
    await page.waitForTimeout(2000)
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    const m0 = await metrics()
    const t0 = performance.now()
    await page.waitForTimeout(seconds * 1000)
    const m1 = await metrics()
    const wall = (performance.now() - t0) / 1000
    const after = end ? await page.evaluate(end.fn) : null
    const perMin = (k) => (m1[k] - m0[k]) / wall * 60 * 1000 // ms per minute
    return { wallSeconds: wall, taskMsPerMin: perMin('TaskDuration'), scriptMsPerMin: perMin('ScriptDuration'), after }
  } finally {
    await page.context().close()
  }
}

export async function idle (opts, { stack, browser }) {
  const { rate } = opts
  const seconds = opts.idleSeconds
  const o = { btp: stack.info.btpUrl, receiver: stack.info.paymentPointerUrl, rate }
  console.log(`\n## idle: renderer main-thread CPU per minute while streaming ${rate}/s (${seconds} s window after 2 s warm-up)\n`)
  const baseline = await measure(browser, stack, seconds, null, null)
  const ours = await measure(browser, stack, seconds,
    { fn: (o) => window.bench.ours.begin(o), arg: o }, { fn: () => window.bench.ours.end() })
  const ref = await measure(browser, stack, seconds,
    { fn: (o) => window.bench.ref.begin(o), arg: o }, { fn: () => window.bench.ref.end() })
  const node = (await referenceNode(['--mode', 'stream', '--btp', o.btp, '--spsp', o.receiver,
    '--rate', String(rate), '--seconds', String(seconds)])).runs[0]
  const nodePerMin = (node.userMs + node.systemMs) / (node.ms / 1000) * 60
  const f = (v) => v.toFixed(0)
  printTable(['page', 'TaskDuration ms/min', 'ScriptDuration ms/min'], [
    ['bench page, not streaming (baseline)', f(baseline.taskMsPerMin), f(baseline.scriptMsPerMin)],
    ['ours, streaming', f(ours.taskMsPerMin), f(ours.scriptMsPerMin)],
    ['reference (Chromium), streaming', f(ref.taskMsPerMin), f(ref.scriptMsPerMin)],
    ['reference (Node), process CPU', f(nodePerMin), '']
  ])
  const method = `CDP Performance.getMetrics TaskDuration delta over ${seconds} s, x 60 / window`
  return {
    rows: [
      { section: 'idle', figure: `CPU while streaming ${rate}/s (renderer main thread)`, unit: 'ms CPU/min', ours: Math.round(ours.taskMsPerMin), referenceChromium: Math.round(ref.taskMsPerMin), reference: Math.round(nodePerMin), lowerIsBetter: true, method: `${method}; reference (Node): process.cpuUsage` },
      { section: 'idle', figure: 'same, script only', unit: 'ms CPU/min', ours: Math.round(ours.scriptMsPerMin), referenceChromium: Math.round(ref.scriptMsPerMin), lowerIsBetter: true, method: 'ScriptDuration delta, same window' },
      { section: 'idle', figure: 'bench page not streaming (baseline)', unit: 'ms CPU/min', ours: Math.round(baseline.taskMsPerMin), method: 'TaskDuration delta, same window' }
    ],
    details: { rate, seconds, baseline, ours, referenceChromium: ref, referenceNode: { ...node, cpuMsPerMin: nodePerMin } }
  }
}
