// Benchmark section "receipts": STREAM receipts verified per second by the
// package's ReceiptVerifier in Node, per store:
//
//   core only       decodeReceipt + verifyReceipt (the Rust checks), no store
//   memory          MemoryStore
//   sqlite          SqliteStore on a file in the temp folder (WAL, SQLite's default synchronous)
//   redis           RedisStore on a local redis-server (scripts/redis-service.mjs), one process
//   redis ×2        two processes, each verifying its own half, on the same Redis
//
// Each run verifies --receipts receipts (50 per nonce, growing totals, made beforehand
// with node:crypto) with 16 verify() calls in flight; receipts/s = receipts / seconds.
// Figures only, no assertions; one run each (2 shared cores: noisy).
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { printTable, root } from './lib.mjs'

const PER_NONCE = 50
const IN_FLIGHT = 16

async function loadPackage () {
  const pkg = await import(pathToFileURL(join(root, 'pkg/ilp_stream_web.js')))
  await pkg.default()
  const { SqliteStore } = await import(pathToFileURL(join(root, 'pkg/stores/sqlite.js')))
  const { RedisStore } = await import(pathToFileURL(join(root, 'pkg/stores/redis.js')))
  return { ...pkg, SqliteStore, RedisStore }
}

function makeReceipt (nonce, secret, total) {
  const b = Buffer.alloc(58)
  b[0] = 1
  Buffer.from(nonce, 'base64').copy(b, 1)
  b[17] = 1
  b.writeBigUInt64BE(total, 18)
  crypto.createHmac('sha256', Buffer.from(secret, 'base64')).update(b.subarray(0, 26)).digest().copy(b, 26)
  return b.toString('base64')
}

/** `count` receipts over count / 50 fresh nonces of `verifier`. */
async function receiptsFor (verifier, count, visitor) {
  const out = []
  for (let k = 0; out.length < count; k++) {
    const { nonce, secret } = await verifier.newNonce(`${visitor}-${k % 100}`)
    for (let i = 1; i <= PER_NONCE && out.length < count; i++) out.push(makeReceipt(nonce, secret, BigInt(i * 1000)))
  }
  return out
}

/** Verifies every receipt, IN_FLIGHT at a time; returns { ms, credited }. */
async function verifyAll (verifier, receipts) {
  let next = 0
  let credited = 0n
  const start = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < receipts.length) {
      const { increase } = await verifier.verify(receipts[next++])
      credited += increase
    }
  }))
  return { ms: performance.now() - start, credited }
}

