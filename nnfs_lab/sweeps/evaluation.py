"""The verdict's data: each family's best configuration scored on folds tuning never saw.

The held-out set (``split.test_size`` of the data, never scored while tuning) is cut into
``evaluation.repeats`` x ``evaluation.folds`` stratified folds. For each fold, every family's
model trains on all development data plus the other held-out folds and is scored on the fold;
the fold's seed (``seed + repeat * folds + fold``) initializes every family alike, so the
families' scores pair up fold by fold. A fit that diverges is recorded FAILED, not fatal.
Fits follow the shared protocol: exactly ``max_epochs`` epochs in one plain, timed call, or,
with a stopping rule, epoch by epoch against an inner validation split.

``ms_per_epoch`` (which breaks a tie for ``@champion``) is the fit's *CPU* time per epoch, with
one BLAS thread: the folds run in the sweep's worker processes while the driver works beside
them, and wall time would charge that contention to whichever family met more of it.
``fit_seconds`` keeps the wall time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.data import SplitData, scale_split
from nnfs_lab.sweeps.families import Family, get_family
from nnfs_lab.sweeps.protocol import EpochProtocol, StoppingRule, probability_scores
from nnfs_lab.sweeps.threads import blas_threads

__all__ = [
    "OUTER_COLUMNS",
    "OuterFold",
    "evaluate_family",
    "outer_folds",
    "refit_on_development",
    "score_folds",
    "start_evaluation",
]

#: Columns of the per-fold table (``outer_scores.csv`` on each parent run).
OUTER_COLUMNS = (
    "family",
    "repeat",
    "fold",
    "seed",
    "status",
    "test_accuracy",
    "test_log_loss",
    "n_epochs",
    "fit_seconds",
    "cpu_seconds",
    "ms_per_epoch",
    "n_train",
    "n_test",
    "error",
)


@dataclass(frozen=True)
class OuterFold:
    """One fold of the held-out set: indices into ``SplitData.X_test``."""

    repeat: int
    fold: int
    seed: int
    train: np.ndarray
    test: np.ndarray


def outer_folds(cfg: ExperimentConfig, data: SplitData) -> list[OuterFold]:
    """The repeated (stratified) K-fold of the held-out set, deterministic given ``cfg.seed``."""
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    ev = cfg.evaluation
    cls = RepeatedStratifiedKFold if cfg.split.stratify else RepeatedKFold
    splitter = cls(n_splits=ev.folds, n_repeats=ev.repeats, random_state=cfg.seed)
    out = []
    for i, (tr, te) in enumerate(splitter.split(data.X_test, data.y_test)):
        repeat, fold = divmod(i, ev.folds)
        out.append(OuterFold(repeat, fold, cfg.seed + i, tr, te))
    return out


def _fit(cfg: ExperimentConfig, fam: Family, est: Any, X: np.ndarray, y: np.ndarray, seed: int,
         then=None) -> int:  # fmt: skip
    """Train ``est`` under the protocol; the number of epochs it ran.

    Without a stopping rule (and without ``then``) it is one plain call of exactly
    ``max_epochs`` epochs; a stopping rule watches an inner validation split of ``X``.
    """
    rule = StoppingRule(cfg.protocol)
    if not rule.active and then is None:
        return fam.fit_epochs(est, X, y)
    X_va = y_va = None
    if rule.active:
        from sklearn.model_selection import train_test_split

        X, X_va, y, y_va = train_test_split(X, y, test_size=cfg.split.validation,
                                            random_state=seed,
                                            stratify=y if cfg.split.stratify else None)  # fmt: skip
    protocol = EpochProtocol(X_va, y_va, rule, then=then)
    return fam.train(est, X, y, on_epoch=protocol)


def _score_fold(cfg, fam: Family, params, data: SplitData, fold: OuterFold) -> dict[str, Any]:
    X_fit = np.concatenate([data.X_train, data.X_test[fold.train]])
    y_fit = np.concatenate([data.y_train, data.y_test[fold.train]])
    _, (X_fit, X_te) = scale_split(cfg.dataset.scale, X_fit, data.X_test[fold.test])
    row: dict[str, Any] = {
        "family": fam.name,
        "repeat": fold.repeat,
        "fold": fold.fold,
        "seed": fold.seed,
        "n_train": len(y_fit),
        "n_test": len(fold.test),
    }
    est = fam.build(params, seed=fold.seed, max_epochs=cfg.budget.max_epochs)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        n_epochs = _fit(cfg, fam, est, X_fit, y_fit, fold.seed)
        fit_seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
        acc, ll = probability_scores(est, X_te, data.y_test[fold.test])
        if not math.isfinite(ll):
            raise FloatingPointError("predicted probabilities are not finite")
    except (ArithmeticError, ValueError) as exc:  # DivergenceError is a FloatingPointError
        return {**row, "status": "FAILED", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {**row, "status": "COMPLETE", "test_accuracy": acc, "test_log_loss": ll,
            "n_epochs": n_epochs, "fit_seconds": fit_seconds, "cpu_seconds": cpu_seconds,
            "ms_per_epoch": 1000 * cpu_seconds / max(1, n_epochs), "error": ""}  # fmt: skip


def score_folds(cfg: ExperimentConfig, family: str, params: dict[str, Any], data: SplitData,
                folds: list[OuterFold]) -> list[dict[str, Any]]:  # fmt: skip
    """The rows of ``folds``, fitted with one BLAS thread (a pool job: everything it needs is
    in its arguments, and the pool's environment only sets a default thread count)."""
    fam = get_family(family)
    with blas_threads(1):
        return [_score_fold(cfg, fam, params, data, f) for f in folds]


def evaluate_family(cfg: ExperimentConfig, family: str, params: dict[str, Any],
                    data: SplitData):  # fmt: skip
    """Score ``params`` of ``family`` on every outer fold; a DataFrame of :data:`OUTER_COLUMNS`."""
    return start_evaluation(cfg, family, params, data)()


def start_evaluation(cfg: ExperimentConfig, family: str, params: dict[str, Any], data: SplitData,
                     pool: Any = None) -> Callable[[], Any]:  # fmt: skip
    """Start :func:`evaluate_family`; call the returned function for its DataFrame.

    With a :class:`~nnfs_lab.sweeps.pool.WorkerPool` the folds are scored in its processes
    (one chunk of folds per process) while the caller goes on; without one they are scored
    when the result is asked for (:func:`~nnfs_lab.sweeps.offload.start_jobs`). Each fold is
    seeded alike wherever it runs, and every fit runs with one BLAS thread (as pool processes
    do), so the scores do not depend on where they were computed.
    """
    import pandas as pd

    from nnfs_lab.sweeps.offload import start_jobs
    from nnfs_lab.sweeps.pool import Job

    folds = outer_folds(cfg, data)
    # One chunk of folds per process: each job carries the data (Fashion-MNIST: ~30 MB).
    n = max(1, pool.size if pool is not None else 0)  # read once: processes may die meanwhile
    jobs = [Job(f"{cfg.name}-{family}-folds-{i}", score_folds, (cfg, family, params, data, chunk))
            for i, chunk in enumerate(folds[i::n] for i in range(n)) if chunk]  # fmt: skip
    chunks = start_jobs(pool, jobs, what=f"held-out folds of {family}")

    def frame():
        rows = sorted((row for rows in chunks() for row in rows),
                      key=lambda r: (r["repeat"], r["fold"]))  # fmt: skip
        return pd.DataFrame(rows, columns=list(OUTER_COLUMNS))

    return frame


def refit_on_development(cfg: ExperimentConfig, family: str, params: dict[str, Any],
                         data: SplitData, *, on_epoch=None) -> Any:  # fmt: skip
    """The model to ship: ``params`` fit on all development data with ``cfg.seed``, as
    scikit-learn's ``refit=True`` does, behind its scaler when the data are scaled.

    ``on_epoch(estimator, record)``, when given, sees every epoch (e.g. a boundary recorder).
    With a stopping rule, an inner validation split of the development data decides the epochs.
    """
    from sklearn.pipeline import Pipeline

    fam = get_family(family)
    scaler, (X,) = scale_split(cfg.dataset.scale, data.X_train)
    est = fam.build(params, seed=cfg.seed, max_epochs=cfg.budget.max_epochs)
    then = None if on_epoch is None else (lambda record: on_epoch(est, record))
    with blas_threads(1):  # beside the pool's processes, as every fit of the sweep
        _fit(cfg, fam, est, X, data.y_train, cfg.seed, then=then)
    return est if scaler is None else Pipeline([("scale", scaler), ("model", est)])
