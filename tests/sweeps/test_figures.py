"""The study's figures: Optuna's plots and the importances computed once by the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_lab.sweeps.figures import plot_importances, study_plots

optuna = pytest.importorskip("optuna")


def _study():
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.suggest_float("y", 0, 1)
        for step in range(1, 4):
            trial.report(x * step, step)
        return x

    study.optimize(objective, n_trials=4)
    return study


def test_importances_are_drawn_largest_on_top_with_their_values():
    fig = plot_importances({"lr": 0.7, "l2": 0.2, "dropout": 0.1}, "fANOVA")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dropout", "l2", "lr"]
    assert [round(p.get_width(), 2) for p in ax.patches] == [0.1, 0.2, 0.7]
    assert ax.get_title(loc="left") == "fANOVA"


def test_study_plots_draw_the_given_importances_and_report_missing_ones(tmp_path: Path):
    skipped = {}
    paths = study_plots(_study(), tmp_path, lambda n, r: skipped.setdefault(n, r),
                        importances={"x": 0.9, "y": 0.1}, importance_title="t")  # fmt: skip
    assert sorted(p.name for p in paths) == ["intermediate_values.png", "optimization_history.png",
                                             "param_importances.png"]  # fmt: skip
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths) and not skipped
    (tmp_path / "none").mkdir()
    paths = study_plots(_study(), tmp_path / "none", lambda n, r: skipped.setdefault(n, r),
                        importances=None, importance_title="t")  # fmt: skip
    assert "param_importances.png" not in [p.name for p in paths]
    assert "param_importances.png" in skipped
