"""Replications: independent seeded streams, per-replication records, and their summaries.

Each stochastic component draws from its own stream, keyed by the replication index and the
component's name (`streams.get("weather:caspian")`), so results do not depend on execution
order or worker count, and adding a component to a scenario does not shift any other
component's random numbers (common random numbers across scenario variants).

Memory bounded by the system. A replication arrives with its arrays: daily series (one value a
day of the horizon) and, for power and data, the delivered rate each hour. `Collector` reduces
each one as it arrives (in the parent process, in any order): its scalar figures are packed into
one float64 array with a layout (`Packed`, unpacked into a `Replication` again on reading, every
figure bit for bit) whose parts and rows are shared with the replications before it (a
replication that saw one more passage shares every other row); its daily series are
folded, in replication order, into a `SeriesSummary` (the mean per point and the series of at
most `SAMPLE` replications for percentiles); its hourly arrays are dropped once the targets have
been measured from them (`Replication.measured`, by the caller), except in the first
replication, which the report draws. The month series (`month:*`, twelve numbers) stay in the
scalar record. Kept per replication is then a few kilobytes of scalars, whatever the horizon.
`series` chooses what else is kept: "summary" (the default), "all" (also every replication's
daily and hourly arrays, streamed to `.npz` files in a temporary folder and read back on
demand: `sim.report.frames.series` by replication), or "none" (no daily series at all).
"""

from __future__ import annotations

import hashlib
import math
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, overload

import numpy as np

from sim.t_quantiles import T975


def _key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


class Streams:
    """Random generators for one replication, one per named component."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        if name not in self._cache:
            ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, _key(name)))
            self._cache[name] = np.random.Generator(np.random.PCG64(ss))
        return self._cache[name]


@dataclass
class FlowRecord:
    """What one flow did in one replication (statistics exclude the warm-up)."""

    carrier: str
    unit: str
    delivered: float  # annualised rate in the carrier's unit (Mt/yr, GW average, Tbps average)
    arrived: float = 0.0  # tonnes (cargo/oil) that entered during the measured period
    in_system: float = 0.0  # tonnes still in the network at the end
    transit_days: dict[str, float] = field(default_factory=dict)  # mean, p50, p95
    hourly: np.ndarray | None = None  # delivered rate each hour (power, data), for firm targets
    extra: dict[str, float] = field(default_factory=dict)
    # power: what the flow's paths could carry each hour with unlimited supply and this replication's
    # outages (float32), for transmission targets; dropped with `hourly` once the targets are measured
    transfer: np.ndarray | None = None


@dataclass
class Replication:
    """Everything measured in one replication: per flow, per link, per node, daily series."""

    index: int
    flows: dict[str, FlowRecord] = field(default_factory=dict)
    links: dict[str, dict[str, float]] = field(default_factory=dict)  # utilisation, availability, ...
    nodes: dict[str, dict[str, float]] = field(default_factory=dict)  # waits, queues, closed days
    fleets: dict[str, dict[str, float]] = field(default_factory=dict)
    # (from, to) node pair -> passage days (mean, p50, p95) and consignments (n)
    passages: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    series: dict[str, np.ndarray] = field(default_factory=dict)  # daily resolution
    outages: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    measured: dict[str, float] = field(default_factory=dict)  # target id -> value (sim.targets.measure)
    # site -> power its flows left unsent each hour from hour 0 (GW), for its electrolyser: handed from the
    # power model to the liquids model within a replication (`sim.energy.model`), emptied before it leaves
    surplus: dict[str, np.ndarray] = field(default_factory=dict)

    def merge(self, other: Replication) -> Replication:
        """Combine the records of two engines (cargo and continuous) for the same replication."""
        assert other.index == self.index  # internal invariant, not user input
        self.flows.update(other.flows)
        for table in ("links", "nodes", "fleets"):  # two engines may report on the same port
            mine = getattr(self, table)
            for ident, figures in getattr(other, table).items():
                mine.setdefault(ident, {}).update(figures)
        self.passages.update(other.passages)
        self.series.update(other.series)
        self.outages += other.outages
        self.events += other.events
        return self


@dataclass(frozen=True)
class Estimate:
    mean: float
    lo: float
    hi: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2


def estimate(values: list[float] | np.ndarray) -> Estimate:
    """Mean with a 95% Student-t confidence interval across replications."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    if n < 2:
        return Estimate(mean, mean, mean, n)
    half = float(t975(n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Estimate(mean, mean - half, mean + half, n)


def t975(df: int) -> float:
    """Student's t 97.5% quantile for `df` degrees of freedom: scipy's `stdtrit`, saved for the
    usual counts (`sim.t_quantiles`: importing scipy.special costs a run 0.3 s of CPU)."""
    if 1 <= df <= len(T975):
        return T975[df - 1]
    from scipy import special

    return float(special.stdtrit(df, 0.975))


# Reducing replications as they arrive ---------------------------------------------------------

SeriesMode = Literal["summary", "all", "none"]
SERIES_MODES: tuple[SeriesMode, ...] = get_args(SeriesMode)
MAX_POINTS = 400  # points a daily series summary keeps: a longer horizon averages days into bins
SAMPLE = 32  # replications whose (binned) daily series are kept for percentiles


def is_daily(key: str) -> bool:
    """Whether series `key` has one value a day (`month:*` series have twelve)."""
    return not key.startswith("month:")


@dataclass(frozen=True)
class Layout:
    """Where each figure of a packed replication sits: ids and statistic names in their order."""

    flows: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...]  # id, carrier, unit, transit, extra
    tables: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...]  # links, nodes, fleets: (id, statistics)
    passages: tuple[tuple[tuple[str, str], tuple[str, ...]], ...]
    series: tuple[tuple[str, int], ...]  # month series: key, length
    measured: tuple[str, ...]


