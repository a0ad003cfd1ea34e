# ilp-stream-web: the two commands a user needs are `make demo` and `make test`.
# Every target installs what it is missing first (scripts/setup.sh).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The toolchain chosen by scripts/setup.sh comes first, whatever else is on PATH.
export PATH := $(CURDIR)/.cache/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CARGO_TERM_COLOR ?= never

WASM_TARGET := wasm32-unknown-unknown
CHROMEDRIVER = $(CURDIR)/.cache/bin/chromedriver
WITH = node scripts/with-services.mjs

.PHONY: help setup test lint unit browser interop types node build media demo doc bench fuzz clean

help:
	@echo "make demo   build the package and run the demo site (prints its URL)"
	@echo "make test   run every check and test (format, lints, native, browser, interop)"
	@echo "make build  build pkg/ (the npm package) in release mode, optimised"
	@echo "make bench  print the benchmark figures"
	@echo "make fuzz   run every fuzz target for FUZZ_SECONDS (default 60) each"

setup:
	@scripts/setup.sh

## Every test, in order; any failure fails the command. The package it tests
## is the stable toolchain's build (WASM_TOOLCHAIN below).
test: export WASM_TOOLCHAIN := stable
test: setup lint unit doc browser interop types node e2e crosscheck shipped

lint:
	cargo fmt --check
	cargo clippy -q --all-targets -- -D warnings
	cargo clippy -q --all-targets --target $(WASM_TARGET) -- -D warnings

unit:
	cargo test -q

doc:
	RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps

## The browser tests run as wasm in headless Chromium (wasm-bindgen-test-runner
## with chromedriver, as wasm-pack test does); --nocapture shows the figures the
## fault tests print per case.
browser: export WASM_BINDGEN_TEST_TIMEOUT = 120
browser: export CHROMEDRIVER := $(CHROMEDRIVER)
browser: export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER = wasm-bindgen-test-runner
browser:
	$(WITH) --echo --stack -- cargo test --target $(WASM_TARGET) --lib --test web --test payment_web --test faults_web --test data_web -- --nocapture

## The npm package's TypeScript declarations, used as a web developer would.
types: build
	tsc -p tests/types/tsconfig.json

## The npm package in Node.js (imported by name, init() without a bundler, ws as the
## WebSocket on Node 20) paying through the reference stack; the receipt verifier
## with each store (a throwaway redis-server for RedisStore).
node: build
	$(WITH) --stack --redis -- node --test tests/node/

interop:
	node --test tests/interop/stack-selftest.mjs

## Live cross-check against the reference npm libraries: their packets through
## our codecs (every field and the exact bytes), then ours through theirs.
.PHONY: crosscheck
crosscheck:
	mkdir -p target/interop
	node tests/interop/reference-packets.mjs target/interop/reference.json
	cargo run -q --example reference_crosscheck -- target/interop/reference.json target/interop/ours.json
	node tests/interop/verify-ours.mjs target/interop/ours.json

## WASM_TOOLCHAIN: auto (default: nightly if installed with rust-src, else
## stable), stable, or nightly (build-std with immediate-abort panics: smaller).
## It says which it built (scripts/build-pkg.sh).
WASM_TOOLCHAIN ?= auto
build: setup
	scripts/build-pkg.sh $(WASM_TOOLCHAIN)

## The build `make build` ships where nightly is installed (build-std, immediate-abort
## panics), paying through the stack in Node like the stable one above; skipped, and
## said so, where there is no nightly with rust-src. Leaves that build in pkg/.
.PHONY: shipped
shipped:
	@if rustup which --toolchain nightly rustc >/dev/null 2>&1 && [ -d "$$(rustup run nightly rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then \
	  scripts/build-pkg.sh nightly && $(WITH) --stack -- node --test tests/node/pay.test.mjs; \
	else echo "shipped: no nightly toolchain with rust-src here; the stable build above is what make build ships"; fi

## The demo's and the tests' video, generated once with ffmpeg into .cache/media/.
media: setup
	node scripts/make-media.mjs

demo: build media
	node www/server.mjs

## The demo site end to end in headless Chromium (needs pkg/), the attack suite against
## it, and its restart with each store (a throwaway redis-server for REDIS_URL).
.PHONY: e2e
e2e: build media
	$(WITH) --redis -- node --test tests/e2e/

## BENCH_ARGS, e.g. "--quick" or "--only size,throughput --pacing-seconds 10" (bench/run.mjs).
bench: build
	node bench/run.mjs $(BENCH_ARGS)

## Coverage-guided fuzzing of every decoder (cargo-fuzz, nightly); not part of
## `make test`, whose bounded random pass is tests/robustness_*.rs.
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

clean:
	rm -rf target pkg .cache
