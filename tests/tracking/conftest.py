"""A tracking store written by hand to the sweep's data contract (docs in report.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nnfs_lab import tracking


def fold_scores(family: str, acc, *, log_loss=None, failed=(), k: int = 5, n_train: int = 80,
                n_test: int = 20, n_epochs=None, ms: float = 1.0) -> pd.DataFrame:  # fmt: skip
    """``outer_scores.csv`` rows: fold i is (repeat i // k, fold i % k); ``failed`` are FAILED."""
    acc = np.asarray(acc, dtype=float)
    ll = np.asarray(log_loss if log_loss is not None else 1 - acc, dtype=float)
    j = np.arange(acc.size)
    bad = np.isin(j, list(failed))
    return pd.DataFrame({
        "family": family, "repeat": j // k, "fold": j % k, "seed": 100 + j,
        "status": np.where(bad, "FAILED", "COMPLETE"),
        "test_accuracy": np.where(bad, np.nan, acc), "test_log_loss": np.where(bad, np.nan, ll),
        "n_epochs": n_epochs if n_epochs is not None else np.full(acc.size, 50),
        "fit_seconds": 0.05, "ms_per_epoch": ms, "n_train": n_train, "n_test": n_test,
        "error": np.where(bad, "DivergenceError: loss is nan", ""),
    })  # fmt: skip


class Store:
    """A sqlite store in the test's cwd with helpers that write runs as a sweep would."""

    def __init__(self) -> None:
        self.uri = tracking.resolve_tracking_uri(None)
        self.client = tracking.get_client(self.uri)

    def experiment(self, name: str) -> str:
        return tracking.ensure_experiment(self.client, name, self.uri)

    def family(self, exp: str, family: str, *, scores: pd.DataFrame | None = None,
               trials=(), metrics=None, best=None, wall=(10.0,)) -> str:  # fmt: skip
        """A parent run; ``trials`` are (state, val_accuracy_mean, ms_per_epoch, n_epochs)."""
        c = self.client
        study = f"{c.get_experiment(exp).name}-{family}"
        pid = tracking.ensure_parent_run(c, exp, study_name=study, family=family, params={},
                                         tags={"nnfs_lab.objective": "accuracy"})  # fmt: skip
        ok = scores[scores.status == "COMPLETE"] if scores is not None else None
        if metrics is None and ok is not None:
            metrics = {"best_value": 0.5, "test_accuracy_mean": ok.test_accuracy.mean(),
                       "test_accuracy_std": ok.test_accuracy.std(ddof=1),
                       "test_log_loss_mean": ok.test_log_loss.mean(),
                       "test_log_loss_std": ok.test_log_loss.std(ddof=1),
                       "ms_per_epoch_mean": ok.ms_per_epoch.mean(),
                       "eval_failed": float(len(scores) - len(ok))}  # fmt: skip
        logged = [(k, float(v), 0) for k, v in (metrics or {}).items()]
        logged += [("sweep_wall_seconds", w, i) for i, w in enumerate(wall)]
        tags = {f"best.{k}": v for k, v in (best or {"lr": "0.01"}).items()}
        tracking.log_batch_chunked(c, pid, metrics=logged, tags=tags)
        for number, (state, acc, ms, epochs) in enumerate(trials):
            rid = tracking.start_trial_run(c, exp, pid, study_name=study, family=family,
                                           trial_number=number, params={})  # fmt: skip
            values = {"val_accuracy_mean": acc, "val_log_loss_mean": 1 - acc,
                      "n_epochs": epochs, "ms_per_epoch": ms}  # fmt: skip
            tracking.finish_trial_run(c, rid, state=state, history=[], final_metrics=values)
        if scores is not None:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "outer_scores.csv"
                scores.to_csv(path, index=False)
                c.log_artifact(pid, str(path))
        c.set_terminated(pid, "FINISHED")
        return pid


@pytest.fixture
def store(tmp_cwd: Path) -> Store:
    return Store()


@pytest.fixture
def folds():
    """:func:`fold_scores`, for tests that build fold tables."""
    return fold_scores
