"""The spin-up: a run whose clock starts before 1 January measures a year that carries its
backlog in, so a stationary system's measured year is its long-run mean; started empty, the
same year loses the cargo that fills the pipeline, lambda x mean transit time."""

from __future__ import annotations

import numpy as np

from sim.replications import estimate
from tests.cargo.test_port import erlang_c_wait

LAM_T_H = 210.0  # cargo_mmc.yaml: 0.21 trains of 1000 t an hour
SEA_H = 20 * 24.0  # the sea leg below: 20 days, so the pipeline holds 5.7% of a year's cargo
# M/M/3 at utilisation 0.7 (three berths of 10 h), a long deterministic crossing, one year
STATIONARY = ("simulation.horizon=365 d", "simulation.warmup=0 d", "links.pq.transit=20 d")
REPS = 12


def _year(run, spinup: str) -> list:
    return [run("cargo_mmc.yaml", i, overrides=STATIONARY + (f"simulation.spinup={spinup}",))
            for i in range(REPS)]


def test_a_stationary_system_measures_its_long_run_mean_with_a_spin_up(run):
    """With 60 days of spin-up (three transit times), what the year delivers is what arrives in
    it: the difference is the change in the cargo in the system between 1 January and the end,
    which is zero on average. Started empty on 1 January (warm-up 0), the year instead delivers
    less by the pipeline's fill, lambda x E[transit] = 210 t/h x (Wq + 10 h + 480 h), to within
    the few tonnes the queue needs to reach its stationary wait."""
    gate_h = 1000 / (1000e6 / 8766)  # the sea link's 1000 Mt/yr passes a 1000 t train in 0.009 h
    transit_h = erlang_c_wait(lam=0.21, mu=0.1, c=3) + 10.0 + gate_h + SEA_H
    fill_t = LAM_T_H * transit_h  # 104 kt

    spun = _year(run, "60 d")
    gap = estimate([r.flows["f"].arrived - r.flows["f"].extra["delivered_t"] for r in spun])
    assert abs(gap.mean) <= gap.half_width, gap  # 0 within its 95% interval
    assert gap.half_width < 0.15 * fill_t  # sharp enough to see the fill if it were there
    # and the delivered rate is the arrival rate (Mt/yr) within its interval
    delivered = estimate([r.flows["f"].delivered for r in spun])
    assert abs(delivered.mean - LAM_T_H * 8766 / 1e6) <= delivered.half_width, delivered

    cold = _year(run, "0 d")
    lost = estimate([r.flows["f"].arrived - r.flows["f"].extra["delivered_t"] for r in cold])
    # the queue starts empty, so its first waits are shorter: at most lambda x Wq (1.1 kt) less
    assert fill_t - LAM_T_H * 6 - 2 * lost.half_width <= lost.mean <= fill_t + 2 * lost.half_width, (lost, fill_t)
    # the same seeds' years: the cold start delivers less, by about the fill (5.7% of a year)
    short = np.mean([a.flows["f"].extra["delivered_t"] - b.flows["f"].extra["delivered_t"]
                     for a, b in zip(spun, cold)])
    assert short > 0.5 * fill_t


def test_conservation_is_exact_with_a_spin_up_and_the_previous_year_s_demand(run):
    """Arrived = delivered + in the system + turned away, to the kilogram, counting the cargo
    that arrived during the spin-up; nothing before 1 January is in the daily series."""
    for i in range(3):
        rep = run("cargo_ferry.yaml", i, overrides=("simulation.horizon=120 d", "simulation.warmup=0 d",
                                                    "simulation.spinup=40 d", "flows.china.previous_rate=0.5 Mt/yr"))
        for fid, rec in rep.flows.items():
            x = rec.extra
            assert (x["arrived_total_kg"]
                    == x["delivered_total_kg"] + x["in_system_kg"] + x["turned_away_total_kg"]), (i, fid)
            assert x["arrived_total_kg"] > rec.arrived * 1000  # the spin-up's arrivals count in the total
        assert len(rep.series["delivered:china"]) == 120
        assert rep.series["delivered:china"].sum() <= rep.flows["china"].extra["delivered_total_kg"] / 1000


def test_the_previous_year_s_demand_arrives_before_1_january_by_hand(run):
    """cargo_deterministic: one 1000 t train every 10 h (100 t/h). With a 90 h spin-up at the
    previous year's 40 t/h (a train every 25 h), trains arrive at -65, -40 and -15 h; the next
    gap has gathered 15/25 of its train by hour 0 and finishes the rest at this year's rate,
    4 h later; then every 10 h: 4, 14, ..., 1004 h, 101 trains in the 1005 h year. Started
    empty, the year's trains come at 10, 20, ..., 1000 h: 100."""
    spun = run("cargo_deterministic.yaml", overrides=("simulation.spinup=90 h", "flows.f.previous_rate=40 t/h"))
    x = spun.flows["f"].extra
    assert x["consignments_arrived"] == 101
    assert x["arrived_total_kg"] == (3 + 101) * 1_000_000
    cold = run("cargo_deterministic.yaml")
    assert cold.flows["f"].extra["consignments_arrived"] == 100
    assert cold.flows["f"].extra["arrived_total_kg"] == 100 * 1_000_000


def test_same_seed_same_figures_with_a_spin_up(run):
    over = ("simulation.horizon=90 d", "simulation.spinup=30 d", "flows.china.previous_rate=0.8 Mt/yr")
    a = run("cargo_ferry.yaml", 1, overrides=over)
    b = run("cargo_ferry.yaml", 1, overrides=over)
    c = run("cargo_ferry.yaml", 1, overrides=over[:1])
    assert a.flows == b.flows and a.nodes == b.nodes and a.fleets == b.fleets and a.events == b.events
    assert all(np.array_equal(a.series[k], b.series[k]) for k in a.series)
    assert a.flows["china"].delivered != c.flows["china"].delivered  # the spin-up changed the year

