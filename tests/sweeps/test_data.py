from __future__ import annotations

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from nnfs_lab.sweeps import data  # noqa: E402
from nnfs_lab.sweeps import parse_experiment as parse_config  # noqa: E402


def test_prepare_data_holdout_and_cv(space_text):
    cfg = parse_config(space_text, "space.toml")
    d = data.prepare_data(cfg)
    assert len(d.X_train) + len(d.X_test) == 60
    ((tr, va),) = d.folds
    assert not set(tr) & set(va) and len(tr) + len(va) == len(d.X_train)
    cv = parse_config(space_text.replace("[dataset]", "[split]\ncv = 3\n[dataset]"), "cv.toml")
    d2 = data.prepare_data(cv)
    assert len(d2.folds) == 3
    assert np.array_equal(np.sort(np.concatenate([va for _, va in d2.folds])), np.arange(45))
    # Deterministic for a given seed.
    assert np.array_equal(data.prepare_data(cfg).X_test, d.X_test)
