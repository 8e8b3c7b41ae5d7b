"""The sweep section times the real driver: what it reports agrees with the stores it wrote."""

from __future__ import annotations

import math

import pytest
import tomllib

from nnfs_lab.bench.stores import FIT_SECONDS_ATTR
from nnfs_lab.bench.sweep import DEFAULT_CONFIG, budget_config, measure_sweep, summarize


def test_budget_config_overrides_only_the_budget(tmp_path):
    parsed = budget_config(DEFAULT_CONFIG, tmp_path / "e.toml", max_epochs=7)
    original = tomllib.loads(DEFAULT_CONFIG.read_text())
    assert parsed["budget"]["max_epochs"] == 7
    assert parsed["budget"]["n_trials"] == original["budget"]["n_trials"]
    assert parsed["models"] == original["models"] and parsed["pruner"] == original["pruner"]
    written = tomllib.loads((tmp_path / "e.toml").read_text())
    assert {**written, "skipped_overrides": []} == parsed


def test_budget_config_skips_a_key_the_file_does_not_set(tmp_path):
    # A key the experiment schema may not know is never added: the sweep would reject it.
    src = tmp_path / "src.toml"
    src.write_text('name = "x"\n\n[budget]  # per family\nmax_epochs = 9\n\n[split]\ncv = 2\n')
    parsed = budget_config(src, tmp_path / "out.toml", max_epochs=4, generation_size=2)
    assert parsed["budget"] == {"max_epochs": 4}
    assert parsed["skipped_overrides"] == ["generation_size"]
    assert parsed["split"] == {"cv": 2}


def _part(family, wall, trials, workers=1, rows=None):
    return {
        "family": family,
        "wall_seconds": wall,
        "workers": workers,
        "record_rows": rows,
        "trials": [
            {"number": i, "state": s, "seconds": d, "fit_seconds": f, "params": 3, "reports": i}
            for i, (s, d, f) in enumerate(trials)
        ],
    }


def test_summarize_pools_totals_then_rates():
    parts = [
        _part("nnfs", 2.0, [("COMPLETE", 0.5, 0.4), ("PRUNED", 0.3, 0.2)]),
        _part(
            "mlp",
            1.0,
            [("COMPLETE", 0.9, 0.4)],
            workers=2,
            rows=[{"metrics": 10, "params": 4}, {"metrics": 20, "params": 6}],
        ),  # fmt: skip
    ]
    s = summarize(parts)
    assert s["optuna_params_per_trial"] == 3 and s["reports_per_trial"] == pytest.approx(1 / 3)
    # The runs counted: the mlp part's.
    assert s["metric_rows_per_trial"] == 15 and s["mlflow_params_per_trial"] == 5
    assert s["trials"] == 3 and s["counts"] == {"COMPLETE": 2, "PRUNED": 1}
    assert s["bookkeeping_ms_per_trial"] == pytest.approx(1000 * (1.7 - 1.0) / 3)
    # Worker time: 1 x 2.0 s + 2 x 1.0 s.
    assert s["bookkeeping_share"] == pytest.approx(1 - 1.0 / 4.0)
    assert s["outside_trials_share"] == pytest.approx(1 - 1.7 / 4.0)
    assert s["trials_per_minute"] == pytest.approx(60 * 3 / 3.0)
    missing = summarize([_part("nnfs", 1.0, [("FAIL", 0.1, None)])])
    assert missing["trials_without_fit_seconds"] == 1
    assert math.isnan(missing["bookkeeping_ms_per_trial"])


