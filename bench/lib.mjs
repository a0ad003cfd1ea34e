// Helpers shared by the benchmark sections in bench/.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The environment for child processes: the project's toolchain first. */
export function toolEnv (extra = {}) {
  const path = [join(root, '.cache/bin'), join(root, 'node_modules/.bin'), process.env.PATH].join(':')
  return { ...process.env, PATH: path, CARGO_TERM_COLOR: 'never', ...extra }
}

/**
 * Runs `command args…` in the root, streaming its stderr through (build
 * progress) and returning its stdout; rejects on a non-zero exit.
 */
export function run (command, args, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: toolEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => { out += d })
    child.stderr.on('data', (d) => { err += d })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(out)
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${err.slice(-4000)}\n${out.slice(-4000)}`))
    })
  })
}

/** The first match of `re` in `text`, or an error naming what was expected. */
export function grab (text, re, what) {
  const m = re.exec(text)
  if (!m) throw new Error(`no ${what} in output:\n${text.slice(-2000)}`)
  return m
}

/** Prints rows (arrays of cells) as a Markdown-style table; the first `left` columns left-aligned. */
export function printTable (header, rows, left = 1) {
  const all = [header, ...rows].map((r) => r.map(String))
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)))
  const line = (r) => '| ' + r.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |'
  console.log(line(all[0]))
  console.log('|' + widths.map((w, i) => (i < left ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|')
  for (const r of all.slice(1)) console.log(line(r))
}

/** Writes `value` to target/bench/<name>.json and returns the path. */
export async function writeResult (name, value) {
  const file = join(root, 'target/bench', `${name}.json`)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, JSON.stringify(value, null, 2) + '\n')
  return file
}

/** The shim ilp-protocol-stream 2.7.1 needs on Node 20 (the network's own if present). */
export function streamShim () {
  const shared = join(root, 'network/shim.cjs')
  return existsSync(shared) ? shared : join(root, 'bench/shim.cjs')
}

/** Median of numbers (the mean of the middle two for an even count). */
export function median (values) {
  const s = [...values].sort((a, b) => a - b)
  if (!s.length) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Raw, gzip (level 9) and brotli (quality 11) sizes of `bytes`, in bytes. */
export async function compressedSizes (bytes) {
  const { gzipSync, brotliCompressSync, constants } = await import('node:zlib')
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
  }
}

/** Bytes as KB (1024) with one decimal. */
export const kb = (n) => `${(n / 1024).toFixed(1)} KB`

/**
 * Starts network/stack.mjs (serving the repository root, so the bench
 * page is /bench/web/index.html and the package /pkg/) and waits for its
 * ready line. Returns { info, stop() }; stop() sends SIGTERM and waits.
 */
export async function startStack (args = []) {
  const { createInterface } = await import('node:readline')
  const proc = spawn(process.execPath, [join(root, 'network/stack.mjs'),
    '--btp-port', '0', '--http-port', '0', '--serve-dir', root, ...args], {
    cwd: root, stdio: ['ignore', 'pipe', 'inherit']
  })
  const kill = () => { try { proc.kill('SIGKILL') } catch {} }
  process.on('exit', kill)
  const info = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout })
    proc.once('exit', (code) => reject(new Error(`stack exited early (code ${code})`)))
    rl.once('line', (line) => {
      try { resolve(JSON.parse(line)) } catch (err) { reject(err) }
    })
  })
  return {
    info,
    async get (path) {
      const res = await fetch(info.httpUrl + path, { headers: { authorization: `Bearer ${info.controlToken}` } })
      return res.json()
    },
    async stop () {
      process.off('exit', kill)
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise((resolve) => proc.once('exit', resolve))
      proc.kill('SIGTERM')
      const timer = setTimeout(kill, 8000)
      await exited
      clearTimeout(timer)
    }
  }
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
  '--no-first-run']

/** Headless Chromium (/usr/bin/chromium, or $CHROMIUM) through playwright-core. */
export async function launchChromium () {
  const { chromium } = await import('playwright-core')
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

/**
 * A fresh page on the bench page, once its wasm is instantiated
 * (window.bench); `pkg` is the package's folder under the root (default /pkg/).
 */
export async function openBenchPage (browser, stack, pkg = null) {
  const page = await browser.newPage()
  page.on('pageerror', (err) => process.stderr.write(`bench page error: ${err.message}\n`))
  await page.goto(`${stack.info.httpUrl}/bench/web/index.html${pkg ? `?pkg=${encodeURIComponent(pkg)}` : ''}`)
  await page.waitForFunction(() => window.bench !== undefined, null, { timeout: 60_000 })
  return page
}

/**
 * Runs bench/reference-client.mjs (the reference client in Node) with
 * `args`; resolves with the JSON object it prints.
 */
export async function referenceNode (args) {
  const out = await run('node', ['-r', streamShim(), 'bench/reference-client.mjs', ...args])
  return JSON.parse(out.trim().split('\n').pop())
}

/**
 * Runs bench/ours-node.mjs (our package in Node, from pkg/) with `args`;
 * resolves with the JSON object it prints.
 */
export async function oursNode (args) {
  const out = await run('node', ['bench/ours-node.mjs', ...args])
  return JSON.parse(out.trim().split('\n').pop())
}
