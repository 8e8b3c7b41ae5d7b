"""The scikit-learn contract of NNFSClassifier / NNFSRegressor and what they add to it."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from nnfs_lab import NNFSClassifier, NNFSRegressor
from nnfs_lab.callbacks import Callback, LambdaCallback
from nnfs_lab.datasets import spiral
from nnfs_lab.nn import DivergenceError, ModelFileError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@parametrize_with_checks([NNFSClassifier(), NNFSRegressor()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


def small(cls=NNFSClassifier, **kw):
    kw = {
        "hidden_layer_sizes": (16,),
        "max_epochs": 5,
        "learning_rate": 0.01,
        "batch_size": 32,
        "random_state": 0,
        **kw,
    }
    return cls(**kw)


# ---------------------------------------------------------------- parameter validation
@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("hidden_layer_sizes", (10, 0)),
        ("hidden_layer_sizes", "ten"),
        ("activation", "swish"),
        ("optimizer", "lbfgs"),
        ("learning_rate", 0.0),
        ("learning_rate", float("nan")),
        ("decay", -1e-3),
        ("momentum", 1.0),
        ("beta_2", 1.5),
        ("epsilon", 0),
        ("l1", -0.1),
        ("l2", "big"),
        ("dropout", 1.0),
        ("batch_size", 0),
        ("batch_size", "all"),
        ("max_epochs", 0),
        ("max_epochs", 2.5),
        ("shuffle", "yes"),
        ("validation_fraction", 1.0),
        ("n_iter_no_change", 0),
        ("tol", -1),
        ("weight_init", "xavier"),
        ("dtype", "float16"),
        ("callbacks", [object()]),
        ("class_weight", "auto"),
        ("class_weight", {0: -1.0}),
    ],
)
def test_invalid_parameter_is_named_at_fit(blobs, param, value):
    est = small(**{param: value})  # __init__ accepts anything, as sklearn requires
    with pytest.raises(ValueError, match=param.split("_")[0] if param == "class_weight" else param):
        est.fit(*blobs)


def test_regressor_rejects_unknown_loss():
    with pytest.raises(ValueError, match="'loss'"):
        small(NNFSRegressor, loss="huber").fit(np.zeros((4, 2)), np.zeros(4))


def test_sklearn_mlp_activation_names_accepted(blobs):
    small(activation="logistic").fit(*blobs)
    small(activation="identity").fit(*blobs)


# ---------------------------------------------------------------- sklearn integration
def test_pipeline_gridsearch_cross_val_clone_pickle(blobs):
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), small(max_epochs=20))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.5)

    grid = GridSearchCV(
        pipe,
        {"nnfsclassifier__learning_rate": [1e-3, 1e-2], "nnfsclassifier__l2": [0.0, 1e-4]},
        cv=2,
        n_jobs=2,
    ).fit(X, y)
    assert set(grid.best_params_) == {"nnfsclassifier__learning_rate", "nnfsclassifier__l2"}
    assert grid.best_estimator_.score(X, y) > 0.5

    est = pipe.fit(X, y)
    twin = clone(est)
    assert twin.get_params()["nnfsclassifier__max_epochs"] == 20
    assert not hasattr(twin[-1], "model_")
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def test_digits_accuracy_matches_mlpclassifier():
    """Same architecture, epochs, batch size and seeds: mean test accuracy within one point."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    ours, theirs = [], []
    for seed in range(3):
        nnfs = NNFSClassifier((100,), max_epochs=50, n_iter_no_change=50, random_state=seed)
        mlp = MLPClassifier((100,), max_iter=50, n_iter_no_change=50, random_state=seed)
        ours.append(make_pipeline(StandardScaler(), nnfs).fit(X_tr, y_tr).score(X_te, y_te))
        theirs.append(make_pipeline(StandardScaler(), mlp).fit(X_tr, y_tr).score(X_te, y_te))
    assert np.mean(ours) >= np.mean(theirs) - 0.01, (ours, theirs)
    assert np.mean(ours) > 0.95


# ---------------------------------------------------------------- targets
def test_binary_string_labels_and_probabilities():
    X, y = make_classification(n_samples=200, n_features=5, random_state=1)
    labels = np.array(["no", "yes"])[y]
    est = small(max_epochs=30).fit(X, labels)
    assert est.classes_.tolist() == ["no", "yes"]
    proba = est.predict_proba(X)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(proba))
    assert set(est.predict(X)) <= {"no", "yes"}
    assert est.coefs_[-1].shape == (16, 1)  # one sigmoid unit for two classes


