// Two builds of the package streaming side by side, for a before/after
// figure on a noisy machine: `node bench/idle-ab.mjs A B [--rounds N]
// [--seconds N]`, where A and B are package folders under the repository
// root (e.g. /target/bench/pkg-before/ and /pkg/). Each round measures A,
// then B, each in a fresh page streaming 100,000/s through one reference
// stack (bench/idle.mjs's measure: TaskDuration, ScriptDuration,
// ThreadTime, CPU profile, glue calls); the medians over the rounds are
// printed. Nothing is asserted.
import { measure } from './idle.mjs'
import { launchChromium, median, printTable, startStack } from './lib.mjs'

const args = process.argv.slice(2)
const flag = (name, d) => { const i = args.indexOf(name); return i < 0 ? d : Number(args.splice(i, 2)[1]) }
const rounds = flag('--rounds', 3)
const seconds = flag('--seconds', 10)
const pkgs = args.length === 2 ? args : null
if (!pkgs) throw new Error('usage: node bench/idle-ab.mjs A B [--rounds N] [--seconds N]')

const stack = await startStack(['--max-packet-amount', '1000', '--rate-limit', '1000000'])
const browser = await launchChromium()
try {
  const o = { btp: stack.info.btpUrl, receiver: stack.info.paymentPointerUrl, rate: 100_000 }
  const runs = pkgs.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (const [i, pkg] of pkgs.entries()) {
      runs[i].push(await measure(browser, stack, seconds,
        { fn: (o) => window.bench.ours.begin(o), arg: o }, { fn: () => window.bench.ours.end() }, pkg))
    }
  }
  const own = (p) => Object.entries(p.byOrigin).filter(([k]) => k.startsWith('ours')).reduce((n, [, v]) => n + v, 0)
  const script = (p) => Object.entries(p.byOrigin).filter(([k]) => !/^\((idle|program|root)\)$/.test(k)).reduce((n, [, v]) => n + v, 0)
  const m = (i, f) => median(runs[i].map(f)).toFixed(0)
  console.log(`\nmedians of ${rounds} rounds, ${seconds} s windows, ms/min (glue calls per message received)\n`)
  printTable(['package', 'TaskDuration', 'ScriptDuration', 'ThreadTime', 'profile: all script', 'profile: ours', 'glue calls/message'],
    pkgs.map((pkg, i) => [pkg, m(i, (x) => x.taskMsPerMin), m(i, (x) => x.scriptMsPerMin), m(i, (x) => x.threadMsPerMin),
      m(i, (x) => script(x.profile)), m(i, (x) => own(x.profile)), median(runs[i].map((x) => x.glue.perMessage)).toFixed(2)]))
} finally {
  await browser.close()
  await stack.stop()
}
