#!/usr/bin/env bash
# CI: makes the .deb (CPack), installs it into this machine with dpkg, runs the demo and a
# build with the installed purist and its installed helper, as root and as an unprivileged
# user, proves that the build tree's helper is never run, and removes the package again.
# It installs into /usr: run it as root on a throw-away machine (CI does), or pass --yes.
#   scripts/test-deb.sh [--yes]        PURIST_BUILD_DIR: the build directory (default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
build_dir=$(realpath -m "${PURIST_BUILD_DIR:-build}")

if [ "$(id -u)" -ne 0 ]; then
    echo "test-deb.sh: must run as root (it installs a package)" >&2
    exit 1
fi
if [ "${CI:-}" != true ] && [ "${1:-}" != --yes ]; then
    echo "test-deb.sh: installs purist into /usr and removes it again; on a machine of" \
        "your own, pass --yes" >&2
    exit 2
fi

step() { printf '\n== %s\n' "$*"; }
fail() {
    echo "test-deb.sh: FAILED: $*" >&2
    exit 1
}

# CPack reads the run-time dependencies off the binaries with dpkg-shlibdeps and file.
missing=()
command -v dpkg-shlibdeps >/dev/null || missing+=(dpkg-dev)
command -v file >/dev/null || missing+=(file)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

step "building the package"
[ -f "$build_dir/CPackConfig.cmake" ] || cmake -S . -B "$build_dir" >/dev/null
cmake --build "$build_dir" -j2 --target purist purist-sandbox purist_docs
rm -rf "$build_dir/package"
(cd "$build_dir" && cpack -G DEB -B "$build_dir/package" >/dev/null)
deb=$(ls "$build_dir"/package/purist_*.deb)
dpkg-deb --info "$deb"
depends=$(dpkg-deb --field "$deb" Depends)
# Third-party libraries are linked statically by default: the C library is all it needs.
if grep -q '^PURIST_STATIC_DEPS:BOOL=ON' "$build_dir/CMakeCache.txt"; then
    [[ $depends =~ ^libc6\ \(\>=\ [0-9.]+\)$ ]] || fail "Depends is '$depends', expected libc6 only"
fi
dpkg-deb --contents "$deb" | awk '{print $6}' | grep -q '^./usr/libexec/purist/purist-sandbox$' ||
    fail "the package has no /usr/libexec/purist/purist-sandbox"

# The build tree's helper is replaced by a decoy that leaves a mark and fails: it stays
# where an installed purist could have fallen back on it, executable and trusted (root's,
# mode 0755), so a run that uses it shows. The real one comes back at the end.
decoy_mark=$(mktemp -u /tmp/purist-decoy-ran.XXXXXX)
scratch=$(mktemp -d /tmp/purist-test-deb.XXXXXX)
chmod 0755 "$scratch"
restore() {
    if [ -f "$build_dir/purist-sandbox.real" ]; then
        mv -f "$build_dir/purist-sandbox.real" "$build_dir/purist-sandbox"
    fi
    if dpkg-query -W -f='${Status}' purist 2>/dev/null | grep -q 'install ok installed'; then
        dpkg --purge purist >/dev/null
    fi
    rm -rf "$scratch" "$decoy_mark"
}
trap restore EXIT
mv "$build_dir/purist-sandbox" "$build_dir/purist-sandbox.real"
printf '#!/bin/sh\ntouch %s\nexit 1\n' "$decoy_mark" >"$build_dir/purist-sandbox"
chmod 0755 "$build_dir/purist-sandbox"

step "installing $(basename "$deb")"
if dpkg-query -W -f='${Status}' purist 2>/dev/null | grep -q 'install ok installed'; then
    dpkg --purge purist
fi
dpkg -i "$deb"
[ "$(command -v purist)" = /usr/bin/purist ] || fail "purist is not /usr/bin/purist"
purist --version
getent group purist-build >/dev/null || fail "the postinst created no purist-build group"

step "the demo, as root, from the installed files (cwd: $scratch)"
(cd "$scratch" && PURIST_ROOT="$scratch/root" /usr/share/purist/scripts/demo.sh) ||
    fail "the demo failed"
[ -f "$scratch/purist-demo/audit.html" ] || fail "the demo wrote no report"

step "a build as an unprivileged user (nobody), in a user namespace"
mkdir "$scratch/nobody"
cp /usr/share/purist/examples/purist.yaml "$scratch/nobody/"
printf 'name: nobody-1.0\nbuilder: /bin/sh\nargs: [-c, "echo built > $out"]\n' \
    >"$scratch/nobody/spec.yaml"
chown -R nobody:nogroup "$scratch/nobody"
(cd "$scratch/nobody" && setpriv --reuid nobody --regid nogroup --clear-groups \
    env HOME="$scratch/nobody" purist --root "$scratch/nobody/root" build --config purist.yaml \
    --no-out-link spec.yaml) || fail "the unprivileged build failed"

step "the installed rule packs, man page and completions"
result=$(readlink -f "$scratch/purist-demo/result")
code=0
purist --root "$scratch/root" check --policy impure-paths --policy bootstrap-tools "$result" \
    >"$scratch/check.txt" || code=$?
[ "$code" -le 1 ] || fail "check --policy impure-paths exited $code: $(cat "$scratch/check.txt")"
grep -q '/usr/share/purist/rules/packs/impure-paths.yaml' "$scratch/check.txt" ||
    fail "check did not read the installed pack"
[ "$(man -w purist)" = /usr/share/man/man1/purist.1 ] || fail "man -w purist"
bash -c 'source /usr/share/bash-completion/completions/purist && complete -p purist' |
    grep -q _purist || fail "the bash completion does not register"
[ -f /usr/share/zsh/vendor-completions/_purist ] || fail "no zsh completion"

step "the build tree's helper was never run"
[ ! -e "$decoy_mark" ] || fail "an installed purist ran the build tree's helper"

step "removing the package"
dpkg --purge purist
[ ! -e /usr/bin/purist ] && [ ! -e /usr/libexec/purist ] && [ ! -e /usr/share/purist ] ||
    fail "files left after dpkg --purge"
echo "test-deb.sh: $(basename "$deb") installs, runs the demo and builds, and is removed"
