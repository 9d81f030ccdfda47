#!/bin/sh
# 20 trivial builds end to end, one `purist build` each run (fresh store every run, so the
# store's creation is counted too): strict vs off, side by side in one hyperfine run with
# nix-build of 20 equally trivial derivations sandboxed and not, when Nix is installed.
# Per-build figures are the medians divided by 20. Run as root (build users) or as a
# user with unprivileged user namespaces.
#   usage: bench/build_bench.sh [PURIST_BINARY]     (default: build/purist)
set -eu

purist=$(realpath "${1:-build/purist}")
runs=${RUNS:-10}
work=$(mktemp -d)
# Unsandboxed builds run as a build user, who must be able to reach the store.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/specs"
for i in $(seq 1 20); do
    printf "name: trivial-%d\nbuilder: /bin/sh\nargs: [-c, 'echo %d > \$out']\n" "$i" "$i" \
        > "$work/specs/t$i.yaml"
done
cat > "$work/bench.nix" <<'NIX'
{ nonce }:
map (i: builtins.derivation {
  name = "trivial-${toString i}-${nonce}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" "echo ${toString i} > $out" ];
}) (builtins.genList (x: x) 20)
NIX

paths="/bin /usr /lib /lib64?"
build="$purist --root $work/root build --no-out-link --option sandbox-paths '$paths'"
set -- \
    --command-name "purist strict -j1" "$build --sandbox strict -j1 $work/specs/*.yaml" \
    --command-name "purist off -j1" "$build --sandbox off -j1 $work/specs/*.yaml" \
    --command-name "purist strict -j2" "$build --sandbox strict -j2 $work/specs/*.yaml"
if command -v nix-build >/dev/null; then
    # A fresh nonce each run: Nix, too, must build every time.
    nix="nix-build $work/bench.nix --no-out-link --argstr nonce \$(date +%s%N)"
    set -- "$@" \
        --command-name "nix-build sandbox -j1" \
        "$nix -j1 --option sandbox true --option sandbox-paths '/bin /usr /lib /lib64'" \
        --command-name "nix-build no sandbox -j1" "$nix -j1 --option sandbox false"
fi
hyperfine --warmup 1 --runs "$runs" --prepare "rm -rf $work/root" \
    --export-json "$work/result.json" "$@" >&2
# Medians, whole run and per build, with the mean CPU time (user + system) per build.
python3 - "$work/result.json" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
base = statistics.median(results[0]["times"])
print("| command | median, 20 builds | per build | CPU per build | vs purist strict |")
print("|---|---:|---:|---:|---:|")
for r in results:
    median = statistics.median(r["times"])
    cpu = (r["user"] + r["system"]) / 20
    print(f"| {r['command']} | {median * 1000:.0f} ms | {median / 20 * 1000:.1f} ms "
          f"| {cpu * 1000:.1f} ms | {median / base:.2f}x |")
PY
