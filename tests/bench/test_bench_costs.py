"""The records' costs are timed on the sweep's own stores and functions, and explained exactly."""

from __future__ import annotations

import pytest

from nnfs_lab.bench import costs as costs_module
from nnfs_lab.bench.costs import explain, measure_costs
from nnfs_lab.bench.stores import record_rows
from nnfs_lab.sweeps.attrs import ATTR_FIT_SECONDS, ATTR_RUN_ID


def _stores(tmp_path):
    import optuna
    from mlflow import MlflowClient
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    (exp,) = [e for e in client.search_experiments() if e.name == "nnfs-lab-bench-costs"]
    runs = client.search_runs([exp.experiment_id], filter_string="tags.nnfs_lab.role = 'trial'")
    parent = runs[0].data.tags["mlflow.parentRunId"]
    rows = record_rows(client.tracking_uri, exp.experiment_id, parent)
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "optuna-journal.log")))
    trials = optuna.load_study(study_name="costs", storage=storage).get_trials()
    return runs, rows, trials


def test_measure_costs_writes_real_trial_runs_and_trials(tmp_path):
    costs = measure_costs(tmp_path, rounds=3, rows=7, params=2, checks=4)
    assert costs["rounds"] == 3
    # What was timed is in the stores: 4 MLflow variants and 3 Optuna variants, 3 rounds each.
    runs, rows, trials = _stores(tmp_path)
    assert len(runs) == 12 and {r.info.status for r in runs} == {"FINISHED"}
    # A sweep's trial-run tags: the worker, the environment, the note, Optuna's parameters.
    assert {"nnfs_lab.worker", "nnfs_lab.optuna_params"} <= set(runs[0].data.tags)
    # rows=7: two steps of three curves.
    assert sorted((r["metrics"], r["params"]) for r in rows) == sorted(
        [(0, 0)] * 3 + [(0, 1)] * 3 + [(0, 2)] * 3 + [(6, 0)] * 3
    )
    assert len(trials) == 9 and all(t.state.name == "COMPLETE" for t in trials)
    assert sorted(len(t.params) for t in trials) == [0] * 6 + [2] * 3
    assert sorted(len(t.intermediate_values) for t in trials) == [0] * 6 + [4] * 3
    # Claimed as a worker claims: owner attributes, then the trial's own.
    assert all({ATTR_RUN_ID, ATTR_FIT_SECONDS} <= set(t.user_attrs) for t in trials)
    assert all(len(t.user_attrs) > 2 for t in trials)


def test_measure_costs_derives_each_unit_from_its_variants(tmp_path, monkeypatch):
    mlflow = {"run": 10.0, "param": 12.5, "params": 13.0, "rows": 13.0}
    optuna = {"trial": 1.0, "params": 2.2, "checks": 3.0}

    def fixed(variants, rounds):  # each variant runs once; its time is set here
        for run in variants.values():
            run()
        timed = optuna if "trial" in variants else mlflow
        assert set(variants) == set(timed)
        return timed

    monkeypatch.setattr(costs_module, "_medians", fixed)
    c = measure_costs(tmp_path, rounds=1, rows=7, params=5, checks=4)
    assert c["mlflow_run_ms"] == 10.0
    assert c["mlflow_param_row_ms"] == pytest.approx((13.0 - 12.5) / 4)
    assert c["mlflow_params_ms"] == pytest.approx(12.5 - 10.0 - 0.125)
    assert c["mlflow_row_ms"] == pytest.approx(3.0 / 6)  # 7 rows asked: 6 logged
    assert c["optuna_trial_ms"] == 1.0
    assert c["optuna_param_ms"] == pytest.approx((2.2 - 1.0) / 5)
    assert c["optuna_check_ms"] == pytest.approx((3.0 - 1.0) / 4)


@pytest.mark.parametrize(("key", "value"), [("rows", 2), ("params", 1), ("checks", 0),
                                            ("rounds", 0)])  # fmt: skip
def test_measure_costs_names_a_count_too_small(tmp_path, key, value):
    with pytest.raises(ValueError, match=f"measure_costs: {key} must be >= "):
        measure_costs(tmp_path, **{key: value})
    assert not (tmp_path / "mlflow.db").exists()  # checked before anything is written


def test_explain_splits_the_floor_from_the_content():
    costs = {"mlflow_run_ms": 9.0, "mlflow_params_ms": 2.0, "mlflow_param_row_ms": 0.04,
             "mlflow_row_ms": 0.1, "optuna_trial_ms": 1.0, "optuna_param_ms": 0.05,
             "optuna_check_ms": 0.2}  # fmt: skip
    e = explain(costs, fit_ms=200.0, bookkeeping_ms=30.0, metric_rows=100, mlflow_params=15,
                optuna_params=10, checks=20)  # fmt: skip
    floor = 9.0 + 2.0 + 15 * 0.04 + 1.0 + 10 * 0.05
    assert e["floor_ms"] == pytest.approx(floor)
    assert e["content_ms"] == pytest.approx(100 * 0.1 + 20 * 0.2)
    assert e["explained_ms"] == pytest.approx(floor + 14.0)
    assert e["floor_share"] == pytest.approx(floor / (floor + 200))
    assert e["explained_share"] == pytest.approx((floor + 14) / (floor + 214))
    assert e["measured_share"] == pytest.approx(30 / 230)
    assert (e["metric_rows"], e["mlflow_params"], e["optuna_params"], e["checks"]) == (
        100, 15, 10, 20)  # fmt: skip
    # No MLflow param at all: no params write either.
    none = explain(costs, fit_ms=200.0, bookkeeping_ms=30.0, metric_rows=0, mlflow_params=0,
                   optuna_params=0, checks=0)  # fmt: skip
    assert none["floor_ms"] == pytest.approx(10.0)
