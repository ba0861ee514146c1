"""Speed of the cargo model against bare SimPy, in the same process.

    python benchmarks/bench_cargo.py [SCENARIO] [--repeats N]

Prints the simulated events per CPU second of the scenario's cargo model (default: the 2023
baseline) and of a bare SimPy loop of `timeout` events, their ratio (target: >= 0.40), and the
CPU seconds per simulated year (target: < 1 s). Each figure is the best of several repeats, so
other work on the machine disturbs it less.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import simpy

from sim.cargo import events_processed, simulate_cargo
from sim.loading import load_scenario
from sim.network import Network
from sim.replications import Streams

ROOT = Path(__file__).resolve().parent.parent
HOURS_PER_YEAR = 8766.0


def bare_simpy(events: int, processes: int = 100) -> tuple[int, float]:
    """Events and CPU seconds of `processes` generators that only wait on timeouts."""
    env = simpy.Environment()

    def ticker(env: simpy.Environment):
        while True:
            yield env.timeout(1.0)

    for _ in range(processes):
        env.process(ticker(env))
    t = time.process_time()
    env.run(until=events / processes)
    cpu = time.process_time() - t
    return events_processed(env), cpu


def model(path: Path, index: int) -> tuple[int, float, float]:
    """Events, CPU seconds and simulated hours of one cargo replication (building included)."""
    scenario = load_scenario(path)
    network = Network(scenario)
    t = time.process_time()
    rep = simulate_cargo(scenario, network, Streams(scenario.simulation.seed, index), index)
    cpu = time.process_time() - t
    return rep.events, cpu, scenario.simulation.horizon.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline-2023.yaml"))
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    runs, bare = [], []
    for i in range(args.repeats):  # interleaved, so both see the same load on the machine
        runs.append(model(Path(args.scenario), i))
        bare.append(bare_simpy(max(runs[-1][0], 100_000)))
    events, cpu, hours = min(runs, key=lambda r: r[1] / r[0])
    model_rate = events / cpu
    bare_events, bare_cpu = min(bare, key=lambda r: r[1] / r[0])
    bare_rate = bare_events / bare_cpu
    per_year = min(r[1] / (r[2] / HOURS_PER_YEAR) for r in runs)

    print(f"scenario            {Path(args.scenario).name} ({hours / 24:.0f} days simulated)")
    print(f"cargo model         {events:>9,d} events  {model_rate:>11,.0f} events/s")
    print(f"bare SimPy timeouts {bare_events:>9,d} events  {bare_rate:>11,.0f} events/s")
    print(f"ratio               {model_rate / bare_rate:.2f}  (target >= 0.40)")
    print(f"CPU per sim. year   {per_year:.3f} s  (target < 1 s)")


if __name__ == "__main__":
    main()