TABLES = ("links", "nodes", "fleets")
FLOW_SCALARS = 3  # delivered, arrived, in_system


@dataclass
class Packed:
    """One replication's scalar figures in one array (`Layout` says which is which); `whole` holds
    the record as it came (first replication: with hourly arrays and outages)."""

    index: int
    events: int
    layout: Layout | None = None
    values: np.ndarray | None = None
    whole: Replication | None = None


def _leaves(rep: Replication) -> list[Any]:
    out: list[Any] = []
    for f in rep.flows.values():
        out += [f.delivered, f.arrived, f.in_system, *f.transit_days.values(), *f.extra.values()]
    for table in TABLES:
        for row in getattr(rep, table).values():
            out += row.values()
    for row in rep.passages.values():
        out += row.values()
    out += rep.measured.values()
    return out


def pack(rep: Replication, layouts: dict[Any, Any]) -> Packed:
    """`rep`'s scalars and month series (its daily series, hourly arrays and outages are left out).
    Layouts, and each of their parts and rows, already seen are shared through `layouts`: two
    replications seldom have the same rows (a passage or a berth kind some replication never
    used), but their rows are nearly all alike, so what a replication adds is its values and a
    tuple of references per part. A record with a figure that is not a float is kept whole, so
    nothing is ever changed by packing."""
    leaves = _leaves(rep)
    months = {k: v for k, v in rep.series.items() if not is_daily(k)}
    if not all(type(x) is float for x in leaves) or any(np.asarray(v).dtype != np.float64 for v in months.values()):
        return Packed(rep.index, rep.events, whole=reduced(rep))

    def shared(*rows: Any) -> Any:
        """`rows` as a tuple, each row and the tuple itself the one already seen when equal."""
        return _shared(layouts, tuple(_shared(layouts, row) for row in rows))

    layout = Layout(
        flows=shared(*((fid, f.carrier, f.unit, tuple(f.transit_days), tuple(f.extra))
                       for fid, f in rep.flows.items())),
        tables=shared(*(shared(*((i, tuple(row)) for i, row in getattr(rep, t).items())) for t in TABLES)),
        passages=shared(*((pair, tuple(row)) for pair, row in rep.passages.items())),
        series=shared(*((k, len(v)) for k, v in months.items())),
        measured=shared(*rep.measured))
    layout = _shared(layouts, layout)
    parts = [np.asarray(leaves, dtype=np.float64)] + [np.asarray(v, dtype=np.float64).ravel() for v in months.values()]
    return Packed(rep.index, rep.events, layout, np.concatenate(parts))