def _check_against_stores(res, tmp_path, budget):
    """Every run's figures match what its own MLflow store and Optuna journal hold."""
    from collections import Counter

    import optuna
    from mlflow import MlflowClient
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    for i, run in enumerate(res["runs"]):
        run_dir = tmp_path / f"run{i}-w{run['workers']}"
        client = MlflowClient(tracking_uri=f"sqlite:///{run_dir / 'mlflow.db'}")
        experiments = [e.experiment_id for e in client.search_experiments()]
        runs = client.search_runs(experiments, max_results=1000)
        children = Counter(r.data.tags.get("mlflow.parentRunId") for r in runs)
        children.pop(None, None)  # the parent runs themselves
        # One MLflow child run per trial, under one parent per family.
        assert sorted(children.values()) == [budget] * len(run["parts"])
        storage = JournalStorage(JournalFileBackend(str(run_dir / "optuna-journal.log")))
        for part in run["parts"]:
            study = optuna.load_study(study_name=part["study"], storage=storage)
            finished = [t for t in study.get_trials() if t.state.is_finished()]
            assert len(finished) == budget == len(part["trials"]) == part["trials_run"]
            assert part["mlflow_child_runs"] == budget
            assert all(FIT_SECONDS_ATTR in t.user_attrs for t in finished)
            for t in part["trials"]:
                assert t["seconds"] >= t["fit_seconds"] >= 0


def test_sweep_section_runs_the_real_driver(tmp_path, monkeypatch):
    import nnfs_lab.sweeps

    calls = []
    real = nnfs_lab.sweeps.sweep

    def spy(configs, **kwargs):
        calls.append(kwargs)
        return real(configs, **kwargs)

    monkeypatch.setattr(nnfs_lab.sweeps, "sweep", spy)
    res = measure_sweep(
        n_trials=2, max_epochs=3, order=(1,), families=["nnfs"], workdir=tmp_path, cost_rounds=2
    )
    assert len(calls) == 1
    assert calls[0]["compare"] is False and calls[0]["workers"] == 1
    assert calls[0]["overlap_summaries"] is False
    assert calls[0]["tracking_uri"] == f"sqlite:///{tmp_path / 'run0-w1' / 'mlflow.db'}"
    assert res["families"] == ["nnfs"] and res["max_epochs"] == 3 and res["n_trials"] == 2
    assert len(res["store_seconds"]) == 1 and res["store_seconds"][0] > 0
    one = res["1"]
    assert one["trials"] == 2 and one["counts"] == {"COMPLETE": 2}
    assert one["bookkeeping_ms_per_trial"] >= 0 and 0 <= one["bookkeeping_share"] <= 1
    assert one["driver_seconds"] >= one["wall_seconds"] > 0
    _check_against_stores(res, tmp_path, budget=2)
    # The one-worker run's trial runs are counted row by row, and explained with the costs.
    (part,) = res["runs"][0]["parts"]
    rows = part["record_rows"]
    assert len(rows) == 2 and min(r["metrics"] for r in rows) > 0
    e = res["explained"]["nnfs"]
    assert set(res["explained"]) == {"nnfs"}  # one family: no "all" row
    assert e["metric_rows"] == sum(r["metrics"] for r in rows) / 2
    # NNFS params under shared and native names: more MLflow params than Optuna parameters.
    assert e["mlflow_params"] == sum(r["params"] for r in rows) / 2 > e["optuna_params"] > 0
    assert e["optuna_params"] == one["optuna_params_per_trial"]
    assert e["bookkeeping_ms"] == one["bookkeeping_ms_per_trial"]
    assert res["costs"]["rounds"] == 2 and (tmp_path / "costs" / "mlflow.db").is_file()


@pytest.mark.slow
def test_sweep_section_with_two_workers_and_both_families(tmp_path):
    res = measure_sweep(n_trials=3, max_epochs=3, order=(2, 1), workdir=tmp_path, cost_rounds=2)
    assert res["families"] == ["nnfs", "mlp"]
    # The records counted are the one-worker run's (the second), explained per family and for all.
    assert res["runs"][0]["parts"][0]["record_rows"] is None
    assert all(len(p["record_rows"]) == 3 for p in res["runs"][1]["parts"])
    assert set(res["explained"]) == {"nnfs", "mlp", "all"}
    assert res["explained"]["all"]["fit_ms"] == res["1"]["fit_ms_per_trial"]
    assert [r["workers"] for r in res["runs"]] == [2, 1]
    for w in ("1", "2"):
        assert res[w]["trials"] == 6 and set(res[w]["families"]) == {"nnfs", "mlp"}
        assert res[w]["bookkeeping_ms_per_trial"] >= 0
    assert all(p["workers"] == 2 for p in res["runs"][0]["parts"])
    assert res["speedup_2_vs_1"] > 0
    _check_against_stores(res, tmp_path, budget=3)
