#!/usr/bin/env bash
# Runs every fuzz target in DIR for SECONDS each, starting from its seed corpus in
# tests/fuzz/corpus/<target> (read, never written: new inputs go to a scratch directory).
# Exits non-zero on the first crash, sanitizer report, leak, timeout or broken promise,
# leaving the input that caused it in tests/fuzz/crashes/ to be turned into a regression
# test. Usage: tests/fuzz/run.sh DIR [SECONDS]
set -euo pipefail
bin=$(realpath "$1")
cd "$(dirname "$0")"
seconds=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p crashes

status=0
for target in "$bin"/fuzz_*; do
    name=$(basename "$target")
    mkdir -p "$work/$name"
    start=$(date +%s)
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: one taking 2 GiB a blow-up.
    if "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="crashes/$name-" \
        "$work/$name" "corpus/$name" >"$work/$name.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$')
        echo "fuzz: $name: ok, ${runs:-?} inputs in $(($(date +%s) - start)) s"
    else
        echo "fuzz: $name: FAILED; its log:" >&2
        tail -60 "$work/$name.log" >&2
        status=1
    fi
done
exit $status
