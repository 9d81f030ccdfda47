#!/usr/bin/env bash
# Runs every side-by-side benchmark script and prints their Markdown reports, the figures
# that docs/PERFORMANCE.md quotes. Slow (minutes); run on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${PURIST_BUILD_DIR:-build}
for script in bench/*_compare.sh; do
    "$script" "$build"
    echo
done
