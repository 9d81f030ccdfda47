#!/usr/bin/env bash
# purist's main job on the default store ($PURIST_ROOT, else ~/.local/share/purist):
# add the example sources, then show what the store knows of them.
set -euo pipefail
cd "$(dirname "$0")/.."
purist=${PURIST:-build/purist}

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

printf '\n\033[1m$ %s\033[0m\n' "$purist store add examples/src/hello"
src=$("$purist" store add examples/src/hello)
echo "$src"
step "$purist" store add --dry-run --store-dir /nix/store examples/src/hello
step "$purist" store info "$src"
step "$purist" store refs "$src"
step "$purist" store closure --size "$src"
step "$purist" store verify "$src"
