#!/usr/bin/env bash
# Runs the benchmarks (sim and its peers in one process) and keeps the output in
# target/bench.txt. The figures in docs/performance.md come from this command.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p sim-bench --bench runtime "$@" 2>&1 | tee target/bench.txt
if [ $# -eq 0 ]; then
  cargo run -q --release -p sim-bench --bin memory | tee -a target/bench.txt
  cargo run -q --release -p sim-bench --bin jobs | tee -a target/bench.txt
fi
