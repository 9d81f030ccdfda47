#!/usr/bin/env bash
# purist's main job on the default store ($PURIST_ROOT, else ~/.local/share/purist):
# build the example package set in the strict sandbox, then check it. The app `hello`
# picks up the bootstrap tools through `libgreet`, which its checks forbid: its build
# fails and names the chain, the file and the byte offset of each hop. `hello-clean` is
# the same app without the leak; `libgreet` (no checks) builds, and a policy finds it.
# Runs from a source tree (scripts/demo.sh, with build/purist) or from an install
# (<prefix>/share/purist/scripts/demo.sh, with <prefix>/bin/purist); PURIST names another
# binary, PURIST_DEMO_DIR where the result links and reports go.
set -euo pipefail
caller=$PWD
cd "$(dirname "$0")/.."
if [ -n "${PURIST:-}" ]; then
    purist=$(realpath "$PURIST")
elif [ -x build/purist ]; then
    purist=$(realpath build/purist)
else
    purist=$(realpath ../../bin/purist)
fi
# Result links and reports go beside the build, where they can be opened afterwards; an
# installed purist's directory is no place for them: the caller's is.
if [ -n "${PURIST_DEMO_DIR:-}" ]; then
    out=$PURIST_DEMO_DIR
elif [ -f CMakeLists.txt ]; then # a source tree
    out=$(dirname "$purist")/demo
else
    out=$caller/purist-demo
fi
mkdir -p "$out"
out=$(realpath "$out")

step() {
    printf '\n\033[1m$ %s\033[0m\n' "$*"
    "$@"
}
# A step whose non-zero exit is the point (a finding); shown, not fatal.
finding() {
    printf '\n\033[1m$ %s\033[0m\n' "$*"
    local code=0
    "$@" || code=$?
    printf '(exit %d)\n' "$code"
}

step "$purist" build --config examples/purist.yaml --out-link "$out/result" \
    examples/hello-clean.yaml examples/libgreet.yaml
finding "$purist" build --config examples/purist.yaml --no-out-link examples/hello.yaml
step "$purist" store closure --size "$out/result-2"
finding "$purist" check --policy examples/policy.yaml "$out/result" "$out/result-2"
step "$purist" why "$out/result-2" bootstrap-tools-1.0
step "$purist" check --format sarif --output "$out/report.sarif" examples/hello-clean.yaml
finding "$purist" check --policy examples/policy.yaml --format html --output "$out/audit.html" \
    "$out/result" "$out/result-2"
step "$purist" store verify
echo
echo "Reports: $out/audit.html (open it in a browser), $out/report.sarif."
echo "The sandbox, the rules and the report formats: docs/. More examples: examples/README.md."
