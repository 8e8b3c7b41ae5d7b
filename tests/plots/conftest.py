"""Fixtures shared by the plot tests: headless backend, spiral data, a fitted model, PNG check."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.linear_model import LogisticRegression

from nnfs_lab.datasets import spiral

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _agg_backend(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("DISPLAY", raising=False)


@pytest.fixture(scope="module")
def spiral_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, y = spiral(60, 3, random_state=0)
    X_test, y_test = spiral(20, 3, random_state=1)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def fitted(spiral_data) -> LogisticRegression:
    X, y, _, _ = spiral_data
    return LogisticRegression(max_iter=500).fit(X, y)


def _assert_png(fig, tmp_path, name="fig.png"):
    assert isinstance(fig, Figure)
    path = tmp_path / name
    fig.savefig(path)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 2000
    return path


@pytest.fixture
def assert_png() -> Callable[..., object]:
    """``assert_png(fig, tmp_path)``: the figure renders to a non-trivial PNG file."""
    return _assert_png
