"""Start-up cost of the command line: `corridor --help` and `corridor validate baseline-2023`
against a bare interpreter (`python -c pass`), in paired, interleaved runs in this process.

    python benchmarks/bench_startup.py [--repeats N]

Figures are the child processes' CPU seconds (user + system), median of N interleaved rounds,
each command's figure minus the bare interpreter's of the same round.
Targets: --help under 0.5 s of CPU on top of the interpreter; validate under 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "corridor --help": [sys.executable, "-m", "sim", "--help"],
    "corridor validate": [sys.executable, "-m", "sim", "validate", str(ROOT / "scenarios" / "baseline-2023.yaml")],
}
TARGETS = {"corridor --help": 0.5, "corridor validate": 1.5}


def cpu_of(args: list[str]) -> float:
    """CPU seconds of one child process, from the kernel's accounting of finished children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, capture_output=True, cwd=ROOT, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{args}: exit {done.returncode}\n{done.stderr.decode()}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}; "
          f"{args.repeats} interleaved rounds")
    for cmd in COMMANDS.values():  # warm the file cache and byte-code
        cpu_of(cmd)
    extra: dict[str, list[float]] = {name: [] for name in TARGETS}
    bare: list[float] = []
    for _ in range(args.repeats):
        base = cpu_of(COMMANDS["python -c pass"])
        bare.append(base)
        for name in TARGETS:
            extra[name].append(cpu_of(COMMANDS[name]) - base)
    print(f"python -c pass:      {statistics.median(bare):.3f} s CPU")
    for name, values in extra.items():
        med = statistics.median(values)
        print(f"{name + ':':20s} {med:.3f} s CPU on top of the interpreter "
              f"(min {min(values):.3f}, max {max(values):.3f}; target < {TARGETS[name]} s) "
              f"= {(med + statistics.median(bare)) / statistics.median(bare):.1f}x python -c pass")


if __name__ == "__main__":
    main()
