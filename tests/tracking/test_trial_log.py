from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_lab import tracking

pytest.importorskip("mlflow")


@pytest.fixture
def client(tmp_cwd: Path):
    uri = tracking.resolve_tracking_uri(None)
    return tracking.get_client(uri), uri


def test_history_metrics_skips_non_finite():
    hist = [
        {"epoch": 1, "loss": 1.0, "val_loss": float("nan"), "note": "x"},
        {"epoch": 2, "loss": 0.5, "val_loss": 0.7, "step": 12},
    ]
    assert tracking.history_metrics(hist) == [
        ("loss", 1.0, 1),
        ("loss", 0.5, 12),
        ("val_loss", 0.7, 12),
    ]