def _flow_offsets(layout: Layout) -> dict[str, int]:
    """Where each flow's figures start in a packed array of this layout."""
    out, at = {}, 0
    for fid, _, _, transit, extra in layout.flows:
        out[fid] = at
        at += FLOW_SCALARS + len(transit) + len(extra)
    return out


def _shared(pool: dict[Any, Any], value: Any) -> Any:
    """The object in `pool` equal to `value` (`value` itself, added, when there is none)."""
    return pool.setdefault(value, value)


_OFFSETS: dict[tuple[Any, ...], dict[str, int]] = {}  # by a layout's (shared) flows


def unpack_flow(p: Packed, fid: str) -> FlowRecord | None:
    """One flow's record of a packed replication (None where it has none), without the rest."""
    if p.whole is not None or p.layout is None or p.values is None:
        return unpack(p).flows.get(fid)
    offsets = _OFFSETS.get(p.layout.flows)
    if offsets is None:
        offsets = _OFFSETS[p.layout.flows] = _flow_offsets(p.layout)
    if fid not in offsets:
        return None
    at = offsets[fid]
    _, carrier, unit, transit, extra = next(f for f in p.layout.flows if f[0] == fid)
    n = FLOW_SCALARS + len(transit) + len(extra)
    it = iter(p.values[at:at + n].tolist())
    delivered, arrived, in_system = next(it), next(it), next(it)
    return FlowRecord(carrier, unit, delivered, arrived, in_system, {k: next(it) for k in transit},
                      extra={k: next(it) for k in extra})


def unpack(p: Packed) -> Replication:
    """The replication `pack` was given, without its daily series, hourly arrays and outages."""
    if p.whole is not None:
        return p.whole
    assert p.layout is not None and p.values is not None  # internal invariant: packed or whole
    lay, it = p.layout, iter(p.values.tolist())
    rep = Replication(p.index, events=p.events)
    for fid, carrier, unit, transit, extra in lay.flows:
        delivered, arrived, in_system = next(it), next(it), next(it)
        rep.flows[fid] = FlowRecord(carrier, unit, delivered, arrived, in_system,
                                    {k: next(it) for k in transit}, extra={k: next(it) for k in extra})
    for table, rows in zip(TABLES, lay.tables):
        setattr(rep, table, {i: {k: next(it) for k in keys} for i, keys in rows})
    rep.passages = {pair: {k: next(it) for k in keys} for pair, keys in lay.passages}
    rep.measured = {k: next(it) for k in lay.measured}
    at = len(p.values) - sum(n for _, n in lay.series)
    for key, n in lay.series:
        rep.series[key] = p.values[at:at + n].copy()
        at += n
    return rep


def reduced(rep: Replication) -> Replication:
    """A copy of `rep` without daily series, hourly arrays and outages (its month series kept)."""
    flows = {fid: FlowRecord(f.carrier, f.unit, f.delivered, f.arrived, f.in_system, f.transit_days, None, f.extra)
             for fid, f in rep.flows.items()}
    return Replication(rep.index, flows, rep.links, rep.nodes, rep.fleets, rep.passages,
                       {k: v for k, v in rep.series.items() if not is_daily(k)}, [], rep.events, rep.measured)


def without_hourly(rep: Replication) -> Replication:
    """`rep` with its flows' hourly arrays (delivered and transfer capacity) dropped, in place:
    what a worker sends back once the targets are measured (`sim.simulate`)."""
    for f in rep.flows.values():
        f.hourly = f.transfer = None
    return rep


