"""Named random streams, replication records and the 95% interval."""

import numpy as np
import pytest
from scipy import stats

from sim.replications import Replication, Streams, estimate, t975
from sim.t_quantiles import T975


def test_a_stream_depends_only_on_seed_replication_and_name():
    a = Streams(7, 3)
    first = a.get("weather:caspian").random(5)
    b = Streams(7, 3)
    b.get("flow:china").random(100)  # another component drawing first changes nothing
    assert np.array_equal(b.get("weather:caspian").random(5), first)
    assert not np.array_equal(Streams(7, 4).get("weather:caspian").random(5), first)
    assert not np.array_equal(Streams(8, 3).get("weather:caspian").random(5), first)


def test_interval_is_the_student_t_interval():
    x = [1.0, 2.0, 4.0, 7.0]
    est = estimate(x)
    half = stats.t.ppf(0.975, 3) * np.std(x, ddof=1) / 2
    assert (est.mean, est.lo, est.hi) == pytest.approx((3.5, 3.5 - half, 3.5 + half))


def test_the_saved_t_quantiles_are_scipys_and_beyond_them_scipy_is_asked():
    from scipy import special

    assert len(T975) >= 200
    assert all(t975(df) == float(special.stdtrit(df, 0.975)) for df in range(1, len(T975) + 1))
    big = len(T975) + 7
    assert t975(big) == float(special.stdtrit(big, 0.975)) == pytest.approx(stats.t.ppf(0.975, big))


def test_interval_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    covered = sum(est.lo <= 10 <= est.hi for est in (estimate(rng.exponential(10, 30)) for _ in range(2000)))
    assert 0.91 < covered / 2000 < 0.97  # exponential samples of 30: t-interval slightly under 95%


def test_merging_two_engines_keeps_both_rows_of_a_shared_node():
    cargo = Replication(0, nodes={"aktau": {"wait_h_mean": 5.0}})
    oil = Replication(0, nodes={"aktau": {"storage_full_share": 0.1}})
    merged = cargo.merge(oil)
    assert merged.nodes["aktau"] == {"wait_h_mean": 5.0, "storage_full_share": 0.1}
