"""The epoch loop: records, the stopping rule, best-weight restore, callbacks, warnings."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from nnfs_lab.callbacks import Callback, LambdaCallback
from nnfs_lab.estimators._loop import StoppingRule
from nnfs_lab.nn import logs


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_history_records_use_the_log_vocabulary(blobs, small):
    X, y = blobs
    est = small(max_epochs=2).fit(X[:200], y[:200], validation_data=(X[200:], y[200:]))
    assert [tuple(rec) for rec in est.history_] == [logs.EPOCH_KEYS] * 2
    assert all(rec[logs.VAL_SCORE] is not None for rec in est.history_)
    plain = small(max_epochs=2).fit(X, y)
    assert all(rec[logs.VAL_LOSS] is None and rec[logs.VAL_SCORE] is None for rec in plain.history_)
    assert plain.validation_scores_ is None


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_early_stopping_restores_best_weights(blobs, small):
    X, y = blobs
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, random_state=0)
    est = small(early_stopping=True, max_epochs=200, learning_rate=0.05, n_iter_no_change=5).fit(
        X_tr, y_tr, validation_data=(X_val, y_val)
    )
    assert est.n_iter_ < 200
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)
    assert len(est.validation_loss_curve_) == est.n_iter_


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_internal_validation_split_and_history_frame(blobs, small):
    est = small(early_stopping=True, max_epochs=8, n_iter_no_change=100).fit(*blobs)
    frame = est.history_frame()
    assert list(frame.index) == list(range(1, 9))
    assert set(logs.EPOCH_KEYS) - {logs.EPOCH} <= set(frame.columns)
    assert frame["val_score"].notna().all()
    assert est.loss_curve_ == frame["loss"].tolist()


def test_stopping_rule_counts_epochs_without_improvement():
    est = SimpleNamespace(best_loss_=np.inf, best_validation_score_=None)
    rule = StoppingRule(patience=2, tol=0.1, restore_best=False)

    def rec(loss):
        return {logs.LOSS: loss, logs.VAL_SCORE: None}

    assert not rule.update(est, rec(1.0))  # improves on inf
    assert not rule.update(est, rec(0.95))  # better, but not by more than tol: 1
    assert not rule.update(est, rec(0.8))  # better by more than tol: reset to 0
    assert not rule.update(est, rec(0.8))  # 1
    assert not rule.update(est, rec(0.8))  # 2
    assert rule.update(est, rec(0.8))  # 3 > patience
    assert est.best_loss_ == 0.8
    assert "Training loss did not improve more than tol=0.1 for 2" in rule.message()


def test_stopping_rule_watches_validation_and_keeps_best_weights():
    model = SimpleNamespace(get_parameters=lambda: "weights", set_parameters=None)
    est = SimpleNamespace(best_loss_=np.inf, best_validation_score_=-np.inf, model_=model)
    rule = StoppingRule(patience=1, tol=0.0, restore_best=True)
    assert not rule.update(est, {logs.LOSS: 1.0, logs.VAL_SCORE: 0.5})
    model.get_parameters = lambda: "later weights"
    assert not rule.update(est, {logs.LOSS: 0.5, logs.VAL_SCORE: 0.4})
    assert rule.update(est, {logs.LOSS: 0.4, logs.VAL_SCORE: 0.3})
    assert est.best_validation_score_ == 0.5 and rule.best_params == "weights"
    restored = []
    model.set_parameters = restored.append
    rule.restore(model)
    assert restored == ["weights"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_callbacks_see_every_epoch_and_can_stop(blobs, small):
    seen = []

    class Stop(Callback):
        def on_train_begin(self, estimator):
            seen.append("begin")

        def on_epoch_end(self, estimator, epoch, logs):
            seen.append(epoch)
            assert estimator.n_iter_ == epoch == logs["epoch"]
            return epoch == 3

        def on_train_end(self, estimator):
            seen.append("end")

    est = small(max_epochs=50, callbacks=[Stop()]).fit(*blobs)
    assert seen == ["begin", 1, 2, 3, "end"]
    assert est.n_iter_ == 3


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_every_callback_sees_the_epoch_an_earlier_one_stops(blobs, small):
    later = []
    first = LambdaCallback(on_epoch_end=lambda est, epoch, logs: True)
    second = LambdaCallback(on_epoch_end=lambda est, epoch, logs: later.append(epoch))
    small(max_epochs=10, callbacks=[first, second]).fit(*blobs)
    assert later == [1]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_callback_exception_leaves_consistent_state(blobs, small):
    X, y = blobs
    ended = []

    def boom(est, epoch, logs):
        if epoch == 2:
            raise KeyboardInterrupt("pruned")

    est = small(
        max_epochs=10,
        callbacks=[LambdaCallback(on_epoch_end=boom, on_train_end=lambda e: ended.append(1))],
    )
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert ended == [1]
    assert est.n_iter_ == 2 == len(est.history_) == len(est.loss_curve_)
    assert est.predict(X).shape == (len(X),)


def test_convergence_warning_points_at_the_callers_fit(blobs, small):
    with pytest.warns(ConvergenceWarning, match="max_epochs=2") as record:
        small(max_epochs=2).fit(*blobs)
    assert record[0].filename == __file__


def test_no_convergence_warning_when_stopped_or_incremental(blobs, small):
    X, y = blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        small(max_epochs=200, n_iter_no_change=1, tol=10.0).fit(X, y)
        small().partial_fit(X, y, classes=[0, 1, 2])


def test_verbose_prints_epochs_and_the_stop(blobs, small, capsys):
    small(max_epochs=50, n_iter_no_change=1, tol=10.0, verbose=1).fit(*blobs)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Epoch 1, loss = ")
    assert lines[-1] == (
        "Training loss did not improve more than tol=10.0 for 1 consecutive epochs. Stopping."
    )
