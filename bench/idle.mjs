// Benchmark section "idle": CPU time a page spends per minute while it streams
// at --rate (a typical Web Monetization rate), in headless Chromium.
//
// Each client runs in its own fresh page (own browser context, nothing else
// open). After a 2 s warm-up, CDP Performance.getMetrics is read at the start
// and end of a --idle-seconds window; the deltas of TaskDuration (all tasks on
// the renderer's main thread) and ScriptDuration (JavaScript + wasm, but not
// promise reaction jobs: bench/metric-check.mjs shows 1 ms burned in a
// Promise.then job is not counted, while a timer, queueMicrotask,
// MessageChannel or WebSocket callback is) are scaled to one minute, with
// ThreadTime (the main thread's CPU time: the two durations are wall time,
// which grows while a busy machine keeps the thread waiting for a core).
// Rows: the bench page alone (baseline: its wasm loaded, not streaming), ours, and the reference bundle in the same kind of page paced
// by raising setSendMax every 200 ms. Work in Chromium's network process is
// not counted. For comparison the reference in Node: process.cpuUsage()
// (user + system) over the same window, also per minute.
//
// A second window of the same length is sampled by the CDP Profiler (200 us
// interval; not during the first, since sampling costs CPU itself), and
// self time is summed by where it ran: our wasm, our JS glue (the package's
// .js files), the bench page, the reference bundle, and the browser's own
// work ((program), (garbage collector), native functions such as
// WebSocket.send). That is the profile the "script time" work is judged by;
// its sum over everything but (idle), (program) and (root) is the fair
// counterpart of ScriptDuration (script wherever it runs, promise jobs
// included). A third, 5 s window counts calls into our JS glue.
import { openBenchPage, printTable, referenceNode } from './lib.mjs'

export async function measure (browser, stack, seconds, begin, end, pkg = null) {
  const page = await openBenchPage(browser, stack, pkg)
  try {
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' })
    if (begin) await page.evaluate(begin.fn, begin.arg)
    await page.waitForTimeout(2000)
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    const counts = () => page.evaluate(() => ({ sends: window.wsSends, messages: window.wsMessages, timers: window.timersSet }))
    const c0 = await counts()
    const m0 = await metrics()
    const t0 = performance.now()
    await page.waitForTimeout(seconds * 1000)
    const m1 = await metrics()
    const c1 = await counts()
    const wall = (performance.now() - t0) / 1000
    // The profile is taken in a second window of the same length: sampling
    // costs CPU itself, which must not count in the metrics above.
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
    await cdp.send('Profiler.start')
    const p0 = performance.now()
    await page.waitForTimeout(seconds * 1000)
    const { profile } = await cdp.send('Profiler.stop')
    const profileWall = (performance.now() - p0) / 1000
    // A third, shorter window counts calls into our JS glue (V8 precise
    // coverage with call counts; it slows code down, so it is kept out of
    // both windows above): each `__wbg_*` function is one call from wasm out
    // to JS, each closure shim one call from JS into wasm.
    await cdp.send('Profiler.startPreciseCoverage', { callCount: true, detailed: false })
    await cdp.send('Profiler.takePreciseCoverage') // resets the counters
    const k0 = await counts()
    const g0 = performance.now()
    await page.waitForTimeout(COUNT_SECONDS * 1000)
    const { result: coverage } = await cdp.send('Profiler.takePreciseCoverage')
    const k1 = await counts()
    const countWall = (performance.now() - g0) / 1000
    await cdp.send('Profiler.stopPreciseCoverage')
    const after = end ? await page.evaluate(end.fn) : null
    const perMin = (k) => (m1[k] - m0[k]) / wall * 60 * 1000 // ms per minute
    const perSecond = Object.fromEntries(Object.keys(c0).map((k) => [k, Number(((c1[k] - c0[k]) / wall).toFixed(1))]))
    return { wallSeconds: wall, taskMsPerMin: perMin('TaskDuration'), scriptMsPerMin: perMin('ScriptDuration'), threadMsPerMin: perMin('ThreadTime'), after, perSecond, profile: selfTime(profile, profileWall), glue: glueCalls(coverage, k1.messages - k0.messages, countWall) }
  } finally {
    await page.context().close()
  }
}

