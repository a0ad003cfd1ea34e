//! # ilp-stream-web
//!
//! Stream Interledger payments from a web page: a Rust core compiled to
//! WebAssembly that speaks ILPv4, BTP 2.0, IL-DCP, STREAM and SPSP.
//!
//! The protocol core is *sans-IO*: every codec and state machine takes bytes
//! and timestamps in and gives bytes and actions out. It never reads a clock,
//! never touches the network, never awaits, and never panics on bytes from a
//! peer. Only the `wasm` module (compiled for `wasm32` alone) knows about
//! WebSockets, timers, `fetch` and JavaScript.
//!
//! Layers, one module each, from the wire up:
//! - [`codec`]: the bounds-checked [`codec::Reader`] and the OER primitives
//!   every Interledger format is built from (RFC 30).
//! - [`ilp`]: ILPv4 Prepare / Fulfill / Reject, error codes, timestamps
//!   (RFC 27) and addresses (RFC 15).
//! - [`btp`]: BTP 2.0 packets, URLs and the client session with its auth
//!   handshake (RFC 23).
//! - [`ildcp`]: asking the connector for our address and asset (RFC 31).
//! - [`stream`]: STREAM packets, frames, crypto and the sending side of a
//!   connection with its control loops (RFC 29).
//! - [`spsp`]: payment pointers and SPSP responses (RFC 9, RFC 26).
//! - [`receipt`]: STREAM receipts (RFC 39).
//! - [`client`]: all of the above as one state machine, the paced payment
//!   stream the JavaScript `PaymentStream` drives.
//! - [`amount`], [`rand`]: amounts as text; the seeded generator for nonces.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod amount;
pub mod btp;
pub mod client;
pub mod codec;
pub mod ildcp;
pub mod ilp;
pub mod rand;
pub mod receipt;
pub mod spsp;
pub mod stream;
mod text;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

// The heap allocator in wasm: talc instead of the standard library's
// dlmalloc, about 6.9 KB smaller (2.8 KB gzip) for the same work (the crate
// measured by `bench/size-steps.mjs`). Single-threaded wasm only, as this
// package is.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

// The unit tests also run in headless Chromium (`make test`), so the core is
// checked as wasm too.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
