"""The records' costs are timed on the sweep's own stores and functions, and explained exactly."""

from __future__ import annotations

import pytest

from nnfs_lab.bench.costs import explain, measure_costs
from nnfs_lab.bench.stores import metric_rows


def test_measure_costs_writes_real_trial_runs_and_trials(tmp_path):
    import optuna
    from mlflow import MlflowClient
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    costs = measure_costs(tmp_path, rounds=3, rows=6, params=2, checks=4)
    assert costs["rounds"] == 3
    assert costs["mlflow_run_ms"] > 0 and costs["optuna_trial_ms"] > 0
    # What was timed is in the stores: 2 MLflow variants and 3 Optuna variants, 3 rounds each.
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    (exp,) = [e for e in client.search_experiments() if e.name == "nnfs-lab-bench-costs"]
    runs = client.search_runs([exp.experiment_id], filter_string="tags.nnfs_lab.role = 'trial'")
    assert len(runs) == 6 and {r.info.status for r in runs} == {"FINISHED"}
    parent = runs[0].data.tags["mlflow.parentRunId"]
    assert sorted(metric_rows(client.tracking_uri, exp.experiment_id, parent)) == [0] * 3 + [6] * 3
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "optuna-journal.log")))
    trials = optuna.load_study(study_name="costs", storage=storage).get_trials()
    assert len(trials) == 9 and all(t.state.name == "COMPLETE" for t in trials)
    assert sorted(len(t.params) for t in trials) == [0] * 6 + [2] * 3
    assert sorted(len(t.intermediate_values) for t in trials) == [0] * 6 + [4] * 3


def test_explain_splits_the_floor_from_the_content():
    costs = {"mlflow_run_ms": 9.0, "mlflow_row_ms": 0.1, "optuna_trial_ms": 1.0,
             "optuna_param_ms": 0.05, "optuna_check_ms": 0.2}  # fmt: skip
    e = explain(costs, fit_ms=200.0, bookkeeping_ms=30.0, curve_rows=100, params=10, checks=20)
    assert e["floor_ms"] == pytest.approx(9.0 + 1.0 + 10 * (0.05 + 0.1))
    assert e["content_ms"] == pytest.approx(100 * 0.1 + 20 * 0.2)
    assert e["explained_ms"] == pytest.approx(11.5 + 14.0)
    assert e["floor_share"] == pytest.approx(11.5 / 211.5)
    assert e["explained_share"] == pytest.approx(25.5 / 225.5)
    assert (e["bookkeeping_ms"], e["fit_ms"], e["curve_rows"]) == (30.0, 200.0, 100)
