//! The browser shell: the only code that knows about JavaScript.
//!
//! Compiled for `wasm32` alone. Each export translates between JavaScript
//! values and the sans-IO core; no protocol decision is made here.

use wasm_bindgen::prelude::wasm_bindgen;

/// The version of this package, as in its `package.json`.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
