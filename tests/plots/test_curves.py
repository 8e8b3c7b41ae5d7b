"""Tests for nnfs_lab.plots.curves: learning curves from records, DataFrames and estimators."""

from __future__ import annotations

import pandas as pd
import pytest

from nnfs_lab import plots


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


def test_learning_curves_from_records(tmp_path, assert_png):
    fig = plots.plot_learning_curves(fake_history(), title="run")
    ax_loss, ax_score = fig.axes[:2]
    assert [line.get_label() for line in ax_loss.lines] == ["train", "validation"]
    assert len(ax_score.lines) == 2
    assert len(fig.axes) == 3  # the learning-rate twin axis
    assert fig.axes[2].get_ylabel() == "learning rate"
    assert_png(fig, tmp_path)


def test_learning_curves_from_dataframe_without_validation(tmp_path, assert_png):
    fig = plots.plot_learning_curves(pd.DataFrame(fake_history(with_val=False)))
    ax_loss, ax_score = fig.axes[:2]
    assert [line.get_label() for line in ax_loss.lines] == ["train"]
    assert [line.get_label() for line in ax_score.lines] == ["train"]
    assert_png(fig, tmp_path)


def test_learning_curves_loss_only_constant_lr(tmp_path, assert_png):
    history = [{"loss": 1.0 / e, "learning_rate": 0.01} for e in range(1, 20)]
    fig = plots.plot_learning_curves(history)
    assert len(fig.axes) == 1  # no empty score panel, no flat learning-rate axis
    assert "0.01, constant" in fig.axes[0].get_title()
    assert_png(fig, tmp_path)


def test_learning_curves_score_only_and_log_loss_axis():
    scores = [{"train_score": 0.5 + 0.01 * e} for e in range(1, 10)]
    fig = plots.plot_learning_curves(scores)
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "score"
    decades = [{"loss": 10.0 ** (-e)} for e in range(5)]
    assert plots.plot_learning_curves(decades).axes[0].get_yscale() == "log"


def test_learning_curves_from_estimator_history_attribute(tmp_path, assert_png):
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
