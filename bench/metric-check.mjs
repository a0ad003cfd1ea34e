// Benchmark section "metric" (only when named, or standalone:
// `node bench/metric-check.mjs [--seconds N]`): what Chromium's
// CDP Performance.getMetrics ScriptDuration and TaskDuration count.
//
// A page on a local HTTP + WebSocket server burns a fixed 1 ms of CPU
// (a busy loop on performance.now()) 100 times a second, each time from a
// different kind of callback:
//   timeout     in a setTimeout callback (re-armed every 10 ms)
//   microtask   in a queueMicrotask job queued by that timer (the timer does nothing else)
//   promise     in a Promise.resolve().then job queued by that timer
//   message     in a MessageChannel message task posted by that timer
//   websocket   in a WebSocket `message` listener (the server sends 100 messages/s)
// plus a row per case that does the same without the 1 ms (the
// callback alone), so a row's delta is what the metric counted of 6,000 ms
// of burning per minute. Then WebSocket.send of a ~150-byte binary message,
// 1,000 calls/s (10 per 10 ms timer): a fresh Uint8Array copied out of a
// larger buffer (what our client sent), a fresh ArrayBuffer, a view
// (subarray) of a 64 KB buffer, a view of a WebAssembly.Memory's buffer (what
// web-sys's send_with_u8_array passes), and the same timer building the
// fresh Uint8Array without sending; per call, the
// page's own performance.now() around send() and the ScriptDuration delta
// over the no-send row. Each case gets its own fresh page; figures are
// scaled to one minute. Nothing is asserted.
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'
import { launchChromium, printTable } from './lib.mjs'

const PAGE = `<!doctype html><meta charset="utf-8"><title>metric check</title><script>
const burn = (ms) => { const end = performance.now() + ms; let x = 0; while (performance.now() < end) x++; return x }
const big = new Uint8Array(65536).map((_, i) => i & 255)
// 1.1 MB of WebAssembly memory (17 pages), for a view of wasm memory.
const wasmBytes = new Uint8Array(new WebAssembly.Memory({ initial: 17 }).buffer)
wasmBytes.set(big, 1 << 20)
window.sendNs = 0
window.sends = 0
window.calls = 0
window.run = (mode, ms) => {
  const job = () => { window.calls++; if (ms) burn(ms) }
  const every = (f) => { const tick = () => { f(); setTimeout(tick, 10) }; setTimeout(tick, 10) }
  const timed = (ws, make) => every(() => {
    if (ws.readyState !== 1) return
    for (let i = 0; i < 10; i++) {
      const data = make(i)
      const t = performance.now(); ws.send(data); window.sendNs += (performance.now() - t) * 1e6; window.sends++
    }
  })
  const socket = (onmessage) => new Promise((resolve) => {
    const ws = new WebSocket('ws://' + location.host + '/' + mode)
    ws.binaryType = 'arraybuffer'
    if (onmessage) ws.onmessage = onmessage
    ws.onopen = () => resolve(ws)
  })
  if (mode === 'timeout') every(job)
  else if (mode === 'microtask') every(() => queueMicrotask(job))
  else if (mode === 'promise') every(() => { Promise.resolve().then(job) })
  else if (mode === 'message') { const ch = new MessageChannel(); ch.port1.onmessage = job; every(() => ch.port2.postMessage(0)) }
  else if (mode === 'websocket') return socket(job).then(() => {})
  else if (mode === 'send-none') return socket().then((ws) => every(() => { if (ws.readyState === 1) for (let i = 0; i < 10; i++) big.slice(i * 150, i * 150 + 150) }))
  else if (mode === 'send-u8') return socket().then((ws) => timed(ws, (i) => big.slice(i * 150, i * 150 + 150)))
  else if (mode === 'send-ab') return socket().then((ws) => timed(ws, (i) => big.buffer.slice(i * 150, i * 150 + 150)))
  else if (mode === 'send-view') return socket().then((ws) => timed(ws, (i) => big.subarray(i * 150, i * 150 + 150)))
  else if (mode === 'send-wasm-view') return socket().then((ws) => timed(ws, (i) => wasmBytes.subarray((1 << 20) + i * 150, (1 << 20) + i * 150 + 150)))
}
</script>`

