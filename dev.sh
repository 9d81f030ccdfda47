#!/usr/bin/env bash
# The README's two commands, and the benchmarks:
#   ./dev.sh demo    install what is missing, build, run purist's main job
#   ./dev.sh test    install what is missing, build, run every test suite
#   ./dev.sh bench   install what is missing, build, run the side-by-side benchmarks
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
build_dir=${PURIST_BUILD_DIR:-build}

build() {
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build_dir" -j2
}

case "$mode" in
demo)
    scripts/install-deps.sh build
    build
    PURIST="$build_dir/purist" scripts/demo.sh
    ;;
test)
    scripts/install-deps.sh test
    build
    # -j2: the machine has two cores; the slowest suites run namespaces and real builds.
    ctest --test-dir "$build_dir" --output-on-failure -j2
    ;;
bench)
    scripts/install-deps.sh bench
    build
    PURIST_BUILD_DIR="$build_dir" bench/run-all.sh
    ;;
*)
    echo "usage: $0 demo|test|bench" >&2
    exit 2
    ;;
esac
