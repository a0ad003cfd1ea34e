// Benchmark section "size-steps": what each release-profile step buys.
//
// Builds the wasm once per profile variant (Cargo's CARGO_PROFILE_RELEASE_*
// overrides, each in its own target folder under target/size-steps/), runs
// wasm-bindgen on it, and measures .wasm + JS glue gzip. The last step adds
// wasm-opt -Oz, which is what `make build WASM_TOOLCHAIN=stable` ships; the one
// after it is the nightly build (scripts/build-pkg.sh), what `make build` ships
// where nightly is installed. Slow (one release build per step), so it runs
// only when asked: node bench/run.mjs --only size-steps
import { execFileSync } from 'node:child_process'
import { dirname } from 'node:path'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compressedSizes, kb, printTable, root, toolEnv } from './lib.mjs'

const FEATURES = [
  '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue'
]

const STEPS = [
  { name: 'cargo default release (opt 3, no LTO, 16 units)', env: { OPT_LEVEL: '3', LTO: 'false', CODEGEN_UNITS: '16' } },
  { name: '+ LTO', env: { OPT_LEVEL: '3', LTO: 'true', CODEGEN_UNITS: '16' } },
  { name: '+ one codegen unit', env: { OPT_LEVEL: '3', LTO: 'true', CODEGEN_UNITS: '1' } },
  { name: '+ opt-level "z"', env: { OPT_LEVEL: 'z', LTO: 'true', CODEGEN_UNITS: '1' } },
  { name: '+ wasm-opt -Oz (shipped by the stable build)', env: { OPT_LEVEL: 'z', LTO: 'true', CODEGEN_UNITS: '1' }, wasmOpt: true },
  { name: '+ nightly build-std, immediate-abort panics, no location or Debug text (shipped)', env: { OPT_LEVEL: 'z', LTO: 'true', CODEGEN_UNITS: '1' }, wasmOpt: true, nightly: true }
]

// The same flags as scripts/build-pkg.sh's nightly build.
function nightlyEnv (env) {
  const rustc = execFileSync('rustup', ['which', '--toolchain', 'nightly', 'rustc'], { encoding: 'utf8' }).trim()
  return {
    ...env,
    PATH: `${dirname(rustc)}:${env.PATH}`,
    CARGO_UNSTABLE_BUILD_STD: 'std,panic_abort',
    RUSTFLAGS: '--cfg aes_compact -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Csymbol-mangling-version=legacy'
  }
}

async function build (step, dir) {
  let env = toolEnv({ CARGO_TARGET_DIR: dir })
  if (step.nightly) env = nightlyEnv(env)
  for (const [k, v] of Object.entries(step.env)) env[`CARGO_PROFILE_RELEASE_${k}`] = v
  execFileSync('cargo', ['build', '-q', '--release', '--target', 'wasm32-unknown-unknown'], { cwd: root, env, stdio: 'inherit' })
  const out = join(dir, 'pkg')
  mkdirSync(out, { recursive: true })
  execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', out, join(dir, 'wasm32-unknown-unknown/release/ilp_stream_web.wasm')], { env, stdio: 'inherit' })
  // Every step drops the name and producer sections, so only code and data
  // are compared; only the last step also optimises.
  const wasm = join(out, 'measured.wasm')
  const level = step.wasmOpt ? '-Oz' : '-O0'
  execFileSync('wasm-opt', [level, ...FEATURES, '--strip-debug', '--strip-producers', join(out, 'ilp_stream_web_bg.wasm'), '-o', wasm], { env, stdio: 'inherit' })
  const w = await compressedSizes(readFileSync(wasm))
  const g = await compressedSizes(readFileSync(join(out, 'ilp_stream_web.js')))
  return { raw: w.raw + g.raw, gzip: w.gzip + g.gzip }
}

export async function sizeSteps () {
  const rows = []
  let previous = null
  for (const [i, step] of STEPS.entries()) {
    // Steps that differ only by wasm-opt share the build.
    const dir = join(root, 'target/size-steps', String(step.wasmOpt && !step.nightly ? i - 1 : i))
    const s = await build(step, dir)
    rows.push({
      section: 'size-steps',
      figure: step.name,
      unit: 'KB gzip (wasm + glue)',
      ours: Number((s.gzip / 1024).toFixed(1)),
      reference: null,
      method: `raw ${kb(s.raw)}; saves ${previous ? kb(previous - s.gzip) : '-'} gzip over the step before`
    })
    previous = s.gzip
  }
  console.log('size steps (each adds to the one above):')
  printTable(['step', 'wasm + glue', 'notes'], rows.map((r) => [r.figure, `${r.ours} KB gzip`, r.method]))
  return { rows, details: {} }
}
