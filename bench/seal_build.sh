#!/usr/bin/env bash
# A strict build that writes 1 GiB (128 files of 8 MiB) with the examples' sandbox-paths,
# so that its output is sealed (copied before registration), timed end to end with two
# purist binaries alternated: one without the copy and one with it.
#
#   bench/seal_build.sh PURIST_WITHOUT_COPY PURIST_WITH_COPY [ROUNDS]
#
# Each binary needs its purist-sandbox beside it. Every run starts with a fresh store root
# in a scratch directory, so the build really runs. Prints one line per run and the
# medians.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 PURIST_WITHOUT_COPY PURIST_WITH_COPY [ROUNDS]" >&2; exit 2; }
without=$1 with=$2 rounds=${3:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cat >"$scratch/big.yaml" <<'SPEC'
name: big
builder: /bin/sh
env: { PATH: /bin:/usr/bin }
args: [-c, 'mkdir $out && i=0 && while [ $i -lt 128 ]; do head -c 8388608 /dev/zero > $out/f$i || exit 1; i=$((i+1)); done']
SPEC
declare -A times
for ((round = 1; round <= rounds; round++)); do
    for variant in without with; do
        binary=$without
        [[ $variant == with ]] && binary=$with
        rm -rf "$scratch/root"
        sync
        t0=$(date +%s%N)
        "$binary" --root "$scratch/root" build --config "$here/examples/purist.yaml" \
            --no-out-link "$scratch/big.yaml" >/dev/null 2>"$scratch/err" ||
            { cat "$scratch/err" >&2; exit 1; }
        t1=$(date +%s%N)
        ms=$(((t1 - t0) / 1000000))
        times[$variant]+="$ms "
        echo "$variant copy: $ms ms (load $(cut -d' ' -f1 /proc/loadavg))"
    done
done
for variant in without with; do
    median=$(tr ' ' '\n' <<<"${times[$variant]}" | grep -v '^$' | sort -n |
        awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
    echo "$variant copy: median $median ms"
done