/** Seconds of the call-counting window. */
const COUNT_SECONDS = 5

/**
 * Calls of our JS glue's functions in a precise-coverage result: per
 * second, per message received (one per packet), and the heaviest names.
 */
function glueCalls (coverage, messages, seconds) {
  const byName = {}
  for (const script of coverage) {
    if (!/\/pkg[^/]*\//.test(script.url)) continue
    for (const f of script.functions) {
      const n = f.ranges[0]?.count ?? 0
      if (n) byName[f.functionName || '(anonymous)'] = (byName[f.functionName || '(anonymous)'] ?? 0) + n
    }
  }
  const total = Object.values(byName).reduce((a, b) => a + b, 0)
  const perMessage = (n) => Number((n / Math.max(1, messages)).toFixed(2))
  return {
    perSecond: Number((total / seconds).toFixed(1)),
    perMessage: perMessage(total),
    top: Object.fromEntries(Object.entries(byName).sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => [k, perMessage(v)]))
  }
}

/** Where a profile node's self time ran. */
function origin (frame) {
  const url = frame.url ?? ''
  const name = frame.functionName ?? ''
  if (/\.wasm\b|wasm:\/\//.test(url) || /^\$?wasm-function/.test(name)) return 'ours: wasm'
  if (/\/pkg[^/]*\//.test(url)) return 'ours: JS glue'
  if (url.includes('reference.js')) return 'reference bundle'
  if (url.includes('/bench/web/')) return 'bench page'
  if (name.startsWith('(')) return name // (program), (garbage collector), (idle), (root)
  if (!url) return `native: ${name || '(anonymous)'}`
  return 'other script'
}

/**
 * Self time per origin in ms per minute (sample count x interval), and the
 * ten heaviest functions of our own code.
 */
function selfTime (profile, wallSeconds) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const counts = new Map()
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1)
  const ms = (profile.endTime - profile.startTime) / 1000
  const perSample = ms / Math.max(1, profile.samples.length)
  const scale = (v) => v * perSample / wallSeconds * 60
  const byOrigin = {}
  const ours = {}
  for (const [id, n] of counts) {
    const frame = byId.get(id).callFrame
    const o = origin(frame)
    byOrigin[o] = (byOrigin[o] ?? 0) + n
    if (o.startsWith('ours')) {
      const key = `${frame.functionName || '(anonymous)'} (${o.slice(6)})`
      ours[key] = (ours[key] ?? 0) + n
    }
  }
  const round = (o) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Number(scale(v).toFixed(1))]))
  return { byOrigin: round(byOrigin), oursTop: Object.fromEntries(Object.entries(round(ours)).slice(0, 40)) }
}