def test_multiclass_proba_and_labels(blobs):
    X, y = blobs
    est = small(max_epochs=30).fit(X, y + 10)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])
    assert est.score(X, y + 10) > 0.7


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    est = small(max_epochs=60, learning_rate=0.01).fit(X, Y)
    assert est.predict(X).shape == (200, 4)
    assert set(np.unique(est.predict(X))) <= {0, 1}
    assert est.predict_proba(X).shape == (200, 4)
    assert est.score(X, Y) > 0.4  # subset accuracy


def test_single_class_and_unseen_labels_rejected(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="class"):
        small().fit(X, np.zeros(len(X)))
    est = small().partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"labels \[7\]"):
        est.partial_fit(X[:5], [0, 1, 2, 7, 0])
    with pytest.raises(ValueError, match="classes must be passed"):
        small().partial_fit(X, y)


def test_regressor_single_and_multi_output():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5], np.sin(X[:, 0])])
    reg = small(NNFSRegressor, hidden_layer_sizes=(32,), max_epochs=200, learning_rate=0.01)
    assert reg.fit(X, Y).predict(X).shape == (300, 2)
    assert reg.score(X, Y) > 0.9
    assert reg.fit(X, Y[:, 0]).predict(X).shape == (300,)
    mae = small(NNFSRegressor, loss="absolute_error", max_epochs=200, learning_rate=0.01)
    assert mae.fit(X, Y[:, 0]).score(X, Y[:, 0]) > 0.9


# ---------------------------------------------------------------- reproducibility, state
def test_same_random_state_is_bit_identical(blobs):
    X, y = blobs
    kw = dict(dropout=0.2, early_stopping=True, max_epochs=15)
    a, b = small(**kw).fit(X, y), small(**kw).fit(X, y)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = small(random_state=1, **kw).fit(X, y)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_partial_fit_epochs_equal_fit_epochs(blobs):
    X, y = blobs
    full = small(max_epochs=4, n_iter_no_change=100).fit(X, y)
    inc = small()
    for _ in range(4):
        inc.partial_fit(X, y, classes=np.unique(y))
    assert inc.n_iter_ == 4 and len(inc.history_) == 4
    np.testing.assert_array_equal(full.coefs_[0], inc.coefs_[0])


def test_warm_start_keeps_optimizer_state(blobs):
    """Two warm-started fits of 3 epochs equal one fit of 6 (MLPClassifier resets Adam)."""
    X, y = blobs
    six = small(max_epochs=6, n_iter_no_change=100).fit(X, y)
    warm = small(max_epochs=3, n_iter_no_change=100, warm_start=True).fit(X, y)
    steps = warm.model_.optimizer.iterations
    warm.fit(X, y)
    assert warm.model_.optimizer.iterations == 2 * steps
    assert warm.n_iter_ == 6
    np.testing.assert_array_equal(six.coefs_[0], warm.coefs_[0])
    # A changed learning rate reaches the live optimizer; a changed architecture is refused.
    warm.set_params(learning_rate=0.5).fit(X, y)
    assert warm.model_.optimizer.learning_rate == 0.5
    with pytest.raises(ValueError, match="architecture"):
        warm.set_params(hidden_layer_sizes=(8,)).fit(X, y)


def test_early_stopping_restores_best_weights(blobs):
    X, y = blobs
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, random_state=0)
    est = small(early_stopping=True, max_epochs=200, learning_rate=0.05, n_iter_no_change=5).fit(
        X_tr, y_tr, validation_data=(X_val, y_val)
    )
    assert est.n_iter_ < 200
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_)
    assert len(est.validation_loss_curve_) == est.n_iter_


def test_internal_validation_split_and_history_frame(blobs):
    est = small(early_stopping=True, max_epochs=8, n_iter_no_change=100).fit(*blobs)
    frame = est.history_frame()
    assert list(frame.index) == list(range(1, 9))
    assert {
        "loss",
        "data_loss",
        "regularization_loss",
        "train_score",
        "val_loss",
        "val_score",
        "learning_rate",
        "seconds",
    } <= set(frame.columns)
    assert frame["val_score"].notna().all()
    assert est.loss_curve_ == frame["loss"].tolist()


