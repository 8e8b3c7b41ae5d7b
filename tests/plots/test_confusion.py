"""Tests for nnfs_lab.plots.confusion: the annotated confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab import plots


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix(tmp_path, normalize, assert_png):
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
    with pytest.raises(ValueError, match="display_labels has 1 names for 2 labels"):
        plots.plot_confusion_matrix([0, 1], [0, 1], display_labels=["x"])
