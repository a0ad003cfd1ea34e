//! Per-packet cost of the sender's hot path, natively:
//!
//! ```sh
//! cargo run --release --example packet_bench -- --iterations 100000
//! ```
//!
//! Runs a warm-up, then five timed runs, and prints the median as ns/packet
//! and packets/s. `bench/run.mjs` runs it next to the wasm and Node figures.
//! The work per packet is described in `benches/packet_path/mod.rs`.

use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "../benches/packet_path/mod.rs"]
mod packet_path;

use packet_path::Fixture;

const RUNS: usize = 5;
const DEFAULT_ITERATIONS: u64 = 100_000;

fn main() -> Result<(), String> {
    let iterations = iterations()?;
    let mut fixture = Fixture::new()?;
    // Warm-up: caches, branch predictors, allocator.
    black_box(fixture.run(0, iterations.div_ceil(10).max(1_000))?);

    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    for run in 1..=RUNS as u64 {
        let start = Instant::now();
        let totals = black_box(fixture.run(run * iterations, iterations)?);
        times.push(start.elapsed());
        totals.check(iterations)?;
    }
    times.sort();
    let median = times.get(RUNS / 2).copied().unwrap_or_default();
    // Picoseconds per packet keep one decimal of ns without floats.
    let ps = median.as_nanos() * 1_000 / u128::from(iterations);
    let per_second = u128::from(iterations) * 1_000_000_000 / median.as_nanos().max(1);
    println!(
        "packet_bench native: {}.{} ns/packet, {per_second} packets/s \
         (median of {RUNS} runs of {iterations} packets)",
        ps / 1_000,
        ps % 1_000 / 100,
    );
    Ok(())
}

/// `--iterations N` from the command line.
fn iterations() -> Result<u64, String> {
    let mut args = std::env::args().skip(1);
    let mut iterations = DEFAULT_ITERATIONS;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--iterations" => {
                let value = args.next().ok_or("--iterations needs a number")?;
                iterations = value
                    .parse()
                    .map_err(|_| format!("--iterations: not a number: {value}"))?;
            }
            other => return Err(format!("unknown argument {other}; usage: --iterations N")),
        }
    }
    if iterations == 0 {
        return Err("--iterations must be at least 1".into());
    }
    Ok(iterations)
}
