"""The comparison rebuilt from parent runs alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_lab import tracking
from nnfs_lab.tracking.report import build_report, compare_experiment, format_comparison

pytest.importorskip("mlflow")


def _parent(client, exp: str, family: str, acc: list[float]) -> str:
    rid = tracking.ensure_parent_run(client, exp, study_name=f"r-{family}", family=family,
                                     params={}, tags={})  # fmt: skip
    metrics = [("test_accuracy", a, i) for i, a in enumerate(acc)]
    metrics += [("test_log_loss", 1 - a, i) for i, a in enumerate(acc)]
    metrics += [("fit_seconds_per_epoch", 0.01, i) for i in range(len(acc))]
    tracking.log_batch_chunked(client, rid, metrics=metrics, tags={"best.lr": "0.01"})
    client.set_terminated(rid, "FINISHED")
    return rid


def test_comparison_from_the_store(tmp_cwd: Path):
    uri = tracking.resolve_tracking_uri(None)
    client = tracking.get_client(uri)
    exp = tracking.ensure_experiment(client, "r", uri)
    _parent(client, exp, "nnfs", [0.9, 0.8, 0.85])
    _parent(client, exp, "mlp", [0.7, 0.75, 0.8])
    comp = compare_experiment(client, exp, log=True)
    table = comp.table.set_index("family")
    assert table.loc["nnfs", "test_acc_mean"] == pytest.approx(0.85)
    assert table.loc["mlp", "test_acc_std"] == pytest.approx(0.05)
    assert table.loc["nnfs", "ms_per_epoch"] == pytest.approx(10.0)
    assert len(comp.seeds) == 6 and comp.tests[0]["n"] == 3
    text = format_comparison(comp)
    assert "0.8500 ± 0.0500" in text and "best nnfs: lr=0.01" in text
    run = client.get_run(comp.run_id)
    assert run.data.metrics["nnfs.test_acc_mean"] == pytest.approx(0.85)
    # Rebuilding updates the same comparison run instead of adding one.
    (again,) = build_report(uri, "r")
    assert again.run_id == comp.run_id
