#!/bin/sh
# Garbage collection side by side, in one run: `purist store gc` against Nix 2.8's
# `nix-store --gc` on the same synthetic 100,000-path store (bench/store_db_bench.cc's
# generator, loaded into Nix with `nix-store --load-db`), with 100,000 roots keeping the
# first 50,000 paths (in build order; references only point backwards, so their closure is
# exactly them) and the other 50,000 dead. Roots: 50,000 symlinks and 50,000 regular files
# named after the store paths. Every store path is an empty file on disk.
# Measured separately: `--print-dead`, and a full collection (the store restored before
# each run). Per tool: the median of RUNS runs of wall time, user+system CPU time, and peak
# RSS (/usr/bin/time).
# Nix runs NIX_RUNS times (default 1), each stopped after NIX_TIMEOUT seconds (default 600):
# on this store Nix 2.8 needs more than ten minutes even for --print-dead, so its figure may
# be a lower bound ("did not finish").
# Usage: bench/gc_vs_nix.sh BUILD_DIR [RUNS]   (needs nix-store and GNU time)
set -eu
build=${1:?usage: $0 BUILD_DIR [RUNS]}
runs=${2:-3}
nixRuns=${NIX_RUNS:-1}
nixTimeout=${NIX_TIMEOUT:-600}
purist=$build/purist
for tool in nix-store /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is not on PATH" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/purist-gc-vs-nix-XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

"$build/bench/store_db_bench" --write-nix-dump="$work/dump" >/dev/null
"$build/bench/store_db_bench" --write-db="$work/purist.sqlite" >/dev/null
# Store paths in build order (the dump lists path, hash, size, deriver, count, refs...).
awk 'BEGIN { state = 0 }
     state == 0 { print; state = 1; next }
     state == 1 || state == 2 || state == 3 { state++; next }
     state == 4 { left = $1; state = (left > 0) ? 5 : 0; next }
     state == 5 { if (--left == 0) state = 0 }' "$work/dump" | sed 's|^/nix/store/||' >"$work/all"
head -n 50000 "$work/all" >"$work/live"
tail -n +50001 "$work/all" >"$work/dead"
echo "paths $(wc -l <"$work/all"), live $(wc -l <"$work/live"), dead $(wc -l <"$work/dead")"

nix="$work/nix"
nix-store --store "$nix" --load-db <"$work/dump"
proot="$work/purist"
mkdir -p "$proot/db" "$proot/store" "$proot/gcroots/links" "$proot/gcroots/named"
cp "$work/purist.sqlite" "$proot/db/db.sqlite"
mkdir -p "$nix/nix/var/nix/gcroots/links" "$nix/nix/var/nix/gcroots/named"
(cd "$nix/nix/store" && xargs touch <"$work/all")
(cd "$proot/store" && xargs touch <"$work/all")
for gcroots in "$nix/nix/var/nix/gcroots" "$proot/gcroots"; do
  python3 - "$gcroots" "$work/live" <<'PY'
import os, sys
gcroots, live = sys.argv[1], sys.argv[2]
for n, base in enumerate(open(live).read().split(), 1):
    open(f"{gcroots}/named/{base}", "w").close()
    os.symlink(f"/nix/store/{base}", f"{gcroots}/links/{n}")
PY
done
echo "roots $(find "$proot/gcroots" -type f -o -type l | wc -l)"
# Pristine copies, restored before each full collection.
cp -a "$nix/nix/var/nix/db" "$work/nix-db"
cp -a "$proot/db" "$work/purist-db"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

nixOpts="--option substituters ''"
measure() { # runs name command...: prints median wall, CPU and peak RSS
  n=$1; name=$2; shift 2
  : >"$work/times"
  i=0
  while [ "$i" -lt "$n" ]; do
    [ -n "${prepare:-}" ] && sh -c "$prepare"
    status=0
    /usr/bin/time -f '%e %U %S %M' -o "$work/t" timeout "$nixTimeout" sh -c "$*" \
      >"$work/out" 2>"$work/err" || status=$?
    if [ "$status" = 124 ]; then
      echo "$name: did not finish in $nixTimeout s (stopped; $(tail -n 1 "$work/t"))"
      return
    fi
    [ "$status" = 0 ] || { echo "$name failed:"; cat "$work/err"; exit 1; }
    cat "$work/t" >>"$work/times"
    i=$((i + 1))
  done
  runs_=$n
  printf '%-28s' "$name"
  sort -n -k1 "$work/times" | awk -v n="$runs_" '{ w[NR] = $1 } END { printf " wall %7.3f s", w[int((n + 1) / 2)] }'
  awk '{ print $2 + $3 }' "$work/times" | sort -n | awk -v n="$runs_" '{ c[NR] = $1 } END { printf "  cpu %7.3f s", c[int((n + 1) / 2)] }'
  sort -n -k4 "$work/times" | awk -v n="$runs_" '{ m[NR] = $4 } END { printf "  peak rss %6.1f MiB", m[int((n + 1) / 2)] / 1024 }'
  echo "  ($(wc -l <"$work/out") lines out)"
}

echo "== --print-dead (median of $runs)"
prepare=
measure "$runs" "purist store gc --print-dead" \
  "'$purist' --root '$proot' --store-dir /nix/store store gc --print-dead"
measure "$nixRuns" "nix-store --gc --print-dead" \
  "nix-store --store '$nix' $nixOpts --gc --print-dead"

restoreDead() { # the dead paths' files and the DB, as before a collection
  echo "rm -rf '$1/db' && cp -a '$2' '$1/db' && cd '$3' && xargs touch <'$work/dead'"
}
echo "== full collection (median of $runs; store restored before each run)"
prepare=$(restoreDead "$proot" "$work/purist-db" "$proot/store")
measure "$runs" "purist store gc" "'$purist' --root '$proot' --store-dir /nix/store store gc"
prepare="rm -rf '$nix/nix/var/nix/db' && cp -a '$work/nix-db' '$nix/nix/var/nix/db' && cd '$nix/nix/store' && xargs touch <'$work/dead'"
measure "$nixRuns" "nix-store --gc" "nix-store --store '$nix' $nixOpts --gc"
echo "after: purist store $(ls "$proot/store" | wc -l) paths, nix store $(ls "$nix/nix/store" | grep -vc '^\.links$') paths"
