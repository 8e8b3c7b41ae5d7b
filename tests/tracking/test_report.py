"""The comparison rebuilt from a store written to the sweep's data contract."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from nnfs_lab import tracking
from nnfs_lab.tracking.report import build_report, compare_experiment, format_comparison
from nnfs_lab.tracking.report_views import pareto_figure

pytest.importorskip("mlflow")

NAN = math.nan
BEST_NNFS = {"lr": "0.0123456", "hidden_layer_sizes": "[128, 128, 128, 64, 64, 32]",
             "dropout": "0.1", "l2": "0.0001"}  # fmt: skip
NNFS_TRIALS = [("COMPLETE", 0.80, 2.0, 60), ("COMPLETE", 0.85, 3.0, 90),
               ("COMPLETE", 0.83, 4.0, 120), ("PRUNED", 0.50, 1.0, 10),
               ("FAIL", 0.0, 0.1, 999)]  # fmt: skip
MLP_TRIALS = [("COMPLETE", 0.82, 1.0, 200), ("COMPLETE", 0.81, 0.5, 200),
              ("COMPLETE", 0.84, 2.5, 200)]  # fmt: skip
ARTIFACTS = {"comparison.csv", "outer_scores.csv", "paired_tests.csv", "pareto.csv",
             "comparison.html", "comparison.png", "pareto.png"}  # fmt: skip


def _acc(seed: int, base: float) -> np.ndarray:
    return base + np.random.default_rng(seed).normal(0, 0.01, 15)


def _sweep(store, folds, name: str = "spiral") -> str:
    """mlp (written first) 0.80 at 200 epochs and 0.5 ms/epoch; nnfs 0.90, one FAILED fold."""
    exp = store.experiment(name)
    mlp = folds("mlp", _acc(1, 0.80), n_epochs=np.full(15, 200), ms=0.5)
    store.family(exp, "mlp", scores=mlp, trials=MLP_TRIALS)
    nnfs = folds("nnfs", _acc(0, 0.90), failed=[4], n_epochs=np.arange(40, 55), ms=1.0)
    store.family(exp, "nnfs", scores=nnfs, trials=NNFS_TRIALS, best=BEST_NNFS, wall=(10.0, 5.5))
    return exp


def test_family_table(store, folds):
    comp = compare_experiment(store.client, _sweep(store, folds), log=False)
    assert list(comp.table.family) == ["nnfs", "mlp"]  # nnfs first whatever the run order
    nnfs, mlp = (r for _, r in comp.table.iterrows())
    ok = np.delete(_acc(0, 0.90), 4)
    assert nnfs.test_accuracy_mean == pytest.approx(ok.mean())
    assert nnfs.test_accuracy_std == pytest.approx(ok.std(ddof=1))
    assert (nnfs.eval_complete, nnfs.eval_failed, nnfs.ms_per_epoch) == (14, 1, 1.0)
    # Trials: COMPLETE and PRUNED epochs (60, 90, 120, 10); the FAIL trial's 999 is not counted.
    assert (nnfs.trial_epochs_median, nnfs.trial_epochs_min, nnfs.trial_epochs_max) == (75, 10, 120)
    # Evaluation: COMPLETE folds only (epochs 40..54 without fold 4's 44).
    assert (nnfs.eval_epochs_median, nnfs.eval_epochs_min, nnfs.eval_epochs_max) == (47.5, 40, 54)
    assert (mlp.trial_epochs_median, mlp.eval_epochs_max) == (200, 200)
    counts = (nnfs.trials_complete, nnfs.trials_pruned, nnfs.trials_fail, nnfs.trials_lost)
    assert counts == (3, 1, 1, 0)
    assert nnfs.sweep_wall_s == pytest.approx(15.5) and mlp.sweep_wall_s == pytest.approx(10.0)
    assert nnfs.best_params == (
        "dropout=0.1, hidden_layer_sizes=[128, 128, 128, 64, 64, 32], l2=0.0001, lr=0.0123"
    )
    assert (nnfs.study, nnfs.objective, nnfs.best_val) == ("spiral-nnfs", "accuracy", 0.5)


def test_paired_comparisons_and_verdicts(store, folds):
    comp = compare_experiment(store.client, _sweep(store, folds), log=False)
    acc, ll = comp.tests
    assert (acc["a"], acc["b"], acc["metric"], ll["metric"]) == (
        "nnfs", "mlp", "test_accuracy", "test_log_loss")  # fmt: skip
    keep = np.arange(15) != 4
    d = _acc(0, 0.90)[keep] - _acc(1, 0.80)[keep]
    assert (acc["n_pairs"], acc["n_failed"]) == (14, 1)
    assert acc["mean_diff"] == pytest.approx(d.mean())
    assert acc["verdict"] == "better" and ll["verdict"] == "better"  # log loss = 1 - accuracy
    assert ll["mean_diff"] == pytest.approx(-d.mean())
    text = format_comparison(comp)
    assert f"nnfs is better than mlp on test accuracy: {d.mean():+.3f} (95% CI" in text
    assert "14 paired folds, 1 dropped (FAILED)" in text


def test_pareto_front_of_complete_trials(store, folds):
    comp = compare_experiment(store.client, _sweep(store, folds), log=False)
    front = {f: list(g.trial) for f, g in comp.pareto.groupby("family")}
    # nnfs: trial 2 (4 ms, 0.83) is beaten by trial 1 (3 ms, 0.85); the PRUNED (1 ms) and FAIL
    # (0.1 ms) trials are faster but not COMPLETE.
    assert front == {"nnfs": [0, 1], "mlp": [1, 0, 2]}
    fig = pareto_figure(comp)
    ax = fig.axes[0]
    steps = [line for line in ax.get_lines() if "Pareto" in line.get_label()]
    assert [list(line.get_xdata()) for line in steps] == [[2.0, 3.0], [0.5, 1.0, 2.5]]
    labels = ax.get_legend_handles_labels()[1]
    assert "nnfs best, outer test (1 ms/epoch)" in labels
    assert "mlp best, outer test (0.5 ms/epoch)" in labels


def test_terminal_text_shows_the_epochs_each_family_ran(store, folds):
    text = format_comparison(compare_experiment(store.client, _sweep(store, folds), log=False))
    nnfs_line = next(line for line in text.splitlines() if line.lstrip().startswith("nnfs "))
    assert "75 [10-120]" in nnfs_line and "47.5 [40-54]" in nnfs_line and "14/1" in nnfs_line
    assert "200 [200-200]" in text and "3/1/1/0" in nnfs_line
    assert "best nnfs: dropout=0.1, hidden_layer_sizes=[128, 128, 128, 64, 64, 32]" in text
    assert "nan" not in text.lower()


def _artifact(client, run_id: str, name: str, tmp_path) -> str:
    return open(client.download_artifacts(run_id, name, str(tmp_path))).read()


def test_logged_comparison_run(store, folds, tmp_path):
    c = store.client
    comp = compare_experiment(c, _sweep(store, folds), log=True)
    run = c.get_run(comp.run_id)
    assert run.info.status == "FINISHED" and run.data.tags["nnfs_lab.role"] == "comparison"
    m, t = run.data.metrics, run.data.tags
    assert m["nnfs.test_accuracy_mean"] == pytest.approx(comp.table.test_accuracy_mean[0])
    assert m["mlp.ms_per_epoch"] == 0.5 and m["nnfs.eval_failed"] == 1
    assert m["nnfs.trial_epochs_median"] == 75 and m["nnfs.sweep_wall_s"] == 15.5
    acc = comp.tests[0]
    for key in ("mean_diff", "ci_low", "ci_high", "p_corrected", "p_wilcoxon"):
        assert m[f"nnfs_vs_mlp.test_accuracy.{key}"] == pytest.approx(acc[key])
        assert f"nnfs_vs_mlp.test_log_loss.{key}" in m
    assert t["nnfs_vs_mlp.test_accuracy.verdict"] == "better"
    assert t["nnfs_vs_mlp.test_log_loss.verdict"] == "better"
    assert "nnfs is better than mlp" in t["mlflow.note.content"]
    arts = c.list_artifacts(comp.run_id)
    assert {a.path for a in arts} == ARTIFACTS and not any(a.is_dir for a in arts)

    table = pd.read_csv(io.StringIO(_artifact(c, comp.run_id, "comparison.csv", tmp_path)))
    assert table.test_accuracy_mean.dtype == float and table.sweep_wall_s.tolist() == [15.5, 10]
    scores = pd.read_csv(io.StringIO(_artifact(c, comp.run_id, "outer_scores.csv", tmp_path)))
    assert scores.groupby("family").size().to_dict() == {"mlp": 15, "nnfs": 15}
    assert scores.fit_seconds.dtype == float
    pareto = pd.read_csv(io.StringIO(_artifact(c, comp.run_id, "pareto.csv", tmp_path)))
    assert pareto.trial.tolist() == [0, 1, 1, 0, 2]
    tests = pd.read_csv(io.StringIO(_artifact(c, comp.run_id, "paired_tests.csv", tmp_path)))
    assert tests.verdict.tolist() == ["better", "better"] and tests.n_pairs.tolist() == [14, 14]

    page = _artifact(c, comp.run_id, "comparison.html", tmp_path)
    assert "<style>" in page and "border-collapse" in page
    assert page.index("nnfs is better than mlp on test accuracy") < page.index("<table")
    assert "hidden_layer_sizes=[128, 128, 128, 64, 64, 32], l2=0.0001, lr=0.0123" in page
    assert "..." not in page and ">nan<" not in page.lower()


def test_rebuild_updates_the_same_comparison_run(store, folds):
    c = store.client
    exp = _sweep(store, folds)
    first = compare_experiment(c, exp, log=True)
    (parent,) = tracking.search_all_runs(c, exp, tracking.tag_filter(role="parent", family="mlp"))
    tracking.log_batch_chunked(c, parent.info.run_id, metrics=[("test_accuracy_mean", 0.5, 0)])
    (again,) = build_report(store.uri, "spiral")
    assert again.run_id == first.run_id
    assert len(tracking.search_all_runs(c, exp, tracking.tag_filter(role="comparison"))) == 1
    run = c.get_run(again.run_id)
    assert run.info.status == "FINISHED" and run.data.metrics["mlp.test_accuracy_mean"] == 0.5


def test_unknown_experiment(store):
    with pytest.raises(tracking.NotFoundError, match="no experiment named 'nope'"):
        build_report(store.uri, "nope")


def test_a_comparison_is_read_again_only_when_a_parent_run_changed(store, folds, monkeypatch):
    from nnfs_lab.tracking import report

    c = store.client
    exp = _sweep(store, folds, "reread")
    logged = compare_experiment(c, exp, log=True)
    kept = len(report._BUILT)
    builds = []
    monkeypatch.setattr(report, "_build", lambda *a: builds.append(a) or logged)
    (same,) = build_report(store.uri, "reread", log=False)  # the overview after a sweep
    assert same is logged and builds == []
    (parent,) = tracking.search_all_runs(c, exp, tracking.tag_filter(role="parent", family="mlp"))
    c.set_tag(parent.info.run_id, "nnfs_lab.finalized", "another summary")
    build_report(store.uri, "reread", log=False)
    assert len(builds) == 1
    assert len(report._BUILT) == kept  # the stale comparison was replaced, not kept beside
    compare_experiment(c, exp, log=True)  # logging always reads the store again
    assert len(builds) == 2