/** A server for the page: /, and WebSocket paths (/websocket sends 100 messages/s). */
async function serve () {
  const http = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE) })
  const wss = new WebSocketServer({ server: http })
  const payload = Buffer.alloc(150, 7)
  wss.on('connection', (ws, req) => {
    if (req.url !== '/websocket') return // the send cases: received and dropped
    const t = setInterval(() => ws.send(payload), 10)
    ws.on('close', () => clearInterval(t))
  })
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${http.address().port}/`, close: () => { wss.close(); http.close() } }
}

async function measure (browser, url, mode, ms, seconds) {
  const page = await browser.newPage()
  try {
    await page.goto(url)
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' })
    await page.evaluate(([mode, ms]) => window.run(mode, ms), [mode, ms])
    await page.waitForTimeout(1000)
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    const counts = () => page.evaluate(() => ({ calls: window.calls, sends: window.sends, sendNs: window.sendNs }))
    const c0 = await counts()
    const m0 = await metrics()
    const t0 = performance.now()
    await page.waitForTimeout(seconds * 1000)
    const m1 = await metrics()
    const c1 = await counts()
    const wall = (performance.now() - t0) / 1000
    const perMin = (k) => (m1[k] - m0[k]) / wall * 60 * 1000
    const sends = c1.sends - c0.sends
    return {
      mode,
      burnMs: ms,
      taskMsPerMin: perMin('TaskDuration'),
      scriptMsPerMin: perMin('ScriptDuration'),
      callsPerSecond: (c1.calls - c0.calls) / wall,
      sendsPerSecond: sends / wall,
      sendNsPerCall: sends ? (c1.sendNs - c0.sendNs) / sends : null
    }
  } finally {
    await page.context().close()
  }
}

/** Runs every case; prints two tables; returns the rows. */
export async function metricCheck (seconds, browser) {
  const server = await serve()
  try {
    const kinds = ['timeout', 'microtask', 'promise', 'message', 'websocket']
    const burnRows = []
    for (const kind of kinds) {
      const base = await measure(browser, server.url, kind, 0, seconds)
      const hot = await measure(browser, server.url, kind, 1, seconds)
      burnRows.push({ kind, base, hot })
    }
    console.log(`\n## metric: what ScriptDuration counts (1 ms burned 100x/s = 6,000 ms/min; ${seconds} s windows)\n`)
    const f = (v) => v.toFixed(0)
    printTable(['where the 1 ms runs', 'calls/s', 'Task, empty', 'Task, 1 ms', 'Task delta', 'Script, empty', 'Script, 1 ms', 'Script delta'],
      burnRows.map(({ kind, base, hot }) => [kind, hot.callsPerSecond.toFixed(0), f(base.taskMsPerMin), f(hot.taskMsPerMin),
        f(hot.taskMsPerMin - base.taskMsPerMin), f(base.scriptMsPerMin), f(hot.scriptMsPerMin), f(hot.scriptMsPerMin - base.scriptMsPerMin)]))
    const sendRows = []
    for (const mode of ['send-none', 'send-u8', 'send-ab', 'send-view', 'send-wasm-view']) sendRows.push(await measure(browser, server.url, mode, 0, seconds))
    const none = sendRows[0]
    console.log('\nWebSocket.send of 150 bytes, 10 per 10 ms timer (ms/min; per call from the page\'s performance.now() and from the ScriptDuration delta over "send-none")\n')
    printTable(['case', 'sends/s', 'TaskDuration', 'ScriptDuration', 'us/call (page clock)', 'us/call (Script delta)', 'us/call (Task delta)'],
      sendRows.map((r) => [r.mode, r.sendsPerSecond.toFixed(0), f(r.taskMsPerMin), f(r.scriptMsPerMin),
        r.sendNsPerCall === null ? '' : (r.sendNsPerCall / 1000).toFixed(2),
        r.sendsPerSecond ? ((r.scriptMsPerMin - none.scriptMsPerMin) / 60 / r.sendsPerSecond * 1000).toFixed(2) : '',
        r.sendsPerSecond ? ((r.taskMsPerMin - none.taskMsPerMin) / 60 / r.sendsPerSecond * 1000).toFixed(2) : '']))
    return { burn: burnRows, send: sendRows }
  } finally {
    server.close()
  }
}

/** The `metric` section for bench/run.mjs. */
export async function metric (opts, { browser }) {
  const seconds = Math.min(opts.idleSeconds, 10)
  const result = await metricCheck(seconds, browser)
  const row = (kind) => result.burn.find((r) => r.kind === kind)
  const delta = (r, k) => Math.round(r.hot[k] - r.base[k])
  return {
    rows: ['timeout', 'microtask', 'message', 'websocket'].map((kind) => ({
      section: 'metric',
      figure: `1 ms x 100/s (6,000 ms/min) burned in a ${kind} callback: counted by ScriptDuration`,
      unit: 'ms/min',
      ours: delta(row(kind), 'scriptMsPerMin'),
      method: `ScriptDuration delta, 1 ms vs empty callback, ${seconds} s windows (TaskDuration delta ${delta(row(kind), 'taskMsPerMin')})`
    })),
    details: result
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--seconds')
  const seconds = i > 0 ? Number(process.argv[i + 1]) : 5
  const browser = await launchChromium()
  try {
    console.log(`Chromium ${browser.version()}`)
    await metricCheck(seconds, browser)
  } finally {
    await browser.close()
  }
}