def arrays(rep: Replication) -> dict[str, np.ndarray]:
    """A replication's daily series (`series:<key>`) and hourly arrays (`hourly:<flow>`, and
    `transfer:<flow>` for the hourly transfer capacity of a power flow)."""
    out = {f"series:{k}": np.asarray(v) for k, v in rep.series.items() if is_daily(k)}
    out.update({f"hourly:{fid}": f.hourly for fid, f in rep.flows.items() if f.hourly is not None})
    out.update({f"transfer:{fid}": f.transfer for fid, f in rep.flows.items() if f.transfer is not None})
    return out


class SeriesStore:
    """Every replication's daily and hourly arrays in `.npz` files of a temporary folder, removed
    when the store is collected (series "all")."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="corridor-series-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, True)

    def _file(self, index: int) -> Path:
        return self.folder / f"{index}.npz"

    def save(self, rep: Replication) -> None:
        np.savez(self._file(rep.index), **arrays(rep))  # type: ignore[arg-type]  # numpy's stubs: **kwds

    def load(self, rep: Replication) -> Replication:
        """`rep` with its daily series and hourly arrays read back (a new record)."""
        path = self._file(rep.index)
        if not path.exists():
            return rep
        with np.load(path) as data:
            loaded = {k: data[k] for k in data.files}
        flows = {fid: FlowRecord(f.carrier, f.unit, f.delivered, f.arrived, f.in_system, f.transit_days,
                                 loaded.get(f"hourly:{fid}", f.hourly), f.extra,
                                 loaded.get(f"transfer:{fid}", f.transfer)) for fid, f in rep.flows.items()}
        series = {k.removeprefix("series:"): v for k, v in loaded.items() if k.startswith("series:")} | rep.series
        return Replication(rep.index, flows, rep.links, rep.nodes, rep.fleets, rep.passages, series,
                           rep.outages, rep.events, rep.measured)


def _priority(seed: int, index: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest(), "little")


class SeriesSummary:
    """The daily series across replications, in memory that grows with neither: per series, the
    sum of every replication's values (so `mean` is the mean across the replications that have
    the series) and the values of at most `SAMPLE` replications (those whose hash of (seed, index)
    is smallest, whatever order they arrive in) for percentiles: exact up to `SAMPLE`
    replications. A series longer than `MAX_POINTS` days is kept as `width`-day means (the last
    point may have fewer days). Replications must be added in index order (`Collector` does)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.n = 0
        self.sums: dict[str, np.ndarray] = {}
        self.counts: dict[str, int] = {}
        self.days: dict[str, int] = {}  # each series' length in days
        self.sample: dict[int, tuple[int, dict[str, np.ndarray]]] = {}  # index -> (priority, binned series)

    @staticmethod
    def width_of(days: int) -> int:
        """Days per point of a series of `days` days."""
        return max(1, -(-days // MAX_POINTS))

    def width(self, key: str) -> int:
        return self.width_of(self.days[key])

    def binned(self, key: str, values: np.ndarray) -> np.ndarray:
        w = self.width_of(self.days.setdefault(key, len(values)))
        if w == 1:
            return np.asarray(values, dtype=float)
        starts = np.arange(0, len(values), w)
        counts = np.minimum(starts + w, len(values)) - starts
        out: np.ndarray = np.add.reduceat(np.asarray(values, dtype=float), starts) / counts
        return out

    def add(self, index: int, series: Mapping[str, np.ndarray]) -> None:
        binned = {k: self.binned(k, v) for k, v in series.items() if is_daily(k)}
        self.n += 1
        for k, v in binned.items():
            if k in self.sums:
                self.sums[k] += v
                self.counts[k] += 1
            else:
                self.sums[k] = v.copy()
                self.counts[k] = 1
        self.sample[index] = (_priority(self.seed, index), binned)
        if len(self.sample) > SAMPLE:
            del self.sample[max(self.sample, key=lambda i: self.sample[i][0])]

    def names(self) -> list[str]:
        """The series summarised, in the order first seen."""
        return list(self.sums)

    def mean(self, key: str) -> np.ndarray:
        """Mean across the replications with series `key`, per point."""
        out: np.ndarray = self.sums[key] / self.counts[key]
        return out

    def stack(self, key: str) -> np.ndarray:
        """(sampled replication, point) values of series `key`, replications in index order."""
        rows = [s[key] for _, (_, s) in sorted(self.sample.items()) if key in s]
        return np.array(rows, dtype=float)

    @property
    def nbytes(self) -> int:
        """Bytes of every array kept."""
        return (sum(v.nbytes for v in self.sums.values())
                + sum(v.nbytes for _, s in self.sample.values() for v in s.values()))


class Replications(Sequence[Replication]):
    """The replications of a run, in index order, each unpacked from its `Packed` record when read
    (with its arrays read back from the `SeriesStore` when there is one)."""

    def __init__(self, packed: Sequence[Packed] = (), store: SeriesStore | None = None) -> None:
        self.packed = list(packed)
        self.store = store

    def __len__(self) -> int:
        return len(self.packed)

    @overload
    def __getitem__(self, i: int) -> Replication: ...
    @overload
    def __getitem__(self, i: slice) -> list[Replication]: ...

    def __getitem__(self, i: int | slice) -> Replication | list[Replication]:
        if isinstance(i, slice):
            return [self._read(p) for p in self.packed[i]]
        return self._read(self.packed[i])

    def __iter__(self) -> Iterator[Replication]:
        return (self._read(p) for p in self.packed)

    def flow(self, fid: str) -> list[FlowRecord]:
        """Flow `fid`'s record in each replication that has one, unpacking nothing else (its
        figures: the arrays a `SeriesStore` keeps are not read back)."""
        return [f for p in self.packed if (f := unpack_flow(p, fid)) is not None]

    def _read(self, p: Packed) -> Replication:
        rep = unpack(p)
        return self.store.load(rep) if self.store is not None else rep

    @property
    def nbytes(self) -> int:
        """Bytes of the packed figures (not counting records kept whole)."""
        return sum(p.values.nbytes for p in self.packed if p.values is not None)


class Collector:
    """Reduces replications as they arrive, in any order (see the module text): `add` each, then
    `replications` (in index order) and `series` are the run's. Replication `first` (the
    lowest index) is kept whole, with its hourly arrays and outages, for the report's pictures."""

    def __init__(self, seed: int, first: int, mode: SeriesMode = "summary") -> None:
        if mode not in SERIES_MODES:
            raise ValueError(f"series: expected one of {', '.join(SERIES_MODES)}, got {mode!r}")
        self.mode = mode
        self.first = first
        self.series = SeriesSummary(seed)
        self.store = SeriesStore() if mode == "all" else None
        self._layouts: dict[Any, Any] = {}  # layouts and their parts and rows, shared (`pack`)
        self._packed: dict[int, Packed] = {}
        self._pending: dict[int, dict[str, np.ndarray]] = {}  # daily series waiting for a lower index
        self._next = first  # the next index to fold into the summary

    def add(self, rep: Replication) -> None:
        if self.store is not None:
            self.store.save(rep)
        if rep.index == self.first:
            kept = reduced(rep)
            kept.outages = rep.outages
            for fid, f in rep.flows.items():
                kept.flows[fid].hourly = f.hourly
            p = Packed(rep.index, rep.events, whole=kept)
        else:
            p = pack(rep, self._layouts)
        self._packed[rep.index] = p
        if self.mode != "none":
            self._pending[rep.index] = {k: v for k, v in rep.series.items() if is_daily(k)}
            while self._next in self._pending:
                self.series.add(self._next, self._pending.pop(self._next))
                self._next += 1

    def __len__(self) -> int:
        return len(self._packed)

    @property
    def replications(self) -> Replications:
        return Replications([self._packed[i] for i in sorted(self._packed)], self.store)
