from __future__ import annotations

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from nnfs_lab.sweeps import families  # noqa: E402

SPACE = """
[dataset]
name = "spiral"
params = { n_samples = 20 }
[models.mlp.search]
hidden_layer_sizes = { choices = [[8], [8, 4]] }
solver = { choices = ["adam", "sgd"] }
momentum = { low = 0.5, high = 0.9, when = { solver = "sgd" } }
alpha = { low = 1e-6, high = 1e-2, log = true, allow_zero = true }
batch_size = { low = 8, high = 64, log = true }
"""


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scores_match_sklearn():
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 60)]
    est = MLPClassifier((5,), max_iter=30, random_state=0).fit(X, y)
    acc, ll = families.probability_scores(est, X, y)
    assert acc == pytest.approx(accuracy_score(y, est.predict(X)))
    assert ll == pytest.approx(log_loss(y, est.predict_proba(X), labels=est.classes_))
