//! The per-packet benchmark in the browser (wasm32, headless Chromium):
//!
//! ```sh
//! wasm-pack test --release --headless --chrome --test bench_web -- --nocapture
//! ```
//!
//! Runs the same sender path as `examples/packet_bench.rs` (from
//! `benches/packet_path/mod.rs`), timed with `performance.now()`, and logs
//! the median ns/packet for `bench/run.mjs` to read. It asserts only that
//! every packet went through (conditions matched, replies parsed), never a
//! time.
//!
//! `make test` runs it too, as a quick correctness check of 500 packets per
//! run; `bench/run.mjs` sets `PACKET_BENCH_ITERATIONS` at compile time for
//! the real measurement.
#![cfg(target_arch = "wasm32")]
#![allow(
    clippy::float_arithmetic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

#[path = "../benches/packet_path/mod.rs"]
mod packet_path;

use std::hint::black_box;

use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

use packet_path::Fixture;

wasm_bindgen_test_configure!(run_in_browser);

const RUNS: usize = 5;
/// Packets per timed run: `PACKET_BENCH_ITERATIONS` at compile time (the
/// native and Node benchmarks get the same count from `bench/run.mjs`).
const ITERATIONS: u64 = match option_env!("PACKET_BENCH_ITERATIONS") {
    Some(text) => parse_u64(text),
    None => 500,
};

const fn parse_u64(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut value = 0u64;
    let mut i = 0;
    while i < bytes.len() {
        let digit = bytes[i];
        assert!(
            digit.is_ascii_digit(),
            "PACKET_BENCH_ITERATIONS: not a number"
        );
        value = value * 10 + (digit - b'0') as u64;
        i += 1;
    }
    assert!(value > 0, "PACKET_BENCH_ITERATIONS must be at least 1");
    value
}

#[wasm_bindgen_test]
fn packet_path_per_packet_cost() {
    let performance = web_sys::window()
        .and_then(|w| w.performance())
        .expect("performance.now() is available");
    let mut fixture = Fixture::new().unwrap();
    black_box(fixture.run(0, ITERATIONS.div_ceil(10).max(100)).unwrap());

    let mut times_ms = Vec::with_capacity(RUNS);
    for run in 1..=RUNS as u64 {
        let start = performance.now();
        let totals = black_box(fixture.run(run * ITERATIONS, ITERATIONS).unwrap());
        times_ms.push(performance.now() - start);
        totals.check(ITERATIONS).unwrap();
    }
    times_ms.sort_by(f64::total_cmp);
    let median_ms = times_ms[RUNS / 2];
    let ns_per_packet = median_ms * 1e6 / ITERATIONS as f64;
    console_log!(
        "packet_bench wasm: {ns_per_packet:.1} ns/packet, {:.0} packets/s \
         (median of {RUNS} runs of {ITERATIONS} packets)",
        1e9 / ns_per_packet,
    );
}
