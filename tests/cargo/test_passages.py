"""Node-to-node passage times: consecutive nodes against the hand timetable of the
deterministic chain, additivity consignment by consignment, a split train reaching a node with
its last part, and origin to destination as the flow's transit time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sim.cargo.journey import Lot, Route
from sim.cargo.model import CargoModel, collect
from sim.network import Network
from sim.replications import Replication, Streams
from sim.scenario.loading import load_scenario

Done = list[tuple[Route, list[float]]]


def run_model(scenarios_dir, name: str, overrides: tuple[str, ...] = (), index: int = 0
              ) -> tuple[CargoModel, Replication, Done]:
    """One replication, with each consignment's node times (`reached`) as its last part was
    delivered after the warm-up, in delivery order."""
    s = load_scenario(scenarios_dir / name, list(overrides))
    m = CargoModel(s, Network(s), Streams(s.simulation.seed, index))
    done: Done = []
    deliver: Callable[[Lot], None] = m.traffic.deliver

    def watched(lot: Lot) -> None:
        deliver(lot)
        c = lot.consignment
        if c.kg_left == 0 and m.env.now >= m.warmup:
            done.append((lot.route, list(c.reached)))

    m.traffic.deliver = watched  # type: ignore[method-assign]
    m.start()
    m.env.run(until=m.horizon)
    rep = Replication(index)
    collect(m, rep)
    return m, rep, done


def hours(m: CargoModel, a: str, b: str) -> list[float]:
    """The passage hours a -> b in the order recorded (every one: fewer than the reservoir holds)."""
    r = m.passages[(a, b)]
    assert r.n == len(r.values)
    return r.values


def test_consecutive_passages_are_the_hand_timetable(scenarios_dir):
    """Train k (1000 t) leaves a at 10k h and reaches p 2.4 + 5 = 7.4 h later. Voyage n takes
    trains 2n-1 and 2n on board at 27.4 + 24(n-1) h and lands them at q 14 h later, so p -> q
    is 20 + 4n h for the first and 10 + 4n h for the second; q -> b is 0.024 + 3 h, plus 0.024
    h behind the first for the second. 41 voyages deliver 82 trains by 1005 h."""
    m, rep, _ = run_model(scenarios_dir, "cargo_deterministic.yaml")
    assert hours(m, "a", "p") == pytest.approx([7.4] * 82)
    assert hours(m, "p", "q") == pytest.approx([h for n in range(1, 42) for h in (20 + 4 * n, 10 + 4 * n)])
    assert hours(m, "q", "b") == pytest.approx([3.024, 3.048] * 41)
    days = rep.passages
    assert days[("a", "p")] == pytest.approx({"mean": 7.4 / 24, "p50": 7.4 / 24, "p95": 7.4 / 24, "n": 82})
    assert days[("p", "q")]["mean"] == pytest.approx(99 / 24)  # 15 + 4 * 21
    assert days[("q", "b")]["mean"] == pytest.approx(3.036 / 24)
    assert days[("q", "b")]["p95"] == pytest.approx(3.048 / 24)
    assert set(days) == {("a", "p"), ("a", "q"), ("a", "b"), ("p", "q"), ("p", "b"), ("q", "b")}


def test_a_split_train_reaches_a_node_with_its_last_part(scenarios_dir):
    """1500 t trains every 10 h on a 2000 t ferry: voyage 1 takes train 1 and 500 t of train 2
    at 27.4 h (lands 41.4 h); voyage 2, back at 51.4 h, takes train 2's other 1000 t (lands
    65.4 h). Train 2 reached p at 27.4 h and q only at 65.4 h: 38 h, not 14."""
    m, _, done = run_model(scenarios_dir, "cargo_deterministic.yaml", (
        "payload.train=1500 t", "flows.f.rate=150 t/h", "simulation.horizon=200 h"))
    (_, first), (_, second) = done[:2]
    assert first[:3] == pytest.approx([10.0, 17.4, 41.4])
    assert second[:3] == pytest.approx([20.0, 27.4, 65.4])
    assert hours(m, "p", "q")[:2] == pytest.approx([24.0, 38.0])
    assert 3.0 < second[3] - second[2] < 3.1  # the rail line q -> b after its last part landed


@pytest.mark.parametrize("name, index", [("cargo_ferry.yaml", 1), ("minimal.yaml", 0)])
def test_passages_add_up_consignment_by_consignment(scenarios_dir, name, index):
    """For every consignment and every three nodes a < b < c of its route,
    passage(a, c) = passage(a, b) + passage(b, c), none negative; and each pair's reservoir
    holds exactly those consignments' passages (a pair shared by routes gets each route's
    consignments in batches, so compared as sorted lists)."""
    m, _, done = run_model(scenarios_dir, name, ("simulation.horizon=200 d",), index)
    assert done
    expected: dict[tuple[str, str], list[float]] = {}
    for route, t in done:
        k = len(t)
        assert all(t[i] <= t[i + 1] for i in range(k - 1))
        for a in range(k):
            for b in range(a + 1, k):
                for c in range(b + 1, k):
                    assert t[c] - t[a] == pytest.approx((t[b] - t[a]) + (t[c] - t[b]), abs=1e-9)
        for i, j, _ in route.pairs:
            expected.setdefault((route.nodes[i], route.nodes[j]), []).append(t[j] - t[i])
    assert {p: sorted(r.values) for p, r in m.passages.items() if r.n} == \
        {p: sorted(v) for p, v in expected.items()}
    assert all(m.passages[p].n == len(v) for p, v in expected.items())


def test_origin_to_destination_is_the_flows_transit(scenarios_dir):
    """The same consignments, the same times: the passage from a flow's origin to its
    destination is its transit time when no other flow shares the pair (the M/M/c case
    delivers more consignments than a reservoir keeps, so its percentiles are of samples)."""
    for name in ("cargo_deterministic.yaml", "cargo_mmc.yaml"):
        s = load_scenario(scenarios_dir / name)
        _, rep, _ = run_model(scenarios_dir, name)
        for fid, flow in s.flows.items():
            if flow.carrier != "cargo":
                continue
            rec = rep.flows[fid]
            passage = dict(rep.passages[(flow.origin, flow.destination)])
            n = passage.pop("n")
            assert n == rec.extra["consignments_delivered"]
            assert passage["mean"] == pytest.approx(rec.transit_days["mean"], rel=1e-12)
            # percentiles: of every consignment up to the reservoirs' size, else of two samples
            assert passage == pytest.approx(rec.transit_days, rel=1e-12 if n <= 8192 else 1e-2)
