#!/usr/bin/env bash
# Side by side, in one run: purist's store hot paths against openssl, nix-hash and
# nix-store on the same 1 GiB tree in the page cache. Prints a Markdown report.
#   bench/store_compare.sh [BUILD_DIR]      (needs hyperfine and nix-bin: ./dev.sh bench)
# PURIST_BENCH_BYTES overrides the tree size.
set -euo pipefail
build=${1:-${PURIST_BUILD_DIR:-build}}
purist=$build/purist
bytes=${PURIST_BENCH_BYTES:-$((1 << 30))}
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# 1 GiB of incompressible data in 8 MiB files, like a tree of shared objects.
mkdir -p "$work/tree/lib"
files=$(( (bytes + (8 << 20) - 1) / (8 << 20) ))
for i in $(seq 1 "$files"); do head -c $((8 << 20)) /dev/urandom > "$work/tree/lib/f$i"; done
cat "$work"/tree/lib/* > /dev/null

median() { # hyperfine's median in seconds, from its JSON export
    python3 -c 'import json,sys; m = json.load(open(sys.argv[1]))["results"][0]["median"]; print(f"{m:.3f}")' "$1"
}
time_cmd() { # name, command...
    local name=$1; shift
    hyperfine --style none --warmup 1 --runs 5 --export-json "$work/$name.json" "$*" >/dev/null 2>&1
    median "$work/$name.json"
}
gbps() { python3 -c "print(f'{$bytes/$1/1e9:.2f}')"; }

echo "## Store: hashing, scanning and registration ($((bytes >> 20)) MiB tree, $(date -u +%F))"
echo
openssl_bps=$(openssl speed -evp sha256 -bytes 262144 -seconds 3 2>/dev/null |
              awk '/^sha256/ {v=$NF; sub(/k$/, "", v); print v * 1000}')
openssl_gbps=$(python3 -c "print(f'{$openssl_bps/1e9:.2f}')")
purist_hash=$(time_cmd purist-hash "$purist" store hash --format nix32 "$work/tree")
nix_hash=$(time_cmd nix-hash nix-hash --type sha256 --base32 "$work/tree")
echo "| what | median | throughput | ratio |"
echo "|---|---|---|---|"
echo "| openssl speed -evp sha256 (256 KiB blocks, one core) | — | ${openssl_gbps} GB/s | 1.00 |"
echo "| purist store hash (NAR + SHA-256) | ${purist_hash} s | $(gbps "$purist_hash") GB/s | $(python3 -c "print(f'{$bytes/$purist_hash/$openssl_bps:.2f}')") of openssl |"
echo "| nix-hash --type sha256 (Nix 2.8) | ${nix_hash} s | $(gbps "$nix_hash") GB/s | $(python3 -c "print(f'{$bytes/$nix_hash/$openssl_bps:.2f}')") of openssl |"

# Copy + hash + register, as a user adds sources (no scan in either tool).
chmod -R u+w "$work" 2>/dev/null || true
purist_add=$(time_cmd purist-add "rm -rf $work/proot; $purist --root $work/proot store add $work/tree")
nix_add=$(time_cmd nix-add "chmod -R u+w $work/nstore 2>/dev/null; rm -rf $work/nstore; NIX_REMOTE= nix-store --store $work/nstore --add $work/tree")
echo "| purist store add (copy, NAR hash, register) | ${purist_add} s | $(gbps "$purist_add") GB/s | $(python3 -c "print(f'{$nix_add/$purist_add:.2f}')")x nix-store |"
echo "| nix-store --add (same) | ${nix_add} s | $(gbps "$nix_add") GB/s | 1.00 |"
echo

# Peak memory: the same command on a tree four times smaller must not use less.
mkdir -p "$work/small/lib"
for i in $(seq 1 $(( (files + 3) / 4 ))); do cp "$work/tree/lib/f$i" "$work/small/lib/"; done
rss() { python3 -c 'import resource,subprocess,sys; subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"; }
echo "Peak RSS of \`purist store hash\`: $(rss "$purist" store hash "$work/small") KiB on $(du -sm "$work/small" | cut -f1) MiB, $(rss "$purist" store hash "$work/tree") KiB on $(du -sm "$work/tree" | cut -f1) MiB."
echo

echo "Google Benchmark (bench/store_bench, same machine, same run):"
echo
echo '```'
PURIST_BENCH_BYTES=$bytes "$build/bench/store_bench" --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true 2>/dev/null | grep -E '^(BM_|Benchmark|-)' | grep -v -E '_(mean|stddev|cv)'
echo '```'
