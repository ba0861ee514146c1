"""A consignment's journey: a deterministic chain against the hand count, route shares,
the fastest route spilling over, seasonal arrivals."""

from __future__ import annotations

import math

import pytest

from sim import calendar


def test_deterministic_chain_delivers_the_hand_count(run):
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


def test_route_shares_follow_the_file(run):
    rep = run("cargo_ferry.yaml", 0)
    x = rep.flows["china"].extra
    n = x["consignments_arrived"]
    sd = math.sqrt(0.6 * 0.4 / n)
    assert abs(x["route:via_aktau"] - 0.6) < 4 * sd
    assert x["route:via_aktau"] + x["route:via_kuryk"] == pytest.approx(1.0)


def test_fastest_route_spills_over_when_the_short_one_queues(run):
    """Trains every 3 h (8 a day); the short route passes 5 a day, the long one is 10 h longer
    and has room. Choosing the fastest expected route, about 5/8 go the short way and no queue
    grows without bound; with all on the short route the queue would grow by 3 trains a day."""
    rep = run("cargo_routes.yaml", 0)
    x = rep.flows["f"].extra
    assert 0.56 < x["route:short"] < 0.66
    assert rep.links["short_line"]["utilisation"] > 0.9
    assert rep.flows["f"].in_system < 40 * 1000  # a few days of trains, not a growing queue


def test_seasonal_arrivals_come_in_their_months(run):
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
