#!/usr/bin/env bash
# Installs everything the build, tests and demo need; idempotent and quick when
# everything is already there. Called by every Makefile target that needs it.
#
# What it provides:
#   - a Rust toolchain that can build wasm32-unknown-unknown
#       * rustup's own target where it is installed or can be added quickly;
#       * otherwise Debian's rustc-web with a wasm32 standard library built once
#         from Debian's shipped source (see README "Toolchain");
#   - wasm-bindgen-cli at exactly the version of wasm-bindgen in Cargo.lock,
#     and wasm-pack;
#   - Chromium and chromedriver (Debian packages) for the browser tests;
#   - redis-server (Debian's package) for the receipt store tests;
#   - ffmpeg (Debian) to generate the demo's media (scripts/make-media.mjs);
#   - the Node packages in package-lock.json (npm ci).
#
# It writes .cache/bin/ with links to the chosen tools; the Makefile puts that
# folder first on PATH so builds use that toolchain whatever else is on PATH.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache="$root/.cache"
bin="$cache/bin"
# Tools built once per machine live outside the checkout, so fresh clones reuse them.
tools="${ILP_STREAM_WEB_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/ilp-stream-web}"
mkdir -p "$bin" "$tools"

say() { printf 'setup: %s\n' "$*" >&2; }
# PATH without our own link folder, so a lookup never finds one of our links.
outer_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$bin" | paste -sd: -)
have() { PATH="$outer_path" command -v "$1" >/dev/null 2>&1; }
where() { PATH="$outer_path" command -v "$1"; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  have apt-get || { say "please install: ${missing[*]} (no apt-get here)"; exit 1; }
  if [ $apt_updated = 0 ]; then
    say "apt-get update"
    sudo_ apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "apt-get install ${missing[*]}"
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

link() { ln -sfn "$1" "$bin/$2"; }

# ---------------------------------------------------------------- Rust for wasm32
rust_wasm_ready() {
  # $1: directory holding cargo/rustc. Checks that the toolchain has a wasm32 std.
  local sysroot
  sysroot=$("$1/rustc" --print sysroot 2>/dev/null) || return 1
  ls "$sysroot"/lib/rustlib/wasm32-unknown-unknown/lib/libstd-*.rlib >/dev/null 2>&1
}

choose_rust() {
  # 1. A rustup toolchain that already has (or quickly gets) the wasm32 target.
  #    ILP_STREAM_WEB_TOOLCHAIN=debian skips this and takes Debian's route.
  if [ "${ILP_STREAM_WEB_TOOLCHAIN:-}" != debian ] && have rustup && have rustc; then
    local dir
    dir=$(dirname "$(rustup which rustc 2>/dev/null || echo /nonexistent/rustc)")
    if [ -x "$dir/rustc" ]; then
      if ! rust_wasm_ready "$dir" && [ -z "${ILP_STREAM_WEB_NO_RUSTUP_TARGET:-}" ] \
        && [ ! -e "$tools/rustup-target-failed" ]; then
        say "trying: rustup target add wasm32-unknown-unknown (20 s limit)"
        timeout 20 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 \
          || { say "rustup could not add the target here; using Debian's toolchain"; touch "$tools/rustup-target-failed"; }
      fi
      if rust_wasm_ready "$dir"; then
        for t in cargo rustc rustdoc cargo-clippy clippy-driver rustfmt cargo-fmt; do
          [ -x "$dir/$t" ] && link "$dir/$t" "$t"
        done
        return 0
      fi
    fi
  fi
  # 2. Debian's rustc-web, with a wasm32 std built from its source.
  apt_install rustc-web cargo-web rust-web-src rust-web-llvm rust-web-clippy rustfmt-web lld-22
  if ! rust_wasm_ready /usr/bin; then build_wasm_sysroot; fi
  for t in cargo rustc rustdoc cargo-clippy clippy-driver rustfmt cargo-fmt; do
    if [ -x "/usr/bin/$t" ]; then link "/usr/bin/$t" "$t"; fi
  done
}

# The smaller package build (scripts/build-pkg.sh nightly) needs rustup's nightly
# with rust-src. Optional: tried once per machine, 30 s at most; without it
# `make build` builds with stable and says so.
nightly_src() {
  have rustup || return 0
  local rustc
  rustc=$(rustup which --toolchain nightly rustc 2>/dev/null) || return 0
  [ -d "$("$rustc" --print sysroot)/lib/rustlib/src/rust/library" ] && return 0
  [ -e "$tools/nightly-src-failed" ] && return 0
  say "trying: rustup component add rust-src --toolchain nightly (30 s limit)"
  timeout 30 rustup component add rust-src --toolchain nightly >/dev/null 2>&1 \
    || { say "no rust-src for nightly here; make build will use stable"; touch "$tools/nightly-src-failed"; }
}

build_wasm_sysroot() {
  say "building the wasm32 standard library from Debian's source (once, about a minute)"
  local work="$tools/sysroot-build"
  rm -rf "$work"
  mkdir -p "$work/src"
  cat >"$work/Cargo.toml" <<'EOF'
[package]
name = "sysroot-seed"
version = "0.0.0"
edition = "2021"
[lib]
path = "src/lib.rs"
EOF
  echo '#![no_std]' >"$work/src/lib.rs"
  (cd "$work" && PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Cembed-bitcode=yes" \
    /usr/bin/cargo build -q --release --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort,test,proc_macro)
  local dest
  dest="$(/usr/bin/rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib"
  sudo_ mkdir -p "$dest"
  find "$work/target/wasm32-unknown-unknown/release/deps" -name 'lib*.rlib' ! -name 'libsysroot_seed-*' \
    -exec cp {} "$dest/" \;
  rm -rf "$work"
}

# ---------------------------------------------------------------- wasm-bindgen-cli, wasm-pack
lock_version() {
  # Version of package $1 in Cargo.lock.
  awk -v name="$1" '$1=="name" && $3=="\""name"\"" {getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock
}

install_cargo_tool() {
  # $1 crate, $2 version, $3 binary name
  local dir="$tools/$1-$2"
  if [ ! -x "$dir/bin/$3" ]; then
    say "cargo install $1 $2 (once per machine, a few minutes)"
    PATH="$bin:$PATH" cargo install -q "$1" --version "$2" --root "$dir" --locked 2>/dev/null \
      || PATH="$bin:$PATH" cargo install -q "$1" --version "$2" --root "$dir"
  fi
  for b in "$dir"/bin/*; do link "$b" "$(basename "$b")"; done
}

# ---------------------------------------------------------------- browsers, node
choose_browser() {
  if ! have chromium || ! have chromedriver; then apt_install chromium chromium-driver; fi
  link "$(where chromium)" chromium
  link "$(where chromedriver)" chromedriver
}

# ffmpeg generates the demo's and the media tests' video (scripts/make-media.mjs).
media_tools() {
  have ffmpeg || apt_install ffmpeg
}

node_packages() {
  have npm || apt_install nodejs npm
  # npm ci only when the lock changed since the last install.
  local stamp=node_modules/.setup-stamp
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    cp package-lock.json "$stamp"
  fi
}

main() {
  local want="${1:-all}"
  choose_rust
  [ -f Cargo.lock ] || PATH="$bin:$PATH" cargo generate-lockfile -q
  if [ "$want" = rust ]; then return 0; fi
  install_cargo_tool wasm-bindgen-cli "$(lock_version wasm-bindgen)" wasm-bindgen
  install_cargo_tool wasm-pack "${WASM_PACK_VERSION:-0.15.1}" wasm-pack
  nightly_src
  choose_browser
  apt_install redis-server
  media_tools
  node_packages
}

main "$@"
