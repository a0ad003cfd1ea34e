// `make bench`: runs every benchmark section and prints its figures.
//
//   node bench/run.mjs [--iterations N] [section…]
//
// A section is a module in bench/ exporting an async function that prints
// its table and writes target/bench/<section>.json; add new ones (size,
// throughput, …) to `sections` below. Figures are printed, never asserted.
import { cpus } from 'node:os'
import { packet } from './packet.mjs'

const sections = { packet }

function options (argv) {
  const opts = { iterations: Number(process.env.BENCH_ITERATIONS ?? 100_000), only: [] }
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--iterations') opts.iterations = Number(argv[++i])
    else if (sections[argv[i]]) opts.only.push(argv[i])
    else throw new Error(`unknown argument ${argv[i]}; sections: ${Object.keys(sections).join(', ')}`)
  }
  if (!Number.isSafeInteger(opts.iterations) || opts.iterations < 1) throw new Error('--iterations N needs N >= 1')
  return opts
}

const opts = options(process.argv.slice(2))
console.log(`# ilp-stream-web benchmarks (${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version})`)
for (const name of opts.only.length ? opts.only : Object.keys(sections)) {
  await sections[name](opts)
}
