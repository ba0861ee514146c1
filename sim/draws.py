"""Samples of one distribution from one named stream, drawn in batches.

Asking NumPy for one number at a time costs about as much as a whole SimPy event; drawing 256
at once and handing them out through a C-level iterator keeps the model fast. The numbers
depend only on the stream and the order of requests, so a replication stays reproducible.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from sim.scenario.distributions import Deterministic, Distribution


class Draws:
    """The samples of `dist` from `rng`: `draws.next()` is the next one (canonical unit,
    hours for times), `draws.mean` the distribution's mean."""

    __slots__ = ("dist", "next")

    def __init__(self, dist: Distribution, rng: np.random.Generator, batch: int = 256):
        self.dist = dist
        if isinstance(dist, Deterministic):
            self.next: Callable[[], float] = itertools.repeat(dist.value).__next__
        else:
            batches = iter(lambda: dist.sample_many(rng, batch).tolist(), None)
            self.next = itertools.chain.from_iterable(batches).__next__

    @property
    def mean(self) -> float:
        return self.dist.mean
