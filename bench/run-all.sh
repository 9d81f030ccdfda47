#!/usr/bin/env bash
# Runs every side-by-side benchmark and prints their reports: the figures that
# docs/PERFORMANCE.md quotes. Slow (minutes); run as root on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${PURIST_BUILD_DIR:-build}
bench/store_compare.sh "$build"
bench/store_db_vs_nix.sh "$build" 5
bench/sandbox_bench.sh "$build" 20 5
RUNS=10 bench/build_bench.sh "$build/purist"
"$build/bench/checker_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
"$build/bench/reporters_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
