#!/usr/bin/env bash
# Runs the benchmarks and writes their tables into docs/performance.md (and the scaling chart
# into docs/images/scaling.svg). sim and its peers run interleaved in one process.
#
# madsim only exists under `--cfg madsim`, so the harness is built a second time with that
# flag in its own target dir (target/madsim); when that build works, that binary (which holds
# every peer, madsim included) produces the tables. Otherwise the plain build does, without
# madsim. Extra arguments go to the harness (e.g. `--quick`, `--only per_seed`).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
cargo build -q --release -p sim-bench --bin memory --bin jobs
if RUSTFLAGS="--cfg madsim" CARGO_TARGET_DIR=target/madsim \
  cargo build -q --release -p sim-bench --bin peers 2>target/madsim-build.log; then
  harness=target/madsim/release/peers
else
  echo "madsim did not build (see target/madsim-build.log); measuring without it" >&2
  cargo build -q --release -p sim-bench --bin peers
  harness=target/release/peers
fi
docs=()
if [ $# -eq 0 ]; then
  docs=(--docs docs/performance.md --svg docs/images/scaling.svg)
fi
"$harness" "${docs[@]}" "$@" | tee target/bench.txt
if [ $# -eq 0 ]; then
  target/release/memory | tee -a target/bench.txt
  target/release/jobs | tee -a target/bench.txt
fi