function startRedis () {
  const proc = spawn(process.execPath, [join(root, 'scripts/redis-service.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`redis-service exited (code ${code})`)))
    createInterface({ input: proc.stdout }).once('line', (line) => {
      const { url } = JSON.parse(line)
      resolve({
        url,
        stop: () => new Promise((resolve) => {
          if (proc.exitCode !== null) return resolve()
          proc.once('exit', resolve)
          proc.kill('SIGTERM')
        })
      })
    })
  })
}

/** A worker process: `node bench/receipts.mjs --worker FILE` (FILE: {url, prefix, receipts}). */
async function worker (file) {
  const { url, prefix, receipts } = JSON.parse(await readFile(file, 'utf8'))
  const pkg = await loadPackage()
  const store = new pkg.RedisStore({ url, prefix })
  const verifier = new pkg.ReceiptVerifier({ store })
  await store.getNonce('AAAAAAAAAAAAAAAAAAAAAA==') // connected
  console.log(JSON.stringify({ ready: true }))
  await createInterface({ input: process.stdin })[Symbol.asyncIterator]().next()
  const { ms, credited } = await verifyAll(verifier, receipts)
  console.log(JSON.stringify({ ms, count: receipts.length, credited: String(credited) }))
  await store.close()
  process.exit(0)
}

async function twoRedisProcesses (pkg, url, count, dir) {
  const prefix = `bench:${crypto.randomBytes(4).toString('hex')}:`
  const store = new pkg.RedisStore({ url, prefix })
  const verifier = new pkg.ReceiptVerifier({ store })
  const halves = [await receiptsFor(verifier, count / 2, 'a'), await receiptsFor(verifier, count / 2, 'b')]
  await store.close()
  const procs = await Promise.all(halves.map(async (receipts, i) => {
    const file = join(dir, `worker-${i}.json`)
    await writeFile(file, JSON.stringify({ url, prefix, receipts }))
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', file], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]()
    const next = async () => JSON.parse((await lines.next()).value)
    await next() // ready
    return { proc, next }
  }))
  const start = performance.now()
  for (const p of procs) p.proc.stdin.write('go\n')
  const results = await Promise.all(procs.map((p) => p.next()))
  const ms = performance.now() - start
  return { ms, results }
}

export async function receipts (opts) {
  const count = opts.receipts
  console.log(`\n## receipts: ${count} receipts verified per store (${PER_NONCE} per nonce, ${IN_FLIGHT} in flight)\n`)
  const pkg = await loadPackage()
  const dir = await mkdtemp(join(tmpdir(), 'bench-receipts-'))
  const redis = await startRedis()
  const runs = []
  try {
    // The Rust checks alone, as the verifier calls them.
    {
      const v = new pkg.ReceiptVerifier({ store: new pkg.MemoryStore() })
      const n = await v.newNonce('core')
      const list = Array.from({ length: count }, (_, i) => makeReceipt(n.nonce, n.secret, BigInt(i + 1)))
      const check = (r) => {
        pkg.decodeReceipt(r)
        pkg.verifyReceipt(r, n.secret)
      }
      list.slice(0, 1000).forEach(check) // warm-up
      const start = performance.now()
      list.forEach(check)
      runs.push({ store: 'core only (decodeReceipt + verifyReceipt)', ms: performance.now() - start, count, sync: true })
    }
    const stores = [
      ['memory', () => new pkg.MemoryStore()],
      ['sqlite (file, WAL)', () => new pkg.SqliteStore({ filename: join(dir, 'bench.db') })],
      ['redis (1 process)', () => new pkg.RedisStore({ url: redis.url, prefix: `bench:${crypto.randomBytes(4).toString('hex')}:` })]
    ]
    for (const [name, make] of stores) {
      process.stderr.write(`bench: receipts ${name}\n`)
      const store = make()
      const verifier = new pkg.ReceiptVerifier({ store })
      const list = await receiptsFor(verifier, count, 'v')
      const { ms, credited } = await verifyAll(verifier, list)
      const expected = BigInt(count / PER_NONCE) * BigInt(PER_NONCE * 1000)
      if (credited !== expected) throw new Error(`receipts bench: ${name} credited ${credited}, expected ${expected}`)
      await store.close()
      runs.push({ store: name, ms, count })
    }
    process.stderr.write('bench: receipts redis x2\n')
    const two = await twoRedisProcesses(pkg, redis.url, count, dir)
    runs.push({ store: 'redis (2 processes, one Redis)', ms: two.ms, count, perProcess: two.results.map((r) => Math.round(r.count / (r.ms / 1000))) })
  } finally {
    await redis.stop()
    await rm(dir, { recursive: true, force: true })
  }
  const rate = (r) => Math.round(r.count / (r.ms / 1000))
  printTable(['store', 'receipts', 'ms', 'receipts/s', 'per process'],
    runs.map((r) => [r.store, r.count, r.ms.toFixed(0), rate(r).toLocaleString('en-US'), r.perProcess ? r.perProcess.join(' + ') : '']))
  return {
    rows: runs.map((r) => ({
      section: 'receipts',
      figure: `receipts verified, ${r.store}`,
      unit: 'receipts/s',
      ours: rate(r),
      lowerIsBetter: false,
      method: r.sync
        ? `${r.count} receipts through the two wasm calls, one after another, after 1000 warm-up; count / time`
        : r.perProcess
          ? `${r.count} receipts split over 2 Node processes on one redis-server, ${IN_FLIGHT} in flight each; count / wall time from a common start`
          : `${r.count} receipts, ${IN_FLIGHT} verify() in flight, one Node process; count / wall time`
    })),
    details: { runs }
  }
}

if (process.argv[2] === '--worker') await worker(process.argv[3])
