#!/usr/bin/env bash
# Runs every cargo-fuzz target for FUZZ_SECONDS seconds each (default 60),
# installing the nightly toolchain and cargo-fuzz first if they are missing.
# `make fuzz` calls this; `fuzz/run.sh ilp_packet btp_packet` runs only those.
# A crash stops the run; its input is under fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-60}"

command -v rustup >/dev/null || { echo "fuzz: needs rustup (for the nightly toolchain)" >&2; exit 1; }
rustup run nightly rustc --version >/dev/null 2>&1 \
  || rustup toolchain install nightly --profile minimal
# The Makefile puts .cache/bin (stable, no rustup proxy) first on PATH;
# cargo-fuzz needs nightly's cargo and rustc, so they go first here.
nightly_bin=$(dirname "$(rustup which --toolchain nightly rustc)")
export PATH="$nightly_bin:$HOME/.cargo/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
mkdir -p target
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds} s"
  log="target/$t.log"
  if ! cargo fuzz run "$t" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: $t failed; the input is in fuzz/artifacts/$t/, the log in fuzz/$log" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units)' "$log"
done
echo "fuzz: all targets ran ${seconds} s without a crash"
