#!/usr/bin/env bash
# The README's two commands, and the benchmarks:
#   ./dev.sh demo    install what is missing, build, run purist's main job
#   ./dev.sh test    install what is missing, build, run every test suite
#   ./dev.sh bench   install what is missing, build, run the side-by-side benchmarks
# and two more steps CI runs after `test` (.ci/run), each in a build directory of its own:
#   ./dev.sh sanitize   every test suite again, built with ASan and UBSan (build-sanitize/)
#   ./dev.sh fuzz       every fuzz target of tests/fuzz for a while, with ASan and UBSan
#                       (build-fuzz/; PURIST_FUZZ_SECONDS per target, default 20)
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
build_dir=${PURIST_BUILD_DIR:-build}

# As root, builds run as members of the purist-build group (never as root), so the group
# and its users must exist; as another user, the sandbox maps the caller instead.
build_users() {
    if [ "$(id -u)" -eq 0 ]; then
        scripts/create-build-users.sh
    fi
}

build() {
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DPURIST_WERROR="${PURIST_WERROR:-OFF}" >/dev/null
    cmake --build "$build_dir" -j2
}

# A report aborts the test (-fno-sanitize-recover=all, halt_on_error); leaks count too.
# The sandbox helper and its builders fork, unshare and exec: detect_leaks stays on because
# LeakSanitizer only runs at a sanitized program's own exit.
# With a directory as $1, every report also goes to a file there (log_path): a report from a
# process whose exit status no test looks at (the sandbox helper ending with its socket, a
# child of a test) still fails the step, through sanitizer_reports.
sanitizer_env() {
    local log=${1:+:log_path=$1/report}
    export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1$log
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1$log
}

# Fails, printing them, if any sanitized process wrote a report into directory $1.
sanitizer_reports() {
    local reports
    reports=$(find "$1" -type f -name 'report*' 2>/dev/null)
    [ -z "$reports" ] && return 0
    echo "sanitizer reports:" >&2
    for report in $reports; do
        echo "--- $report" >&2
        cat "$report" >&2
    done
    return 1
}

case "$mode" in
demo)
    scripts/install-deps.sh build
    build_users
    build
    PURIST="$build_dir/purist" scripts/demo.sh
    ;;
test)
    scripts/install-deps.sh test
    build_users
    build
    # -j2: the machine has two cores; the slowest suites run namespaces and real builds.
    ctest --test-dir "$build_dir" --output-on-failure -j2
    ;;
bench)
    scripts/install-deps.sh bench
    build_users
    build
    PURIST_BUILD_DIR="$build_dir" bench/run-all.sh
    ;;
sanitize)
    scripts/install-deps.sh test
    build_users
    dir=${PURIST_SANITIZE_BUILD_DIR:-build-sanitize}
    # Static linking is off: the sanitizer runtimes must interpose malloc in a dynamic program.
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPURIST_SANITIZE=ON \
        -DPURIST_STATIC_DEPS=OFF -DPURIST_BUILD_BENCH=OFF >/dev/null
    cmake --build "$dir" -j2
    reports=$(realpath "$dir")/sanitizer-reports
    # 1777: tests run purist as other users too (uid 65534, the build users).
    rm -rf "$reports" && mkdir -p -m 1777 "$reports"
    sanitizer_env "$reports"
    status=0
    ctest --test-dir "$dir" --output-on-failure -j2 || status=$?
    sanitizer_reports "$reports" || status=1
    exit $status
    ;;
fuzz)
    scripts/install-deps.sh test
    dir=${PURIST_FUZZ_BUILD_DIR:-build-fuzz}
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
        -DPURIST_FUZZ=ON -DPURIST_STATIC_DEPS=OFF -DPURIST_BUILD_TESTS=OFF \
        -DPURIST_BUILD_BENCH=OFF >/dev/null
    cmake --build "$dir" -j2 --target fuzzers
    sanitizer_env
    tests/fuzz/run.sh "$dir/fuzz" "${PURIST_FUZZ_SECONDS:-20}"
    ;;
*)
    echo "usage: $0 demo|test|bench|sanitize|fuzz" >&2
    exit 2
    ;;
esac
