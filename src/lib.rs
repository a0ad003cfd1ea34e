//! # ilp-stream-web
//!
//! Stream Interledger payments from a web page: a Rust core compiled to
//! WebAssembly that speaks ILPv4, BTP 2.0, IL-DCP, STREAM and SPSP.
//!
//! The protocol core is *sans-IO*: every codec and state machine takes bytes
//! and timestamps in and gives bytes and actions out. It never reads a clock,
//! never touches the network and never panics on bytes from a peer. Only the
//! `wasm` module (compiled for `wasm32` alone) knows about WebSockets, timers
//! and JavaScript.
//!
//! Layers, one module each:
//! - [`codec`]: the OER primitives every Interledger format is built from (RFC 30).

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

#[cfg(target_arch = "wasm32")]
pub mod wasm;
