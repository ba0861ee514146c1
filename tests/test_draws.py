"""Batched draws: the same numbers, in the same order, as drawing one at a time."""

from __future__ import annotations

import numpy as np

from sim.draws import Draws
from sim.scenario.distributions import Deterministic, Exponential


def test_batches_hand_out_the_streams_numbers_in_order():
    draws = Draws(Exponential(mean_=2.0), np.random.default_rng(7), batch=4)
    got = [draws.next() for _ in range(10)]  # across three batches
    rng = np.random.default_rng(7)
    want = np.concatenate([Exponential(mean_=2.0).sample_many(rng, 4) for _ in range(3)])[:10]
    assert got == want.tolist()
    assert draws.mean == 2.0


def test_a_deterministic_distribution_draws_nothing():
    rng = np.random.default_rng(7)
    draws = Draws(Deterministic(value=3.0), rng)
    assert [draws.next() for _ in range(3)] == [3.0, 3.0, 3.0]
    assert rng.random() == np.random.default_rng(7).random()  # the stream is untouched
