//! Unit tests of the Sender alone: a hand-driven receiver answers its
//! Prepares, so each test reads as the packets a real path would return.

use super::*;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
fn placeholder_compiles() {}
