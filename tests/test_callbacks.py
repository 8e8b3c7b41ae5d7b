"""Callbacks: EarlyStopping, History and LambdaCallback, alone and inside an estimator's fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import make_classification

from nnfs_lab import Callback, EarlyStopping, History, NNFSClassifier, NNFSRegressor
from nnfs_lab.callbacks import LambdaCallback
from nnfs_lab.nn import logs

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=200, n_features=5, n_informative=3, random_state=0)


def feed(cb, values, key="val_loss"):
    """``[epoch]`` at which ``cb`` stops a run fed ``values`` of ``key``, or ``[]``."""
    cb.on_train_begin(None)
    for epoch, value in enumerate(values, start=1):
        if cb.on_epoch_end(None, epoch, {key: value}):
            return [epoch]
    return []


def test_early_stopping_waits_patience_epochs_without_improvement():
    cb = EarlyStopping(patience=2)
    assert feed(cb, [1.0, 0.9, 0.95, 0.91, 0.5]) == [4]
    assert cb.stopped_epoch == 4 and cb.best == 0.9


def test_early_stopping_min_delta_is_the_smallest_improvement():
    cb = EarlyStopping(patience=1, min_delta=0.1)
    assert feed(cb, [1.0, 0.95]) == [2]  # 0.05 better is no improvement
    assert feed(EarlyStopping(patience=1, min_delta=0.1), [1.0, 0.85, 0.7]) == []


@pytest.mark.parametrize(
    ("monitor", "mode"), [("val_loss", "min"), ("loss", "min"), ("val_score", "max")]
)
def test_early_stopping_mode_auto_follows_the_monitored_name(monitor, mode):
    assert EarlyStopping(monitor=monitor).mode == mode
    assert EarlyStopping(monitor="val_score", mode="min").mode == "min"


def test_early_stopping_max_mode_stops_when_the_score_stalls():
    assert feed(EarlyStopping("val_score", patience=1), [0.5, 0.6, 0.6], "val_score") == [3]


def test_early_stopping_skips_epochs_without_the_value():
    """Without validation data the estimators log None (the engine's nan is skipped too)."""
    assert feed(EarlyStopping(patience=1), [1.0, None, math.nan, None, 1.0]) == [5]


def test_early_stopping_restarts_with_each_fit():
    cb = EarlyStopping(patience=1)
    assert feed(cb, [1.0, 2.0]) == [2]
    assert feed(cb, [3.0]) == []  # best and wait were reset by on_train_begin


def test_early_stopping_rejects_bad_mode_and_missing_key():
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")
    cb = EarlyStopping(monitor="val_auc")
    cb.on_train_begin(None)
    with pytest.raises(KeyError, match="val_auc"):
        cb.on_epoch_end(None, 1, {"loss": 1.0})


def test_early_stopping_stops_an_estimator(data):
    X, y = data
    cb = EarlyStopping(monitor=logs.LOSS, patience=1, min_delta=10.0)
    est = NNFSClassifier((8,), max_epochs=50, random_state=0, callbacks=[cb]).fit(X, y)
    assert est.n_iter_ == 2 == cb.stopped_epoch


def test_history_keeps_every_epoch_across_estimators(data):
    X, y = data
    history = History()
    clf = NNFSClassifier((8,), max_epochs=3, random_state=0, callbacks=history).fit(X, y)
    NNFSRegressor((8,), max_epochs=2, random_state=0, callbacks=[history]).fit(X, y * 1.0)
    assert [r[logs.EPOCH] for r in history.records] == [1, 2, 3, 1, 2]
    assert history.records[:3] == clf.history_
    assert all(tuple(r) == logs.EPOCH_KEYS for r in history.records)
    # Records are copies: the estimator's history does not change with them.
    history.records[0][logs.LOSS] = -1.0
    assert clf.history_[0][logs.LOSS] != -1.0


def test_lambda_callback_calls_the_given_functions(data):
    X, y = data
    calls = []
    cb = LambdaCallback(
        on_train_begin=lambda est: calls.append("begin"),
        on_epoch_end=lambda est, epoch, logs: calls.append(epoch),
        on_train_end=lambda est: calls.append("end"),
    )
    NNFSClassifier((8,), max_epochs=2, random_state=0, callbacks=[cb]).fit(X, y)
    assert calls == ["begin", 1, 2, "end"]
    assert LambdaCallback().on_epoch_end(None, 1, {}) is None


def test_base_callback_hooks_do_nothing():
    cb = Callback()
    assert cb.on_train_begin(None) is None
    assert cb.on_epoch_end(None, 1, {"loss": np.float64(1.0)}) is None
    assert cb.on_train_end(None) is None
