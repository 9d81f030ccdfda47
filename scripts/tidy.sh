#!/usr/bin/env bash
# Runs clang-tidy-14 with the checks of .clang-tidy over every purist source file in the
# build's compile database (a build directory configured by ./dev.sh or cmake; the
# generated and third-party files are left out). Any warning fails the run.
#   scripts/tidy.sh [FILE...]     only these files (default: all of them)
# PURIST_BUILD_DIR names the build directory (default build/); -j from PURIST_TIDY_JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${PURIST_BUILD_DIR:-build}
tidy=${CLANG_TIDY:-clang-tidy-14}
command -v "$tidy" >/dev/null || scripts/install-deps.sh tidy
if [ ! -f "$build_dir/compile_commands.json" ]; then
    cmake -S . -B "$build_dir" >/dev/null
fi
if [ $# -gt 0 ]; then
    files=("$@")
else
    # Every translation unit of the project that this build compiles (not the fuzz targets,
    # which only a PURIST_FUZZ build has), each once.
    mapfile -t files < <(python3 -c '
import json, os, sys
seen = set()
for entry in json.load(open(sys.argv[1])):
    path = os.path.relpath(os.path.join(entry["directory"], entry["file"]))
    if not path.startswith(("..", sys.argv[2])) and path not in seen:
        seen.add(path)
        print(path)' "$build_dir/compile_commands.json" "$build_dir/")
fi
# The generated headers (base/version.h) must exist.
cmake --build "$build_dir" --target purist_base >/dev/null
jobs=${PURIST_TIDY_JOBS:-$(nproc)}
printf '%s\n' "${files[@]}" |
    xargs -P "$jobs" -n 4 "$tidy" -p "$build_dir" --quiet 2>&1 |
    grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' |
    tee "$build_dir/tidy.log" || true
# xargs's status is lost in the pipe: the log decides.
if grep -q -E 'warning:|error:' "$build_dir/tidy.log"; then
    echo "clang-tidy: $(grep -c -E 'warning:|error:' "$build_dir/tidy.log") findings (see $build_dir/tidy.log)" >&2
    exit 1
fi
echo "clang-tidy: ${#files[@]} files clean"
