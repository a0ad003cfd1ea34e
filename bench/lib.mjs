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

/** Prints rows (arrays of cells) as a Markdown-style table. */
export function printTable (header, rows) {
  const all = [header, ...rows].map((r) => r.map(String))
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)))
  const line = (r) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |'
  console.log(line(all[0]))
  console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|')
  for (const r of all.slice(1)) console.log(line(r))
}

/** Writes `value` to target/bench/<name>.json and returns the path. */
export async function writeResult (name, value) {
  const file = join(root, 'target/bench', `${name}.json`)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, JSON.stringify(value, null, 2) + '\n')
  return file
}

/** The shim ilp-protocol-stream 2.7.1 needs on Node 20 (the tests' own if present). */
export function streamShim () {
  const shared = join(root, 'tests/interop/shim.cjs')
  return existsSync(shared) ? shared : join(root, 'bench/shim.cjs')
}
