#!/usr/bin/env bash
# Runs the benchmarks (sim and its peers in one process) and keeps the output in
# target/bench.txt. The figures in docs/performance.md come from this command.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p sim-bench "$@" 2>&1 | tee target/bench.txt
