"""Speed of the cargo model against bare SimPy, in the same process.

    python benchmarks/bench_cargo.py [SCENARIO] [--repeats N]

Prints the simulated events per CPU second of the scenario's cargo model (default: the 2023
baseline) and of a bare SimPy loop of `timeout` events, their ratio (target: >= 0.40), and the
CPU seconds per simulated year (target: < 1 s). The model's time covers one whole replication
(building the corridor, running it, collecting the figures); the bare loop's covers its run.
Model and bare loop run in turn, repeat after repeat, so both see the same load on the machine:
each repeat gives a ratio, and the figures printed are medians over the repeats, with the
smallest and largest ratio to show the machine's noise.

The same run also times the completed model against the corridor-only model of the previous
round: the same scenario without its trucks, eastbound cargo, empties, background port traffic
and spin-up (`CORRIDOR_ONLY`, removed by overrides), interleaved repeat by repeat; the ratio
of their CPU per simulated year is the cost of completing the model (target: < 0.5 s CPU a
simulated year for the completed 2023 model).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import simpy

from sim.cargo.model import CountingEnvironment, simulate_cargo
from sim.scenario.loading import load_scenario
from sim.network import Network
from sim.replications import Streams

ROOT = Path(__file__).resolve().parent.parent
HOURS_PER_YEAR = 8766.0
# The 2023 baseline as the previous round modelled it: corridor flows only, starting empty.
CORRIDOR_ONLY = [
    *(f"flows.{f}=null" for f in ("caspian_trucks_west", "caspian_trucks_east", "turkmen_trucks_west",
                                  "turkmen_trucks_east", "eastbound_kz", "empty_wagons_east")),
    "nodes.aktau.port.traffic=null", "nodes.alat.port.traffic=null",
    "simulation.spinup=0 d", "simulation.warmup=30 d",
]


def bare_simpy(events: int, processes: int = 100) -> tuple[int, float]:
    """Events and CPU seconds of `processes` generators that only wait on timeouts."""
    env = CountingEnvironment()  # counts as the model's does, at the same cost

    def ticker(env: simpy.Environment):
        while True:
            yield env.timeout(1.0)

    for _ in range(processes):
        env.process(ticker(env))
    t = time.process_time()
    env.run(until=events / processes)
    cpu = time.process_time() - t
    return env.processed, cpu


def model(path: Path, index: int, overrides: list[str] | None = None) -> tuple[int, float, float]:
    """Events, CPU seconds and simulated hours of one cargo replication (building included)."""
    scenario = load_scenario(path, overrides or [])
    network = Network(scenario)
    t = time.process_time()
    rep = simulate_cargo(scenario, network, Streams(scenario.simulation.seed, index), index)
    cpu = time.process_time() - t
    sim = scenario.simulation
    return rep.events, cpu, sim.horizon.value + sim.spinup.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline-2023.yaml"))
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--no-before", action="store_true",
                        help="skip the corridor-only model (for scenarios other than the 2023 baseline)")
    args = parser.parse_args()

    runs, bare, before = [], [], []
    for i in range(args.repeats):  # interleaved, so all see the same load on the machine
        runs.append(model(Path(args.scenario), i))
        bare.append(bare_simpy(max(runs[-1][0], 100_000)))
        if not args.no_before:
            before.append(model(Path(args.scenario), i, CORRIDOR_ONLY))
    model_rates = [events / cpu for events, cpu, _ in runs]
    bare_rates = [events / cpu for events, cpu in bare]
    ratios = [m / b for m, b in zip(model_rates, bare_rates)]
    per_year = statistics.median(cpu / (hours / HOURS_PER_YEAR) for _, cpu, hours in runs)
    hours = runs[0][2]

    print(f"scenario            {Path(args.scenario).name} ({hours / 24:.0f} days simulated, "
          f"{args.repeats} repeats, medians)")
    print(f"cargo model         {statistics.median(r[0] for r in runs):>9,.0f} events  "
          f"{statistics.median(model_rates):>11,.0f} events/s")
    print(f"bare SimPy timeouts {statistics.median(b[0] for b in bare):>9,.0f} events  "
          f"{statistics.median(bare_rates):>11,.0f} events/s")
    print(f"ratio               {statistics.median(ratios):.3f}  (repeats {min(ratios):.3f}-"
          f"{max(ratios):.3f}; target >= 0.40)")
    print(f"CPU per sim. year   {per_year:.3f} s  (target < 0.5 s; simulated hours include the spin-up)")
    if before:
        old = statistics.median(cpu / (hours / HOURS_PER_YEAR) for _, cpu, hours in before)
        costs = [(c / h) / (oc / oh) for (_, c, h), (_, oc, oh) in zip(runs, before)]
        print(f"corridor-only model {old:.3f} s a simulated year; completed / corridor-only "
              f"{statistics.median(costs):.2f}x (repeats {min(costs):.2f}-{max(costs):.2f}x)")


if __name__ == "__main__":
    main()
