#!/usr/bin/env bash
# Builds the npm package into pkg/ (`make build`), then finishes it
# (scripts/finish-pkg.mjs: wasm-opt, minified glue, Node.js init, sizes).
#
#   scripts/build-pkg.sh [auto|stable|nightly]      (make build WASM_TOOLCHAIN=…)
#
#   stable   the toolchain scripts/setup.sh chose (first on PATH). Always works;
#            `make test` builds and tests this one.
#   nightly  rustup's nightly with rust-src: the standard library rebuilt for
#            the package (-Zbuild-std) with panics that abort at once
#            (-Cpanic=immediate-abort: no panic messages, locations or their
#            formatting reach the wasm) and no Debug formatting
#            (-Zfmt-debug=none). Smaller; behaviour is the same, since no path
#            the package takes panics on purpose. Its own target folder
#            (target/nightly), so the stable build's cache stays warm.
#   auto     nightly when it is installed with rust-src, else stable (default).
#
# The last line of finish-pkg's output says which one was built.
set -euo pipefail
cd "$(dirname "$0")/.."

choice=${1:-auto}
nightly_bin() {
  local rustc
  rustc=$(rustup which --toolchain nightly rustc 2>/dev/null) || return 1
  [ -d "$("$rustc" --print sysroot)/lib/rustlib/src/rust/library" ] || return 1
  dirname "$rustc"
}

if [ "$choice" = auto ]; then
  if nightly_bin >/dev/null; then choice=nightly; else
    choice=stable
    echo "build: no nightly toolchain with rust-src (rustup component add rust-src --toolchain nightly): building with stable"
  fi
fi

# The soft AES's compact form (aes 0.8: `--cfg aes_compact`): the round keys
# are not kept fixsliced and the rounds are not unrolled, for a smaller wasm at
# some cost per block (README, "Size, step by step").
COMPACT="--cfg aes_compact"

case $choice in
  stable)
    RUSTFLAGS="$COMPACT" wasm-pack -q build --release --target web --out-dir pkg
    ;;
  nightly)
    bin=$(nightly_bin) || { echo "build: WASM_TOOLCHAIN=nightly needs rustup's nightly toolchain with rust-src" >&2; exit 1; }
    # Legacy symbol mangling: wasm-bindgen names the JS glue's closure shims
    # after the Rust symbols, and v0 names (nightly's default) are far longer.
    PATH="$bin:$PATH" CARGO_TARGET_DIR=target/nightly CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
      RUSTFLAGS="$COMPACT -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Csymbol-mangling-version=legacy" \
      wasm-pack -q build --release --target web --out-dir pkg
    ;;
  *)
    echo "build: unknown toolchain '$choice' (auto, stable or nightly)" >&2
    exit 1
    ;;
esac
node scripts/finish-pkg.mjs "$choice"
