#!/usr/bin/env bash
# Installs, from Debian's packages, exactly what is missing for one purpose:
#   scripts/install-deps.sh build   what building purist needs
#   scripts/install-deps.sh test    that, plus what the test suites use
#   scripts/install-deps.sh bench   that, plus the tools the benchmarks compare against
#   scripts/install-deps.sh format  clang-format-14 (scripts/check-format.sh)
#   scripts/install-deps.sh tidy    clang-tidy-14 (scripts/tidy.sh)
# Idempotent: installs nothing (and does not touch apt) when everything is present.
set -euo pipefail

purpose=${1:-build}
build=(g++ cmake make pkg-config libsqlite3-dev libyaml-cpp-dev libre2-dev libssl-dev
       libseccomp-dev libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev)
# python3-jsonschema validates SARIF and rule files against their schemas; nix-bin and
# bubblewrap are the tools purist is checked against byte for byte and side by side;
# clang-14 and libclang-rt-14-dev (libFuzzer, the sanitizer runtimes) build tests/fuzz;
# zsh runs the generated zsh completion (install_e2e_test); chromium loads the HTML report
# headless and drives its search and filters (html_report_test).
test=(python3 python3-jsonschema libxml2-utils nix-bin bubblewrap iproute2 sqlite3 clang-14 libclang-rt-14-dev zsh
      chromium)
bench=(hyperfine)

case "$purpose" in
build) wanted=("${build[@]}") ;;
test) wanted=("${build[@]}" "${test[@]}") ;;
bench) wanted=("${build[@]}" "${test[@]}" "${bench[@]}") ;;
format) wanted=(clang-format-14) ;;
tidy) wanted=(clang-tidy-14) ;;
*) echo "usage: $0 build|test|bench|format|tidy" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