/** Prints a profile's self time by origin, without idle time. */
function printProfile (label, p) {
  console.log(`\nCPU profile, ${label}: self time by origin (ms/min; "(idle)" left out)`)
  printTable(['origin', 'ms/min'], Object.entries(p.byOrigin).filter(([k]) => k !== '(idle)').slice(0, 12).map(([k, v]) => [k, v.toFixed(1)]))
  const top = Object.entries(p.oursTop).slice(0, 10)
  if (top.length) {
    console.log(`heaviest of ours: ${top.map(([k, v]) => `${k} ${v.toFixed(1)}`).join('; ')}`)
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
  printTable(['page', 'TaskDuration ms/min', 'ScriptDuration ms/min', 'ThreadTime ms/min'], [
    ['bench page, not streaming (baseline)', f(baseline.taskMsPerMin), f(baseline.scriptMsPerMin), f(baseline.threadMsPerMin)],
    ['ours, streaming', f(ours.taskMsPerMin), f(ours.scriptMsPerMin), f(ours.threadMsPerMin)],
    ['reference (Chromium), streaming', f(ref.taskMsPerMin), f(ref.scriptMsPerMin), f(ref.threadMsPerMin)],
    ['reference (Node), process CPU', f(nodePerMin), '', '']
  ])
  const ps = (r) => `${r.perSecond.sends} WebSocket sends, ${r.perSecond.messages} messages in, ${r.perSecond.timers} setTimeout calls`
  console.log(`\nper second: ours ${ps(ours)}; reference ${ps(ref)}`)
  printProfile('ours streaming', ours.profile)
  const g = ours.glue
  console.log(`calls into our JS glue (${COUNT_SECONDS} s, precise coverage): ${g.perSecond}/s, ${g.perMessage} per message received; ` +
    `per message: ${Object.entries(g.top).slice(0, 12).map(([k, v]) => `${k.replace(/_[0-9a-f]{16}$/, '')} ${v}`).join('; ')}`)
  printProfile('reference (Chromium) streaming', ref.profile)
  const scriptOf = (p, re) => Object.entries(p.byOrigin).filter(([k]) => re.test(k)).reduce((n, [, v]) => n + v, 0)
  // Every origin but the browser's own: ScriptDuration without its blind spot.
  const SCRIPT = /^(?!\((idle|program|root)\)$)/
  console.log(`\nscript and what it calls, promise jobs included (profile, all but (idle), (program), (root)): ours ${scriptOf(ours.profile, SCRIPT).toFixed(0)} ms/min, ` +
    `reference ${scriptOf(ref.profile, SCRIPT).toFixed(0)} ms/min (ScriptDuration leaves promise reaction jobs out: bench metric)`)
  const method = `CDP Performance.getMetrics TaskDuration delta over ${seconds} s, x 60 / window`
  return {
    rows: [
      { section: 'idle', figure: `CPU while streaming ${rate}/s (renderer main thread)`, unit: 'ms CPU/min', ours: Math.round(ours.taskMsPerMin), referenceChromium: Math.round(ref.taskMsPerMin), reference: Math.round(nodePerMin), lowerIsBetter: true, method: `${method}; reference (Node): process.cpuUsage` },
      { section: 'idle', figure: 'same, script only', unit: 'ms CPU/min', ours: Math.round(ours.scriptMsPerMin), referenceChromium: Math.round(ref.scriptMsPerMin), lowerIsBetter: true, method: 'ScriptDuration delta, same window' },
      { section: 'idle', figure: 'same, all script and what it calls, promise jobs included (CPU profile)', unit: 'ms CPU/min', ours: Math.round(scriptOf(ours.profile, SCRIPT)), referenceChromium: Math.round(scriptOf(ref.profile, SCRIPT)), lowerIsBetter: true, method: 'CDP Profiler self time of every sample but (idle), (program) and (root): JS, wasm, the native functions they call, GC; ScriptDuration leaves promise reaction jobs out (bench metric), and the reference client does its work there' },
      { section: 'idle', figure: 'same, the client\'s own script (CPU profile self time)', unit: 'ms CPU/min', ours: Math.round(scriptOf(ours.profile, /^ours/)), referenceChromium: Math.round(scriptOf(ref.profile, /^reference/)), lowerIsBetter: true, method: 'CDP Profiler samples (200 us) in our .wasm and pkg/*.js, or in the reference bundle, a second window as long' },
      { section: 'idle', figure: 'bench page not streaming (baseline)', unit: 'ms CPU/min', ours: Math.round(baseline.taskMsPerMin), method: 'TaskDuration delta, same window' }
    ],
    details: { rate, seconds, baseline, ours, referenceChromium: ref, referenceNode: { ...node, cpuMsPerMin: nodePerMin } }
  }
}
