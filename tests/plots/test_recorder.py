"""Tests for nnfs_lab.plots.recorder: the boundary recorder is bounded and writes GIFs."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression

from nnfs_lab import plots


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


def test_recorder_with_real_sklearn_model_and_gif(spiral_data, tmp_path, assert_png):
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
    X, y, X_test, _ = spiral_data
    with pytest.raises(ValueError, match=r"X of shape \(n_samples, 2\)"):
        plots.DecisionBoundaryRecorder(np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="max_frames"):
        plots.DecisionBoundaryRecorder(X, y, max_frames=1)
    with pytest.raises(ValueError, match="every"):
        plots.DecisionBoundaryRecorder(X, y, every=0)
    with pytest.raises(ValueError, match="no frames yet"):
        plots.DecisionBoundaryRecorder(X, y).save_gif("never.gif")
    with pytest.raises(ValueError, match="no frames yet"):
        plots.DecisionBoundaryRecorder(X, y).plot_frame()
    with pytest.raises(ValueError, match="both X_test and y_test"):
        plots.DecisionBoundaryRecorder(X, y, X_test=X_test)


def test_frames_are_rendered_once_for_images_and_gif_and_again_after_a_new_fit(
    spiral_data, tmp_path, monkeypatch
):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    X, y, _, _ = spiral_data
    draws = []
    real_draw = FigureCanvasAgg.draw
    monkeypatch.setattr(FigureCanvasAgg, "draw", lambda self: (draws.append(1), real_draw(self)))
    rec = plots.DecisionBoundaryRecorder(X, y, every=2, max_frames=5, resolution=20)
    model = FakeProbaModel()
    drive(rec, model, 10)
    first = rec.render_frames(dpi=30)
    with Image.open(rec.save_gif(tmp_path / "a.gif", dpi=30)) as gif:
        assert gif.n_frames == len(first) == 5
    assert len(draws) == 5  # the GIF reused the rendered frames
    drive(rec, model, 4)  # a new fit: new frames, rendered anew
    again = rec.render_frames(dpi=30)
    assert len(draws) == 5 + 2 and len(again) == 2


def test_gif_frames_share_one_palette_and_stay_close_to_the_rendered_frames(spiral_data, tmp_path):
    """One colour of the rendered frames is one colour of the GIF in every frame (no flicker
    between frames), and the frames differ from the rendering by about 1/255 per channel."""
    from nnfs_lab import NNFSClassifier

    X, y, _, _ = spiral_data
    rec = plots.DecisionBoundaryRecorder(X, y, every=2, max_frames=6, resolution=24)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        NNFSClassifier((16,), learning_rate=0.05, max_epochs=12, random_state=0,
                       callbacks=[rec]).fit(X, y)  # fmt: skip
    rendered = [rgb for _, rgb in rec.render_frames(dpi=40)]
    mapped: dict[tuple, set] = {}
    with Image.open(rec.save_gif(tmp_path / "b.gif", dpi=40)) as gif:
        for i, rgb in enumerate(rendered):
            gif.seek(i)
            out = np.asarray(gif.convert("RGB"))
            assert np.abs(out.astype(float) - rgb).mean() < 2.5
            for a, b in zip(rgb.reshape(-1, 3)[::7], out.reshape(-1, 3)[::7]):
                mapped.setdefault(tuple(a), set()).add(tuple(b))
    assert max(len(v) for v in mapped.values()) == 1
