#!/usr/bin/env bash
# Per-build cost of purist's sandbox, side by side in one run with the tools a user would
# otherwise pick:
#
#   bench/sandbox_bench.sh [BUILD_DIR] [BUILDS] [ROUNDS]
#
# - `true` started directly (hyperfine -N): the floor;
# - sandbox_bench plain / off / strict: fork+exec+wait of /bin/true, runInSandbox with
#   isolate=false, runInSandbox strict (all namespaces, pivot_root, seccomp, /bin /lib
#   /lib64 /usr bind-mounted read-only); each prints the median of BUILDS builds;
# - bwrap --unshare-all with the same read-only /usr (hyperfine -N);
# - nix-build, sandboxed and not, when Nix is installed and we are root: one nix-build of
#   BUILDS distinct trivial derivations (fresh names, so each really builds), minus one
#   nix-build of a single one, divided by BUILDS-1: the marginal cost of one build
#   without Nix's start-up and evaluation.
#
# CPU ms is user+system time per build (hyperfine's mean; for sandbox_bench, all waited-for
# descendants over BUILDS): less sensitive than wall time to other load on the machine.
# Rounds alternate the tools so that load from other processes hits all of them alike;
# the figure reported for each is the median over rounds of its per-round median.
set -euo pipefail

build_dir=${1:-build}
builds=${2:-20}
rounds=${3:-3}
bench="$build_dir/bench/sandbox_bench"
[[ -x $bench ]] || { echo "no $bench; build the sandbox_bench target first" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

declare -A samples cpu_samples

add() { samples[$1]+="$2 "; }
add_cpu() { cpu_samples[$1]+="$2 "; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

hyperfine_run() { # NAME COMMAND...: records the median wall ms and mean CPU ms of BUILDS runs
    local name=$1; shift
    hyperfine -N --warmup 3 --runs "$builds" --export-json "$scratch/$name.json" "$*" >/dev/null 2>&1
    read -r wall cpu < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f %.3f" % (r["median"]*1000, (r["user"]+r["system"])*1000))' "$scratch/$name.json")
    add "$name" "$wall"
    add_cpu "$name" "$cpu"
}

purist_run() { # MODE: records sandbox_bench's median wall ms and CPU ms per build
    local line
    line=$("$bench" --mode "$1" --builds "$builds")
    add "$1" "$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$line")"
    add_cpu "$1" "$(sed -n 's/.*cpu_ms_per_build=\([0-9.]*\).*/\1/p' <<<"$line")"
}

bwrap_cmd=(bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin
           --symlink usr/lib /lib --symlink usr/lib64 /lib64 --proc /proc --dev /dev
           --tmpfs /tmp /bin/true)

have_nix=false
if [[ $(id -u) == 0 ]] && command -v nix-build >/dev/null; then have_nix=true; fi

nix_marginal() { # SANDBOX(true|false): marginal ms of one trivial build
    local sandbox=$1 nonce=$RANDOM$RANDOM
    local expr="n: builtins.genList (i: derivation { name = \"purist-bench-$nonce-\${toString n}-\${toString i}\"; system = builtins.currentSystem; builder = \"/bin/sh\"; args = [\"-c\" \": > \$out\"]; }) n"
    local opts=(--no-out-link --option substituters '' --option sandbox "$sandbox"
                --option sandbox-paths "/bin /lib /lib64 /usr" -j1)
    local t0 t1 t2
    t0=$(date +%s%N)
    nix-build "${opts[@]}" -E "($expr) 1" >/dev/null 2>&1
    t1=$(date +%s%N)
    nix-build "${opts[@]}" -E "($expr) $builds" >/dev/null 2>&1
    t2=$(date +%s%N)
    awk -v one=$((t1 - t0)) -v many=$((t2 - t1)) -v n="$builds" \
        'BEGIN { printf "%.3f\n", (many - one) / (n - 1) / 1e6 }'
}

for ((round = 1; round <= rounds; round++)); do
    hyperfine_run true true
    for mode in plain off strict; do purist_run "$mode"; done
    hyperfine_run bwrap "${bwrap_cmd[@]}"
    if $have_nix; then
        add nix-sandbox "$(nix_marginal true)"
        add nix-nosandbox "$(nix_marginal false)"
    fi
done

declare -A result cpu
for key in "${!samples[@]}"; do result[$key]=$(echo "${samples[$key]}" | median); done
for key in "${!cpu_samples[@]}"; do cpu[$key]=$(echo "${cpu_samples[$key]}" | median); done

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $builds builds x $rounds rounds"
printf '%-36s %10s %8s %8s  %s\n' "tool" "median ms" "x plain" "CPU ms" "per-round medians"
row() {
    [[ -n ${result[$1]:-} ]] || return 0
    printf '%-36s %10.3f %8.2f %8s  %s\n' "$2" "${result[$1]}" \
        "$(awk -v a="${result[$1]}" -v b="${result[plain]}" 'BEGIN { print a / b }')" \
        "${cpu[$1]:--}" "${samples[$1]}"
}
row true "true (hyperfine -N)"
row plain "fork+exec /bin/true (sandbox_bench)"
row off "purist off (isolate=false)"
row strict "purist strict"
row bwrap "bwrap --unshare-all"
row nix-nosandbox "nix-build, sandbox=false (marginal)"
row nix-sandbox "nix-build, sandbox=true (marginal)"
awk -v s="${result[strict]}" -v p="${result[plain]}" -v o="${result[off]}" \
    -v cs="${cpu[strict]}" -v cp="${cpu[plain]}" -v co="${cpu[off]}" 'BEGIN {
    printf "purist strict set-up per build (strict - plain): %.3f ms wall, %.3f ms CPU\n", s - p, cs - cp
    printf "purist off set-up per build (off - plain):       %.3f ms wall, %.3f ms CPU\n", o - p, co - cp }'
