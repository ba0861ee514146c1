"""The cargo model against mathematics: queueing formulas, hand-computed timetables,
conservation and Little's law, on scenario files built for the purpose (tests/scenarios/cargo_*).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import calendar
from sim.cargo.model import simulate_cargo
from sim.scenario.loading import load_scenario
from sim.network import Network
from sim.replications import Replication, Streams, estimate

HERE = Path(__file__).parent / "scenarios"
ROOT = Path(__file__).parent.parent


def run(name: str, index: int = 0, overrides: tuple[str, ...] = (), trace=None,
        seed: int | None = None) -> Replication:
    scenario = load_scenario(HERE / name, list(overrides))
    seed = scenario.simulation.seed if seed is None else seed
    return simulate_cargo(scenario, Network(scenario), Streams(seed, index), index, trace=trace)


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c system (Erlang C)."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


# --- queueing theory --------------------------------------------------------------------------


@pytest.mark.slow
def test_berths_wait_as_erlang_c():
    """Poisson trains at three exponential berths wait as long as Erlang C says (M/M/3)."""
    expected = erlang_c_wait(lam=0.21, mu=0.1, c=3)  # 5.47 h
    waits = [run("cargo_mmc.yaml", i).nodes["p"]["wait_h_mean"] for i in range(6)]
    est = estimate(waits)
    # 95% CI of six independent ten-year replications, widened by 1.5 so that the test is not
    # a coin toss at the 5% level; still far tighter than a modelling error (one berth too
    # few, deterministic service, a wrong rate) would be: those move the wait by 40% or more.
    assert abs(est.mean - expected) <= 1.5 * est.half_width, (est, expected)
    assert est.half_width < 0.08 * expected  # the comparison is sharp enough to mean something


def test_berth_utilisation_is_offered_load_over_berths():
    """Busy berths / berths = lambda / (c mu) for any c-server queue (one replication)."""
    rep = run("cargo_mmc.yaml", 0, overrides=("simulation.horizon=1000 d",))
    assert rep.nodes["p"]["berth_utilisation"] == pytest.approx(0.21 / 0.3, rel=0.03)


def test_littles_law_on_port_queues():
    """L = lambda W on each port's and crossing's queue: the time-average number waiting
    (integrated as trains come and go) equals the arrival rate times the mean wait."""
    rep = run("cargo_ferry.yaml", 0)
    for node in ("aktau", "kuryk", "poti", "baku", "khorgos"):
        row = rep.nodes[node]
        assert row["arrivals"] > 300, node
        assert row["queue_mean"] == pytest.approx(row["arrival_rate_per_h"] * row["wait_h_mean"],
                                                  rel=0.02, abs=1e-3), node
    assert rep.nodes["aktau"]["queue_mean"] > 0.5  # a real queue, not an empty one


# --- hand-computed timetables -----------------------------------------------------------------


def test_deterministic_chain_delivers_the_hand_count():
    """A 1000 t train every 10 h; a 2-train ferry on a 24 h cycle is the bottleneck.

    Voyage n loads at 27.4 + 24(n-1) h (train 2 reaches the port at 27.4 h), then
    load 2 + cross 10 + unload 2 + rail 0.024 + 3 = 17.024 h to delivery, so by 1005 h
    voyages 1..41 have delivered 82 trains; 100 trains arrived (at 10, 20, ... 1000 h).
    """
    events: list[dict] = []
    rep = run("cargo_deterministic.yaml", trace=events.append)
    rec = rep.flows["f"]
    assert rec.extra["consignments_arrived"] == 100
    assert rec.extra["consignments_delivered"] == 82
    assert rec.in_system == pytest.approx(18 * 1000)
    assert rec.delivered == pytest.approx(82_000 / 1005 * 8766 / 1e6)
    assert rep.fleets["ships"]["voyages"] == 41
    delivered = [e for e in events if e["event"] == "delivered"]
    # train 1 arrived at 10 h, train 2 at 20 h; both delivered by voyage 1 (second waits
    # 0.024 h behind the first at the q-b gate)
    assert delivered[0]["t"] == pytest.approx(44.424)
    assert delivered[0]["transit_h"] == pytest.approx(34.424)
    assert delivered[1]["t"] == pytest.approx(44.448)
    assert delivered[2]["t"] == pytest.approx(44.424 + 24)


def test_cargo_landed_at_its_destination_leaves_the_yard():
    """A flow that ends at the ferry's far port is delivered as it is unloaded (at 41.4 + 24k
    h: 82 trains by 1005 h) and gives its yard room back, so a 5000 t yard never blocks the
    ferry, which would otherwise stop after two voyages. The yard holds each 2000 t load for
    the 2 h of unloading: a mean of 2000 * 2 * 41 / 1005 t."""
    rep = run("cargo_deterministic.yaml", overrides=("flows.f.destination=q",
                                                    "nodes.q.port.yard=5000 t"))
    assert rep.flows["f"].extra["consignments_delivered"] == 82
    assert rep.nodes["q"]["yard_t_max"] <= 2000
    assert rep.nodes["q"]["yard_t_mean"] == pytest.approx(2000 * 2 * 41 / 1005)


def test_max_wait_rule_sails_part_full():
    """5-train ferry, max wait 15 h after berthing; trains reach the quay at 17.4 + 10j h.
    It berths at 17.4 h (train 1) and sails at 32.4 h with 2 trains; back (14 h out, 10 h
    back) at 56.4 h it sails at 71.4 h with what came since, and so on every 39 h: takes at
    32.4 + 39k h. The seventh take (266.4 h) leaves every train that reached the quay by then
    (25), delivered 17.1 h later, before the 305 h horizon."""
    events: list[dict] = []
    rep = run("cargo_deterministic.yaml", trace=events.append, overrides=(
        "simulation.horizon=305 h", "fleets.ships.capacity=5000 t",
        "fleets.ships.departure={rule: when_full_or_max_wait, max_wait: 15 h}"))
    loadings = [e for e in events if e["event"] == "loading"]
    assert [e["t"] for e in loadings] == pytest.approx([32.4 + 39 * k for k in range(7)])
    quay = [17.4 + 10 * j for j in range(30)]
    takes = [32.4 + 39 * k for k in range(7)]
    counts = [sum(1 for t in quay if a < t <= b) for a, b in zip([0.0] + takes, takes)]
    assert [e["t_cargo"] for e in loadings] == [1000.0 * n for n in counts]  # 2, 4, 4, 4, 4, 4, 3
    assert rep.fleets["ships"]["voyages"] == 7
    assert rep.flows["f"].extra["consignments_arrived"] == 30
    assert rep.flows["f"].extra["consignments_delivered"] == sum(counts) == 25


def test_schedule_rule_sails_at_slots():
    """Sailings every 24 h: slots at 24, 48, ... 288 h (12 loaded departures by 305 h), each
    with the trains that reached the quay since the last; slot s delivers at s + 17.024 h, so
    slots up to 264 h deliver every train that reached the quay by then: 25 trains."""
    events: list[dict] = []
    rep = run("cargo_deterministic.yaml", trace=events.append, overrides=(
        "simulation.horizon=305 h", "fleets.ships.capacity=5000 t",
        "fleets.ships.departure={rule: schedule, interval: 24 h}"))
    assert rep.fleets["ships"]["voyages"] == 12
    assert rep.flows["f"].extra["consignments_delivered"] == 25
    loadings = [e["t"] for e in events if e["event"] == "loading"]
    assert loadings == pytest.approx([24.0 * k for k in range(1, 13)])


# --- accounting and reproducibility -----------------------------------------------------------


def test_conservation_in_every_replication():
    """Arrived = delivered + in the system, to the kilogram, for every flow and replication."""
    for i in range(4):
        rep = run("cargo_ferry.yaml", i, overrides=("simulation.horizon=200 d",))
        for fid, rec in rep.flows.items():
            x = rec.extra
            assert x["arrived_total_kg"] == x["delivered_total_kg"] + x["in_system_kg"], (i, fid)
            assert x["arrived_total_kg"] > 0
            assert rec.in_system == x["in_system_kg"] / 1000


def test_trains_are_split_between_ferries_and_still_conserved():
    """1500 t trains on 2500 t ferries: some trains cross on two vessels (more lots reach
    Poti than trains left China), yet every kilogram is accounted for."""
    rep = run("cargo_ferry.yaml", 1, overrides=("simulation.horizon=200 d",))
    trains = sum(r.extra["consignments_arrived"] for r in rep.flows.values())
    assert rep.nodes["poti"]["arrivals"] > 1.2 * trains * (170 / 200) * 0.9
    x = rep.flows["china"].extra
    assert x["arrived_total_kg"] == x["delivered_total_kg"] + x["in_system_kg"]


def test_same_seed_same_numbers_and_order_does_not_matter():
    a = run("cargo_ferry.yaml", 2, overrides=("simulation.horizon=120 d",))
    run("cargo_ferry.yaml", 0, overrides=("simulation.horizon=120 d",))  # something in between
    b = run("cargo_ferry.yaml", 2, overrides=("simulation.horizon=120 d",))
    c = run("cargo_ferry.yaml", 3, overrides=("simulation.horizon=120 d",))
    assert a.flows == b.flows
    assert a.nodes == b.nodes and a.links == b.links and a.fleets == b.fleets
    assert a.series.keys() == b.series.keys()
    assert all(np.array_equal(a.series[k], b.series[k]) for k in a.series)
    assert a.events == b.events
    assert a.flows["china"].delivered != c.flows["china"].delivered


def test_same_numbers_in_another_interpreter():
    """Nothing depends on string hashing or process state: a fresh interpreter with another
    hash seed produces the same figures and the same nodes in the same order."""
    code = ("from tests.test_cargo import run; r = run('cargo_ferry.yaml', 1, "
            "overrides=('simulation.horizon=60 d',)); "
            "print(repr((list(r.nodes), r.flows['china'].delivered, r.events)))")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": h})
             for h in ("1", "2")]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0] == outs[1] and outs[0].strip()


def test_adding_a_flow_leaves_the_weather_unchanged():
    """Each component draws from its own stream: a new flow does not move the storms."""
    base = run("cargo_ferry.yaml", 0, overrides=("simulation.horizon=200 d",))
    more = run("cargo_ferry.yaml", 0, overrides=(
        "simulation.horizon=200 d",
        "flows.extra={carrier: cargo, origin: kuryk, destination: europe, rate: 0.1 Mt/yr}"))
    assert base.series["closed:aktau"].sum() > 0
    assert np.array_equal(base.series["closed:aktau"], more.series["closed:aktau"])


# --- routes, seasonality, yards -----------------------------------------------------------------


def test_route_shares_follow_the_file():
    rep = run("cargo_ferry.yaml", 0)
    x = rep.flows["china"].extra
    n = x["consignments_arrived"]
    sd = math.sqrt(0.6 * 0.4 / n)
    assert abs(x["route:via_aktau"] - 0.6) < 4 * sd
    assert x["route:via_aktau"] + x["route:via_kuryk"] == pytest.approx(1.0)


def test_fastest_route_spills_over_when_the_short_one_queues(tmp_path: Path):
    """Trains every 3 h (8 a day); the short route passes 5 a day, the long one is 10 h longer
    and has room. Choosing the fastest expected route, about 5/8 go the short way and no queue
    grows without bound; with all on the short route the queue would grow by 3 trains a day."""
    rep = run("cargo_routes.yaml", 0)
    x = rep.flows["f"].extra
    assert 0.56 < x["route:short"] < 0.66
    assert rep.links["short_line"]["utilisation"] > 0.9
    assert rep.flows["f"].in_system < 40 * 1000  # a few days of trains, not a growing queue


def test_seasonal_arrivals_come_in_their_months():
    """Seasonality [1, 0, ..., 0] puts the whole year's trains in January, as many as without."""
    events: list[dict] = []
    factors = "[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"
    rep = run("cargo_deterministic.yaml", trace=events.append, overrides=(
        "simulation.horizon=730.5 d", "flows.f.rate=0.12 Mt/yr", f"flows.f.seasonality={factors}"))
    times = [e["t"] for e in events if e["event"] == "arrived"]
    assert all(t % calendar.HOURS_PER_YEAR <= calendar.MONTH_H + 1e-6 for t in times)
    # 120 trains a year at 6.0875 h apart inside January, two years
    assert len(times) in (239, 240)
    assert rep.flows["f"].extra["consignments_arrived"] == len(times)


def test_full_yard_holds_trains_outside():
    """A 3000 t yard at the quay never holds more than 3000 t; trains wait outside for room."""
    rep = run("cargo_ferry.yaml", 0, overrides=("simulation.horizon=200 d",
                                               "nodes.aktau.port.yard=3000 t"))
    aktau = rep.nodes["aktau"]
    assert aktau["yard_t_max"] <= 3000
    assert aktau["blocked_h_mean"] > 0
    assert rep.series["yard:aktau"].max() <= 3000


def test_baseline_scenario_runs_and_conserves():
    path = ROOT / "scenarios" / "baseline-2023.yaml"
    if not path.exists():
        pytest.skip("scenarios/baseline-2023.yaml not written yet")
    scenario = load_scenario(path)
    rep = simulate_cargo(scenario, Network(scenario), Streams(1, 0), 0)
    assert rep.flows and rep.events > 1000
    for rec in rep.flows.values():
        x = rec.extra
        assert x["arrived_total_kg"] == x["delivered_total_kg"] + x["in_system_kg"]
    days = math.ceil(scenario.simulation.horizon.value / 24)
    assert all(len(v) == days for k, v in rep.series.items() if k.startswith("queue:"))