def test_l1_l2_regularization_loss_reported(blobs):
    est = small(l1=1e-3, l2=1e-3, max_epochs=3).fit(*blobs)
    rec = est.history_[-1]
    assert rec["regularization_loss"] > 0
    assert rec["loss"] == pytest.approx(rec["data_loss"] + rec["regularization_loss"])


def test_decay_lowers_learning_rate(blobs):
    est = small(decay=1e-2, learning_rate=0.1, max_epochs=3).fit(*blobs)
    lrs = [r["learning_rate"] for r in est.history_]
    assert lrs[0] < 0.1 and lrs[0] > lrs[1] > lrs[2]


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rmsprop", "adam"])
def test_every_optimizer_learns_spiral(optimizer):
    X, y = spiral(100, 3, random_state=0)
    lr = {"sgd": 0.1, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.01}[optimizer]
    est = NNFSClassifier(
        (64,),
        optimizer=optimizer,
        learning_rate=lr,
        max_epochs=300,
        batch_size=32,
        random_state=0,
    ).fit(X, y)
    assert est.score(X, y) > 0.6


def test_class_weight_shifts_predictions():
    X, y = make_classification(
        n_samples=400, n_features=4, weights=[0.9, 0.1], class_sep=0.3, random_state=0
    )
    plain = small(max_epochs=50).fit(X, y)
    balanced = small(max_epochs=50, class_weight="balanced").fit(X, y)
    assert (balanced.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()
    with pytest.raises(ValueError, match=r"not in classes_"):
        small(class_weight={5: 2.0}).fit(X, y)


def test_float32_end_to_end(blobs):
    X, y = blobs
    est = small(dtype="float32").fit(X, y)
    assert all(w.dtype == np.float32 for w in est.coefs_ + est.intercepts_)
    assert est.predict_proba(X).dtype == np.float32


# ---------------------------------------------------------------- callbacks
def test_callbacks_see_every_epoch_and_can_stop(blobs):
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


def test_callback_exception_leaves_consistent_state(blobs):
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


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_raises_and_leaves_no_nan_model(blobs):
    X, y = blobs
    est = small(optimizer="sgd", learning_rate=1e12, momentum=0.0, max_epochs=50)
    with pytest.raises(DivergenceError, match="learning rate"):
        est.fit(X * 1e3, y)
    with pytest.raises(NotFittedError):
        est.predict(X)


# ---------------------------------------------------------------- persistence
def test_save_load_round_trip(tmp_path, blobs):
    import pandas as pd

    X, y = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = small(dropout=0.1, max_epochs=10).fit(frame, np.array(["a", "b", "c"], object)[y])
    est.save(tmp_path / "clf.npz")
    back = NNFSClassifier.load(tmp_path / "clf.npz")
    np.testing.assert_array_equal(back.predict_proba(frame), est.predict_proba(frame))
    np.testing.assert_array_equal(back.predict(frame), est.predict(frame))
    assert back.get_params() == est.get_params()
    assert list(back.feature_names_in_) == list(frame.columns)
    assert back.history_ == est.history_
    # the optimizer state came back too: continuing training matches
    est.partial_fit(frame, np.array(["a", "b", "c"], object)[y])
    back.partial_fit(frame, np.array(["a", "b", "c"], object)[y])
    np.testing.assert_array_equal(back.coefs_[0], est.coefs_[0])
    with pytest.raises(ModelFileError, match="NNFSClassifier"):
        NNFSRegressor.load(tmp_path / "clf.npz")

    reg = small(NNFSRegressor).fit(X, X[:, 0])
    reg.save(tmp_path / "reg.npz")
    np.testing.assert_array_equal(
        NNFSRegressor.load(tmp_path / "reg.npz").predict(X), reg.predict(X)
    )


def test_mlflow_sklearn_flavor_round_trip(tmp_path, monkeypatch, blobs):
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    X, y = blobs
    pipe = make_pipeline(StandardScaler(), small(max_epochs=10)).fit(X, y)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(
                pipe,
                name="model",
                serialization_format="cloudpickle",
                pip_requirements=["scikit-learn", "numpy"],
            )
        served = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(served.predict(X), pipe.predict(X))


def test_convergence_warning_when_budget_ends(blobs):
    with pytest.warns(ConvergenceWarning, match="max_epochs=2"):
        small(max_epochs=2).fit(*blobs)
