"""The search: an Optuna study, asked and told in fixed batches, stored in a journal file.

Sampler. Optuna's TPE (tree-structured Parzen estimator), multivariate, with the constant liar.
It takes whole-number parameters (vessel counts) beside continuous ones, needs no gradient,
tolerates a rough objective (a simulation's loss jumps where a discrete event moves), and does
useful work within tens of trials; the constant liar lets it ask for a batch of trials before
any is told, treating those still running as bad so the batch spreads out. (CMA-ES, the other
candidate, fits a smooth continuous landscape, rounds whole numbers, and needs populations of
its own size: worse for four parameters and ~60 trials.) The first `STARTUP` trials are drawn
at random across the ranges; trial 0 is the scenario as written when it lies in the ranges.

Reproducible whatever the workers, and on resume:
- trials are asked in batches of a fixed size (`--batch`, never the worker count), evaluated in
  parallel, and told in trial order once the whole batch is back; the trial count is rounded up
  to whole batches;
- the sampler asking trial n is seeded from (seed, n), so what it suggests depends only on the
  study's stored history, never on how many trials this process has asked;
- the journal (`JournalFileBackend`, a plain append-only file: no database server) stores each
  trial as it is asked and told. A calibration killed mid-batch leaves that batch's asked trials
  running in the journal; the next run evaluates those same trials and asks the rest of the
  batch, so the study it ends with is the one an uninterrupted run ends with.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, FloatDistribution, IntDistribution
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState

from sim.calibrate.objective import TrialOutcome, TrialTask, run_trial
from sim.calibrate.parameters import Parameter, overrides
from sim.replications import Streams
from sim.sweep.executors import Executor

STUDY = "calibrate"
STARTUP = 10  # random trials before TPE models the history
SAMPLER = f"optuna TPESampler(multivariate, constant_liar, n_startup_trials={STARTUP}), seeded per trial"
OUTCOME = "outcome"  # the trial's user attribute holding its TrialOutcome (items, loss SE, error)
OPEN = (TrialState.RUNNING, TrialState.WAITING)


def open_study(journal: Path) -> tuple[optuna.Study, JournalStorage]:
    """The study in `journal`, created when the file is new."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(journal)))
    study = optuna.create_study(study_name=STUDY, storage=storage, direction="minimize", load_if_exists=True)
    return study, storage


def distributions(params: list[Parameter]) -> dict[str, BaseDistribution]:
    return {p.name: IntDistribution(int(p.low), int(p.high)) if p.integer else FloatDistribution(p.low, p.high)
            for p in params}


def enqueue_start(study: optuna.Study, params: list[Parameter]) -> bool:
    """Make trial 0 the scenario as written, when every start value is a value a trial can run."""
    if study.get_trials(deepcopy=False) or not all(p.contains(p.start) and p.rounded(p.start) == p.start
                                                   for p in params):
        return False
    study.enqueue_trial({p.name: int(p.start) if p.integer else p.start for p in params})
    return True


def sampler(seed: int, number: int) -> optuna.samplers.TPESampler:
    """The sampler that asks trial `number`: seeded from (seed, number), so a resumed study asks
    what an uninterrupted one would."""
    trial_seed = int(Streams(seed, number).get("calibrate:sampler").integers(2**31))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=trial_seed, multivariate=True, constant_liar=True,
                                          n_startup_trials=STARTUP)


def whole_batches(trials: int, batch: int) -> int:
    """The number of trials run: `trials` rounded up to whole batches."""
    return math.ceil(trials / batch) * batch


def run_batches(study: optuna.Study, storage: JournalStorage, params: list[Parameter], *, total: int, batch: int,
                seed: int, make_task: Callable[[int, list[str]], TrialTask], executor: Executor,
                after_batch: Callable[[int, int], None] | None = None) -> None:
    """Ask, evaluate and tell batches until the study holds `total` finished trials (a multiple of `batch`).

    `make_task(number, overrides)` builds a trial's task; `after_batch(finished, failed)` is called
    after each batch is told (progress, and the check that no input changed)."""
    dists = distributions(params)
    while True:
        trials = study.get_trials(deepcopy=False)
        pending = [t.number for t in trials if t.state in OPEN]
        first = min(pending) if pending else len(trials)
        if first >= total:
            return
        end = (first // batch + 1) * batch
        _ask_until(study, end, dists, seed)
        asked = sorted((t for t in study.get_trials(deepcopy=False) if t.state == TrialState.RUNNING
                        and t.number < end), key=lambda t: t.number)
        tasks = [make_task(t.number, overrides(params, _values(t, params))) for t in asked]
        outcomes = {o.number: o for o in executor.run(run_trial, tasks)}
        for t in asked:
            _tell(study, storage, t, outcomes[t.number], params)
        if after_batch is not None:
            done = [t for t in study.get_trials(deepcopy=False) if t.number < total and t.state not in OPEN]
            after_batch(len(done), sum(t.state == TrialState.FAIL for t in done))


def _ask_until(study: optuna.Study, end: int, dists: dict[str, BaseDistribution], seed: int) -> None:
    """Ask trials until every trial numbered below `end` has been asked (a waiting, enqueued one first)."""
    while True:
        trials = study.get_trials(deepcopy=False)
        waiting = any(t.state == TrialState.WAITING and t.number < end for t in trials)
        if not waiting and len(trials) >= end:
            return
        study.sampler = sampler(seed, len(trials))
        study.ask(dists)


def _values(trial: FrozenTrial, params: list[Parameter]) -> dict[str, float]:
    """The values a trial runs (a count whole, a float to `SIGNIFICANT` digits)."""
    return {p.name: p.rounded(float(trial.params[p.name])) for p in params}


def _tell(study: optuna.Study, storage: JournalStorage, trial: FrozenTrial, outcome: TrialOutcome,
          params: list[Parameter]) -> None:
    """Keep the outcome on the trial, then tell its loss (or its failure)."""
    study_id = storage.get_study_id_from_name(STUDY)
    trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
    storage.set_trial_user_attr(trial_id, OUTCOME, outcome_record(outcome, _values(trial, params)))
    if outcome.ok:
        study.tell(trial.number, outcome.loss)
    else:
        study.tell(trial.number, state=TrialState.FAIL)


def outcome_record(outcome: TrialOutcome, values: dict[str, float]) -> dict[str, Any]:
    """A trial's outcome as JSON data: what it ran, its loss and SE, every item, or its error."""
    return {"values": values, "loss": outcome.loss if outcome.ok else None,
            "loss_se": outcome.loss_se if math.isfinite(outcome.loss_se) else None,
            "loss_floor": outcome.loss_floor if math.isfinite(outcome.loss_floor) else None,
            "items": [i.to_dict() for i in outcome.items], "error": outcome.error, "wall_s": outcome.wall_s}
