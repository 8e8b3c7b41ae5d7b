"""Targets and the printed tables, on hand-made results."""

from __future__ import annotations

import json

from nnfs_lab.bench.report import format_sweep, format_targets, targets, write


def _sweep_figures(bookkeeping_ms, share, tpm):
    fam = {
        "trials": 80,
        "wall_seconds": 60.0,
        "trials_per_minute": tpm,
        "bookkeeping_ms_per_trial": bookkeeping_ms,
        "fit_ms_per_trial": 300.0,
        "trial_ms": 300.0 + bookkeeping_ms,
        "bookkeeping_share": share,
        "outside_trials_share": 0.01,
        "counts": {"COMPLETE": 70, "PRUNED": 10},
    }
    return {**fam, "runs": 2, "driver_seconds": 90.0, "families": {"nnfs": fam, "mlp": fam}}


SWEEP = {
    "config": "experiments/spiral.toml",
    "experiment": "spiral",
    "n_trials": 40,
    "max_epochs": 200,
    "families": ["nnfs", "mlp"],
    "order": [1, 2, 2, 1],
    "store_seconds": [1.5, 2.0, 1.8, 1.6],
    "1": _sweep_figures(100.0, 0.04, 80.0),
    "2": _sweep_figures(150.0, 0.30, 120.0),
    "speedup_2_vs_1": 1.5,
}


def test_sweep_targets_are_judged_per_worker_count():
    rows = {(r["target"], r["where"]): r for r in targets({"workloads": [], "sweep": SWEEP})}
    assert rows[("sweep_ms_per_trial", "1 worker(s)")]["met"]
    assert not rows[("sweep_ms_per_trial", "2 worker(s)")]["met"]
    assert rows[("sweep_share", "1 worker(s)")]["met"]
    assert not rows[("sweep_share", "2 worker(s)")]["met"]
    assert not rows[("sweep_speedup", "spiral trials")]["met"]
    text = format_targets(list(rows.values()), 12.0)
    assert "MISSED sweep bookkeeping ms per trial [2 worker(s)]: 150" in text


def test_format_sweep_has_store_creation_families_and_driver_rows():
    text = format_sweep(SWEEP)
    assert (
        "store creation (MLflow sqlite schema migrations, before the sweep): median 1.70 s" in text
    )
    lines = text.splitlines()
    assert sum(line.split()[:2] in (["1", "nnfs"], ["2", "mlp"]) for line in lines) == 2
    assert sum(line.split()[:2] == ["1", "all"] for line in lines) == 1
    assert "driver total, 2 worker(s): 90.0 s" in text
    assert "1.50x" in text
    assert "what a trial's records cost" not in text  # no costs measured


def test_format_sweep_lists_the_records_costs_and_what_they_explain():
    costs = {"mlflow_run_ms": 9.5, "mlflow_params_ms": 2.2, "mlflow_param_row_ms": 0.044,
             "mlflow_row_ms": 0.07, "optuna_trial_ms": 1.6, "optuna_param_ms": 0.08,
             "optuna_check_ms": 0.14, "rounds": 40}  # fmt: skip
    explained = {"metric_rows": 128.0, "mlflow_params": 16.0, "optuna_params": 9.0,
                 "checks": 34.0, "floor_ms": 14.4, "content_ms": 13.7, "explained_ms": 28.1,
                 "bookkeeping_ms": 36.3, "fit_ms": 243.0, "floor_share": 0.056,
                 "explained_share": 0.104, "measured_share": 0.13}  # fmt: skip
    text = format_sweep({**SWEEP, "costs": costs, "explained": {"nnfs": explained}})
    assert "(start_trial_run + finish_trial_run): 9.50 ms; its params' write 2.20 ms" in text
    assert "+ 0.044 ms per param; per metric row 0.070 ms" in text
    assert "1.60 ms; per parameter 0.080 ms; per pruner check (report + should_prune) 0.140" in text
    (row,) = [line for line in text.splitlines() if line.startswith("nnfs ")]
    assert row.split() == ["nnfs", "128", "16.0", "/", "9.0", "34.0", "14.4", "13.7", "28.1",
                           "36.3", "243", "5.6%", "10.4%", "13.0%"]  # fmt: skip


def test_nothing_measured_means_no_targets(tmp_path):
    assert targets({"workloads": []}) == []
    lines: list[str] = []
    write({"a": 1}, ["table"], tmp_path, lines.append)
    assert json.loads((tmp_path / "latest.json").read_text()) == {"a": 1}
    assert (tmp_path / "latest.txt").read_text() == "table\n"
    assert lines and "latest.json" in lines[0]
