// Benchmark section "ceiling": the client's own limit, apart from the
// connector's. The same pay() as the throughput section, but against
// bench/fast-peer.mjs (one process: a BTP server that hands each Prepare
// straight to an ilp-protocol-stream receiver, F08 above 1000 like the
// stack's connector), so the connector's per-packet work is out of the way.
//
// For ours, the renderer's busy fraction during pay(): the CDP
// Performance.getMetrics TaskDuration delta (all main-thread tasks) over the
// pay() wall time, read around the pay() alone on an open connection. The
// same is read against the stack, for comparison. The reference in Node is
// run against the fast peer too (its own ceiling on this machine).
//
// packets/s = (amount / 1000) / seconds; median of --throughput-runs runs.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { median, openBenchPage, printTable, referenceNode, root, streamShim } from './lib.mjs'

async function startFastPeer () {
  const proc = spawn(process.execPath, ['-r', streamShim(), join(root, 'bench/fast-peer.mjs'), '--max-packet-amount', '1000'], {
    cwd: root, stdio: ['ignore', 'pipe', 'inherit']
  })
  const kill = () => { try { proc.kill('SIGKILL') } catch {} }
  process.on('exit', kill)
  const info = await new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`fast peer exited early (code ${code})`)))
    createInterface({ input: proc.stdout }).once('line', (line) => {
      try { resolve(JSON.parse(line)) } catch (err) { reject(err) }
    })
  })
  return {
    info,
    async stop () {
      process.off('exit', kill)
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      proc.kill('SIGTERM')
      await exited
    }
  }
}

/** The fast peer's CPU time so far (ms), or null for the stack. */
async function peerCpu (url) {
  if (!url) return null
  const { user, system } = await (await fetch(url)).json()
  return (user + system) / 1000
}

/**
 * One pay(amount) on an open connection, with the renderer's busy fraction
 * (and the fast peer's, when it is the peer).
 */
async function payWithBusy (page, cdp, peer, amount) {
  await page.evaluate((o) => window.bench.ours.open(o), peer)
  const task = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value
  const busy0 = await task()
  const cpu0 = await peerCpu(peer.cpu)
  const r = await page.evaluate((a) => window.bench.ours.payOpen({ amount: a }), amount)
  const cpu1 = await peerCpu(peer.cpu)
  const busy1 = await task()
  await page.evaluate(() => window.bench.ours.close())
  // The metrics calls bracket pay() from outside; the fraction uses pay()'s own wall time.
  const busyMs = (busy1 - busy0) * 1000
  return { ...r, busyMs, busy: Math.min(1, busyMs / r.ms), peerBusy: cpu0 === null ? null : (cpu1 - cpu0) / r.ms }
}

export async function ceiling (opts, { stack, browser }) {
  const amount = opts.throughputAmount
  const packets = amount / 1000
  const fast = await startFastPeer()
  const peers = {
    fast: { btp: fast.info.btpUrl, receiver: fast.info.spspUrl, cpu: fast.info.cpuUrl },
    stack: { btp: stack.info.btpUrl, receiver: stack.info.paymentPointerUrl }
  }
  console.log(`\n## ceiling: pay(${amount}) = ${packets} packets against a peer that answers at once, ${opts.throughputRuns} runs, median\n`)
  const page = await openBenchPage(browser, stack)
  const runs = { fast: [], stack: [], refFast: [] }
  try {
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' })
    for (let i = 0; i < opts.throughputRuns; i++) {
      process.stderr.write(`bench: ceiling run ${i + 1}/${opts.throughputRuns}\n`)
      runs.fast.push(await payWithBusy(page, cdp, peers.fast, amount))
      runs.stack.push(await payWithBusy(page, cdp, peers.stack, amount))
      runs.refFast.push((await referenceNode(['--mode', 'throughput', '--btp', peers.fast.btp, '--spsp', peers.fast.receiver, '--amount', String(amount)])).runs[0])
    }
  } finally {
    await page.close()
    await fast.stop()
  }
  const pps = (list) => median(list.map((r) => packets / (r.ms / 1000)))
  const busy = (list) => median(list.map((r) => r.busy))
  const f = { fast: pps(runs.fast), stack: pps(runs.stack), refFast: pps(runs.refFast) }
  const pct = (v) => `${(v * 100).toFixed(0)} %`
  const peerBusy = median(runs.fast.map((r) => r.peerBusy))
  printTable(['client, peer', 'packets/s (median)', 'runs (ms)', 'renderer busy during pay()', 'peer process CPU during pay()'], [
    ['ours (Chromium), fast peer', f.fast.toFixed(0), runs.fast.map((r) => r.ms.toFixed(0)).join(' '), pct(busy(runs.fast)), pct(peerBusy)],
    ['ours (Chromium), stack (connector)', f.stack.toFixed(0), runs.stack.map((r) => r.ms.toFixed(0)).join(' '), pct(busy(runs.stack)), ''],
    ['reference (Node), fast peer', f.refFast.toFixed(0), runs.refFast.map((r) => r.ms.toFixed(0)).join(' '), '', '']
  ])
  const method = `(${packets} fulfilled packets) / (pay() start to resolve) against bench/fast-peer.mjs, median of ${opts.throughputRuns}`
  return {
    rows: [
      { section: 'ceiling', figure: `pay ${amount} against a peer that answers at once`, unit: 'packets/s', ours: Math.round(f.fast), reference: Math.round(f.refFast), lowerIsBetter: false, method },
      { section: 'ceiling', figure: 'renderer main thread busy during pay(), fast peer', unit: '%', ours: Math.round(busy(runs.fast) * 100), lowerIsBetter: true, method: 'CDP TaskDuration delta around pay() / pay() wall time' },
      { section: 'ceiling', figure: 'fast peer process CPU during pay() (1 core = 100)', unit: '%', ours: Math.round(peerBusy * 100), method: 'process.cpuUsage() delta of bench/fast-peer.mjs / pay() wall time' },
      { section: 'ceiling', figure: 'renderer main thread busy during pay(), through the connector', unit: '%', ours: Math.round(busy(runs.stack) * 100), lowerIsBetter: true, method: 'same, against the stack (throughput section\'s path)' }
    ],
    details: { amount, packets, runs, packetsPerSecond: f }
  }
}
