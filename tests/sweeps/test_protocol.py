"""The shared protocol: one metric definition for every family, one stopping rule."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab.sweeps.config import ProtocolConfig
from nnfs_lab.sweeps.protocol import (
    VAL_ACCURACY,
    VAL_LOSS,
    EpochProtocol,
    StoppingRule,
    probability_scores,
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scores_match_sklearn_with_string_labels():
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 60)]
    est = MLPClassifier((5,), max_iter=30, random_state=0).fit(X, y)
    acc, ll = probability_scores(est, X, y)
    assert acc == pytest.approx(accuracy_score(y, est.predict(X)))
    assert ll == pytest.approx(log_loss(y, est.predict_proba(X), labels=est.classes_))


def test_stopping_rule_patience_and_min_delta():
    rule = StoppingRule(ProtocolConfig(stopping="val_loss", patience=2, min_delta=0.1))
    assert not rule.should_stop(1.0)  # first value: an improvement on infinity
    assert not rule.should_stop(0.95)  # not better by min_delta: 1 epoch waited
    assert rule.should_stop(0.93)  # 2 epochs without improvement: stop
    rule = StoppingRule(ProtocolConfig(stopping="val_loss", patience=2, min_delta=0.1))
    assert not rule.should_stop(1.0) and not rule.should_stop(0.95)
    assert not rule.should_stop(0.5)  # improved: the wait restarts
    off = StoppingRule(ProtocolConfig(stopping="none"))
    assert not any(off.should_stop(1.0) for _ in range(50))


def test_protocol_adds_metrics_then_hands_on():
    class Constant:
        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            return np.tile([0.25, 0.75], (len(X), 1))

    seen = []
    protocol = EpochProtocol(np.zeros((4, 2)), np.array([1, 1, 0, 1]),
                             StoppingRule(ProtocolConfig()), then=seen.append)  # fmt: skip
    assert protocol(Constant(), {"epoch": 1}) is False
    (record,) = seen
    assert record[VAL_ACCURACY] == 0.75
    assert record[VAL_LOSS] == pytest.approx(-(3 * np.log(0.75) + np.log(0.25)) / 4)
    assert protocol.history == [record]
