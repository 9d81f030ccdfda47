#!/bin/sh
# Side by side, in one run: purist's store DB (bench/store_db_bench.cc) against Nix 2.8
# (`nix-store --load-db`, `-qR`, `--referrers-closure` on a chroot store) and the sqlite3
# shell (a recursive CTE on purist's DB), all on the same synthetic 100,000-path store.
# Usage: bench/store_db_vs_nix.sh BUILD_DIR [RUNS]   (needs nix-store, sqlite3, hyperfine)
set -eu
build=${1:?usage: $0 BUILD_DIR [RUNS]}
runs=${2:-5}
bench=$build/bench/store_db_bench
for tool in nix-store sqlite3 hyperfine; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is not on PATH" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/purist-store-db-vs-nix-XXXXXX")
trap 'rm -rf "$work"' EXIT

"$bench" --write-nix-dump="$work/dump" >"$work/info"
"$bench" --write-db="$work/purist.sqlite" >/dev/null
biggest=$(awk '/^biggest/ {print $2}' "$work/info")
glibc=$(awk '/^glibc/ {print $2}' "$work/info")
cat "$work/info"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== purist (store_db_bench, median of $runs)"
"$bench" --benchmark_repetitions="$runs" --benchmark_report_aggregates_only=true \
  --benchmark_filter='BM_RegisterFresh|BM_QueryClosure|BM_QueryReferrersClosure|BM_ClosureSizes'

echo "== Nix 2.8: registering the same store (nix-store --load-db into a fresh chroot store)"
hyperfine --runs 3 --prepare "rm -rf '$work/nix'" \
  "nix-store --store '$work/nix' --load-db < '$work/dump'"
rm -rf "$work/nix"
nix-store --store "$work/nix" --load-db <"$work/dump"

echo "== Nix 2.8: closure of the biggest path, referrers-closure of glibc"
hyperfine --runs 3 \
  "nix-store --store '$work/nix' -qR '$biggest' > /dev/null" \
  "nix-store --store '$work/nix' -q --referrers-closure '$glibc' > /dev/null"

echo "== sqlite3 shell: the same walks as one recursive CTE on purist's DB"
hyperfine --runs "$runs" \
  "sqlite3 -readonly '$work/purist.sqlite' \"with recursive c(id) as (select id from ValidPaths where path = '$biggest' union select Refs.reference from Refs join c on Refs.referrer = c.id) select ValidPaths.path from c join ValidPaths on ValidPaths.id = c.id\" > /dev/null" \
  "sqlite3 -readonly '$work/purist.sqlite' \"with recursive c(id) as (select id from ValidPaths where path = '$glibc' union select Refs.referrer from Refs join c on Refs.reference = c.id) select ValidPaths.path from c join ValidPaths on ValidPaths.id = c.id\" > /dev/null"
