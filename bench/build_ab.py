#!/usr/bin/env python3
"""A/B comparison of purist binaries on 20 trivial builds, for changes whose effect is
smaller than this machine's drift: the variants run in alternation, ROUNDS times each,
each run on a fresh store, and each is reported with its median wall time and the mean
system-wide CPU time of its runs (busy jiffies from /proc/stat, 10 ms resolution).

  bench/build_ab.py ROUNDS NAME=PURIST_BINARY...     (MODE=strict|off, JOBS=1|2)

Each binary needs its purist-sandbox beside it (copy the two together)."""
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def busy_jiffies():
    fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return user + nice + system + irq + softirq


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rounds = int(sys.argv[1])
    variants = [arg.split("=", 1) for arg in sys.argv[2:]]
    mode, jobs = os.environ.get("MODE", "strict"), os.environ.get("JOBS", "1")
    work = tempfile.mkdtemp(prefix="purist-build-ab-")
    os.chmod(work, 0o755)  # unsandboxed builds run as a build user
    specs = []
    for i in range(1, 21):
        spec = os.path.join(work, f"t{i}.yaml")
        with open(spec, "w") as out:
            out.write(f"name: trivial-{i}\nbuilder: /bin/sh\nargs: [-c, 'echo {i} > $out']\n")
        specs.append(spec)
    root = os.path.join(work, "root")
    wall = {name: [] for name, _ in variants}
    cpu = {name: [] for name, _ in variants}
    try:
        for _ in range(rounds):
            for name, binary in variants:
                shutil.rmtree(root, ignore_errors=True)
                command = [binary, "--root", root, "build", "--no-out-link", "--option",
                           "sandbox-paths", "/bin /usr /lib /lib64?", "--sandbox", mode,
                           f"-j{jobs}"] + specs
                before, start = busy_jiffies(), time.perf_counter()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                wall[name].append(time.perf_counter() - start)
                time.sleep(0.05)  # let exiting processes finish on the other core
                cpu[name].append((busy_jiffies() - before) * 1000 / os.sysconf("SC_CLK_TCK"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, times in wall.items():
        median = statistics.median(times)
        print(f"{name:14s} median {median * 1000:7.1f} ms  per build {median * 50:5.2f} ms  "
              f"min {min(times) * 1000:7.1f} ms  system CPU {statistics.mean(cpu[name]):6.1f} ms")


if __name__ == "__main__":
    main()
