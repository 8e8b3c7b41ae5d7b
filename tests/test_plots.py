"""Tests for nnfs_lab.plots: every figure renders to PNG headless; the GIF recorder is bounded."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from nnfs_lab import plots
from nnfs_lab.datasets import load, spiral

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _agg_backend(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("DISPLAY", raising=False)


@pytest.fixture(scope="module")
def spiral_data():
    X, y = spiral(60, 3, random_state=0)
    X_test, y_test = spiral(20, 3, random_state=1)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def fitted(spiral_data):
    X, y, _, _ = spiral_data
    return LogisticRegression(max_iter=500).fit(X, y)


def assert_png(fig, tmp_path, name="fig.png"):
    assert isinstance(fig, Figure)
    path = tmp_path / name
    fig.savefig(path)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 2000
    return path


class FakeProbaModel:
    """A 'model' whose boundary rotates with a counter, to drive the recorder by hand."""

    classes_ = np.array([0, 1, 2])

    def __init__(self):
        self.angle = 0.0
        self.calls = 0

    def predict_proba(self, X):
        self.calls += 1
        logits = np.c_[X[:, 0], X[:, 1], -X[:, 0] - X[:, 1]] * math.cos(self.angle) * 3
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------------ decision boundary


def test_decision_boundary_with_test_points(spiral_data, fitted, tmp_path):
    X, y, X_test, y_test = spiral_data
    fig = plots.plot_decision_boundary(fitted, X, y, X_test=X_test, y_test=y_test, resolution=50)
    ax = fig.axes[0]
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (50, 50, 3)
    labels = ax.get_legend_handles_labels()[1]
    assert "0 (train)" in labels and "2 (test)" in labels
    assert_png(fig, tmp_path)


def test_decision_boundary_predict_only_and_string_labels(spiral_data, tmp_path):
    X, y, _, _ = spiral_data
    names = np.array(["a", "b", "c"])[y]
    model = LinearSVC().fit(X, names)  # no predict_proba: hard regions from predict
    fig = plots.plot_decision_boundary(model, X, names, resolution=40)
    assert_png(fig, tmp_path)


def test_decision_boundary_into_given_axes(spiral_data, fitted):
    X, y, _, _ = spiral_data
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    assert plots.plot_decision_boundary(fitted, X, y, ax=ax2, resolution=20) is fig
    assert ax2.images and not ax1.images


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.zeros((10, 3)), r"shape \(n_samples, 2\).*\(10, 3\)"),
        (np.zeros(10), r"shape \(n_samples, 2\).*\(10,\)"),
        (np.full((10, 2), np.nan), "NaN"),
    ],
)
def test_decision_boundary_rejects_bad_X(fitted, X, match):
    with pytest.raises(ValueError, match=match):
        plots.plot_decision_boundary(fitted, X, np.zeros(len(X), dtype=int))


def test_decision_boundary_rejects_mismatched_inputs(spiral_data, fitted):
    X, y, X_test, y_test = spiral_data
    with pytest.raises(ValueError, match="one label per row"):
        plots.plot_decision_boundary(fitted, X, y[:-1])
    with pytest.raises(ValueError, match="both X_test and y_test"):
        plots.plot_decision_boundary(fitted, X, y, X_test=X_test)
    with pytest.raises(ValueError, match="X_test of shape"):
        plots.plot_decision_boundary(fitted, X, y, X_test=X_test[:, :1], y_test=y_test)
    with pytest.raises(ValueError, match="not among the classes"):
        plots.plot_decision_boundary(fitted, X, y + 5)
    with pytest.raises(ValueError, match="class_names has 2 names for 3 classes"):
        plots.plot_decision_boundary(fitted, X, y, class_names=["a", "b"])


def test_plot_dataset(tmp_path):
    ds = load("circle", n_samples=100, random_state=0)
    fig = plots.plot_dataset(ds.X, ds.y, title="circle", class_names=ds.target_names)
    assert len(fig.axes[0].collections) == 2
    assert fig.axes[0].get_legend_handles_labels()[1] == ["ring", "disc"]
    assert_png(fig, tmp_path)
    with pytest.raises(ValueError, match="plot_dataset needs X of shape"):
        plots.plot_dataset(np.zeros((5, 4)), np.zeros(5))


# -------------------------------------------------------------------------- learning curves


def fake_history(n=30, with_val=True):
    return [
        {
            "epoch": e,
            "loss": 1.0 / e,
            "data_loss": 0.9 / e,
            "regularization_loss": 0.1 / e,
            "train_score": 1 - 0.5 / e,
            "val_loss": 1.1 / e if with_val else None,
            "val_score": 1 - 0.6 / e if with_val else float("nan"),
            "learning_rate": 0.01 / (1 + 0.1 * e),
            "seconds": 0.01,
        }
        for e in range(1, n + 1)
    ]


def test_learning_curves_from_records(tmp_path):
    fig = plots.plot_learning_curves(fake_history(), title="run")
    ax_loss, ax_score = fig.axes[:2]
    assert [line.get_label() for line in ax_loss.lines] == ["train", "validation"]
    assert len(ax_score.lines) == 2
    assert len(fig.axes) == 3  # the learning-rate twin axis
    assert fig.axes[2].get_ylabel() == "learning rate"
    assert_png(fig, tmp_path)


def test_learning_curves_from_dataframe_without_validation(tmp_path):
    fig = plots.plot_learning_curves(pd.DataFrame(fake_history(with_val=False)))
    ax_loss, ax_score = fig.axes[:2]
    assert [line.get_label() for line in ax_loss.lines] == ["train"]
    assert [line.get_label() for line in ax_score.lines] == ["train"]
    assert_png(fig, tmp_path)


def test_learning_curves_loss_only_constant_lr(tmp_path):
    history = [{"loss": 1.0 / e, "learning_rate": 0.01} for e in range(1, 20)]
    fig = plots.plot_learning_curves(history)
    assert len(fig.axes) == 1  # no empty score panel, no flat learning-rate axis
    assert "0.01, constant" in fig.axes[0].get_title()
    assert_png(fig, tmp_path)


def test_learning_curves_from_estimator_history_attribute(tmp_path):
    class Fitted:
        history_ = fake_history(5)

    assert_png(plots.plot_learning_curves(Fitted()), tmp_path)


def test_learning_curves_bad_input():
    with pytest.raises(ValueError, match="empty"):
        plots.plot_learning_curves([])
    with pytest.raises(ValueError, match="per-epoch dicts"):
        plots.plot_learning_curves([1.0, 2.0])
    with pytest.raises(ValueError, match="neither 'loss' nor 'train_score'"):
        plots.plot_learning_curves([{"epoch": 1, "seconds": 0.1}])


# ------------------------------------------------------------------------- confusion matrix


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix(tmp_path, normalize):
    y_true = np.array([0, 0, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 2])
    fig = plots.plot_confusion_matrix(
        y_true, y_pred, normalize=normalize, display_labels=["cat", "dog", "bird"]
    )
    ax = fig.axes[0]
    cm = ax.images[0].get_array()
    assert cm.shape == (3, 3)
    if normalize is None:
        assert cm[2, 0] == 1 and cm.sum() == 7
    elif normalize == "true":
        np.testing.assert_allclose(np.asarray(cm).sum(axis=1), 1)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "bird"]
    assert_png(fig, tmp_path)


def test_confusion_matrix_labels_subset_and_errors():
    fig = plots.plot_confusion_matrix(["a", "b", "c"], ["a", "c", "c"], labels=["c", "a"])
    assert fig.axes[0].images[0].get_array().shape == (2, 2)
    with pytest.raises(ValueError, match="normalize"):
        plots.plot_confusion_matrix([0], [0], normalize="rows")
    with pytest.raises(ValueError, match="y_true has 2 labels, y_pred 1"):
        plots.plot_confusion_matrix([0, 1], [0])


# ------------------------------------------------------------------------------ the recorder


def drive(recorder, model, n_epochs, *, stop_early_at=None):
    """Run the callback protocol by hand, as the estimator would."""
    recorder.on_train_begin(model)
    for epoch in range(1, n_epochs + 1):
        model.angle = epoch / 50
        logs = {"epoch": epoch, "loss": 1 / epoch, "train_score": 0.5, "val_score": float("nan")}
        assert not recorder.on_epoch_end(model, epoch, logs)
        if epoch == stop_early_at:
            break
    recorder.on_train_end(model)


def test_recorder_every_k_epochs(spiral_data):
    X, y, _, _ = spiral_data
    rec = plots.DecisionBoundaryRecorder(X, y, every=5, max_frames=100, resolution=20)
    drive(rec, FakeProbaModel(), 50)
    assert rec.epochs == list(range(5, 51, 5))
    assert rec.n_frames == 10


def test_empty_recorder_is_truthy(spiral_data):
    # Estimators may filter callbacks with `if cb:`; a recorder with no frames must survive.
    X, y, _, _ = spiral_data
    assert plots.DecisionBoundaryRecorder(X, y)


def test_recorder_adds_final_epoch(spiral_data):
    X, y, _, _ = spiral_data
    rec = plots.DecisionBoundaryRecorder(X, y, every=10, max_frames=100, resolution=20)
    drive(rec, FakeProbaModel(), 100, stop_early_at=37)  # early stopping mid-way
    assert rec.epochs == [10, 20, 30, 37]


@pytest.mark.parametrize("n_epochs", [59, 60, 61, 200, 10_000])
def test_recorder_is_bounded_by_max_frames(spiral_data, n_epochs):
    X, y, _, _ = spiral_data
    model = FakeProbaModel()
    rec = plots.DecisionBoundaryRecorder(X, y, every=1, max_frames=60, resolution=8)
    drive(rec, model, n_epochs)
    assert rec.n_frames <= 60
    assert rec.epochs[-1] == n_epochs
    assert rec.epochs == sorted(set(rec.epochs))
    if n_epochs >= 120:
        # Thinned evenly: at least a quarter of the budget used, spread over the whole run.
        assert rec.n_frames >= 15 and rec.epochs[0] <= n_epochs / 4
    # Thinning is by doubling `every`, so predict_proba ran about 2 * max_frames times, not
    # n_epochs times: long runs are not slowed down by the recorder.
    assert model.calls <= 2 * 60 + int(math.log2(max(n_epochs, 2))) * 60


def test_recorder_resets_on_a_new_fit(spiral_data):
    X, y, _, _ = spiral_data
    rec = plots.DecisionBoundaryRecorder(X, y, every=2, resolution=8)
    drive(rec, FakeProbaModel(), 20)
    drive(rec, FakeProbaModel(), 6)
    assert rec.epochs == [2, 4, 6]


def test_recorder_with_real_sklearn_model_and_gif(spiral_data, tmp_path):
    X, y, X_test, y_test = spiral_data
    rec = plots.DecisionBoundaryRecorder(
        X, y, every=1, max_frames=6, resolution=30, X_test=X_test, y_test=y_test
    )
    model = LogisticRegression(max_iter=1, warm_start=True)
    rec.on_train_begin(model)
    for epoch in range(1, 15):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning from max_iter=1
            model.fit(X, y)
        rec.on_epoch_end(model, epoch, {"loss": 1.0 / epoch, "train_score": model.score(X, y)})
    rec.on_train_end(model)
    assert rec.n_frames <= 6 and rec.epochs[-1] == 14

    path = rec.save_gif(tmp_path / "sub" / "boundary.gif", fps=4)
    assert path.read_bytes()[:6] in (b"GIF87a", b"GIF89a")
    with Image.open(path) as gif:
        assert gif.n_frames == rec.n_frames
        assert gif.info.get("loop") == 0
    assert_png(rec.plot_frame(), tmp_path)


def test_recorder_as_nnfs_callback_writes_bounded_gif(spiral_data, tmp_path):
    from nnfs_lab import NNFSClassifier

    X, y, X_test, y_test = spiral_data
    rec = plots.DecisionBoundaryRecorder(
        X, y, every=1, max_frames=8, resolution=16, X_test=X_test, y_test=y_test
    )
    clf = NNFSClassifier(
        (16,),
        learning_rate=0.02,
        max_epochs=40,
        n_iter_no_change=100,
        random_state=0,
        callbacks=[rec],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert 4 <= rec.n_frames <= 8 and rec.epochs[-1] == clf.n_iter_ == 40
    with Image.open(rec.save_gif(tmp_path / "nnfs.gif")) as gif:
        assert gif.n_frames == rec.n_frames


def test_recorder_bad_input(spiral_data):
    X, y, _, _ = spiral_data
    with pytest.raises(ValueError, match=r"X of shape \(n_samples, 2\)"):
        plots.DecisionBoundaryRecorder(np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="max_frames"):
        plots.DecisionBoundaryRecorder(X, y, max_frames=1)
    with pytest.raises(ValueError, match="every"):
        plots.DecisionBoundaryRecorder(X, y, every=0)
    with pytest.raises(ValueError, match="no frames yet"):
        plots.DecisionBoundaryRecorder(X, y).save_gif("never.gif")


def test_plots_module_does_not_import_pyplot():
    import subprocess
    import sys

    code = (
        "import sys, nnfs_lab.plots, nnfs_lab.datasets;"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
