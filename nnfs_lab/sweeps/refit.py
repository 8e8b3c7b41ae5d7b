"""The best configuration refit on all development data over several seeds, scored on the test set.

Seed ``i`` is ``cfg.seed + i`` for every family, so family results pair up seed by seed.
"""

from __future__ import annotations

import math
import time
from typing import Any

from nnfs_lab.sweeps.config import ExperimentConfig
from nnfs_lab.sweeps.data import prepare_data, scale_split
from nnfs_lab.sweeps.families import get_family, probability_scores

__all__ = ["refit_over_seeds"]


def refit_over_seeds(cfg: ExperimentConfig, family: str, params: dict[str, Any]):
    """Refit ``params`` on the whole training split for each seed; score on the test split.

    Returns
    -------
    scores : DataFrame
        One row per seed: seed, test_accuracy, test_log_loss, fit_seconds, n_epochs,
        fit_seconds_per_epoch.
    model : estimator or Pipeline
        The first seed's model, behind its scaler when the data are scaled.
    X_example : ndarray
        A few raw test rows (an input example for the logged model).
    """
    import pandas as pd
    from sklearn.pipeline import Pipeline

    fam = get_family(family)
    data = prepare_data(cfg)
    scaler, (X_tr, X_te) = scale_split(cfg.dataset.scale, data.X_train, data.X_test)
    epochs = cfg.budget.max_epochs
    rows, first = [], None
    for i in range(cfg.budget.refit_seeds):
        seed = cfg.seed + i
        est = fam.build(params, seed=seed, max_epochs=epochs)
        t0 = time.perf_counter()
        history = fam.train(est, X_tr, data.y_train)
        fit_seconds = time.perf_counter() - t0
        acc, ll = probability_scores(est, X_te, data.y_test)
        per_epoch = fam.seconds_per_epoch(params, X_tr, data.y_train, seed=seed,
                                          max_epochs=epochs, history=history)  # fmt: skip
        rows.append({
            "seed": seed, "test_accuracy": acc, "test_log_loss": ll,
            "fit_seconds": fit_seconds, "n_epochs": len(history),
            "fit_seconds_per_epoch": per_epoch if math.isfinite(per_epoch) else fit_seconds,
        })  # fmt: skip
        first = est if first is None else first
    model = first if scaler is None else Pipeline([("scale", scaler), ("model", first)])
    return pd.DataFrame(rows), model, data.X_test[:5]
