"""One table over every experiment, and stores the sweep left incomplete or wrote long ago."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_lab.tracking.report import (
    build_report,
    compare_experiment,
    format_comparison,
    format_overview,
)

pytest.importorskip("mlflow")


def _acc(seed: int, base: float, n: int = 10) -> np.ndarray:
    return base + np.random.default_rng(seed).normal(0, 0.01, n)


def _pair(store, folds, name: str, nnfs: np.ndarray, mlp: np.ndarray) -> None:
    exp = store.experiment(name)
    store.family(exp, "nnfs", scores=folds("nnfs", nnfs), trials=[("COMPLETE", 0.8, 1.0, 20)])
    store.family(exp, "mlp", scores=folds("mlp", mlp), trials=[("COMPLETE", 0.8, 1.0, 20)])


def _line(text: str, dataset: str) -> str:
    return next(line for line in text.splitlines() if line.split()[:1] == [dataset])


def test_wins_ties_losses_over_every_experiment(store, folds):
    _pair(store, folds, "moons", _acc(0, 0.95), _acc(1, 0.85))
    _pair(store, folds, "spiral", _acc(9, 0.90), _acc(10, 0.80))
    same = _acc(2, 0.9)
    _pair(store, folds, "wine", same, same)
    _pair(store, folds, "breast", _acc(11, 0.9), _acc(12, 0.9))
    _pair(store, folds, "digits", _acc(3, 0.80), _acc(4, 0.90))
    comps = build_report(store.uri, log=False)
    names = sorted(c.experiment for c in comps)
    assert names == ["breast", "digits", "moons", "spiral", "wine"]  # not "Default"
    text = format_overview(comps)
    assert text.splitlines()[-1] == "nnfs vs mlp: 2 wins, 2 ties, 1 losses"
    assert _line(text, "breast").endswith("no detectable difference")
    assert _line(text, "moons").endswith("better")
    assert _line(text, "wine").endswith("no detectable difference")
    assert _line(text, "digits").endswith("worse")
    moons = next(c for c in comps if c.experiment == "moons")
    acc = moons.tests[0]
    row = _line(text, "moons")
    assert f"{acc['mean_diff']:+.4f} [{acc['ci_low']:+.4f}, {acc['ci_high']:+.4f}]" in row
    assert f"{_acc(0, 0.95).mean():.4f} ± {_acc(0, 0.95).std(ddof=1):.4f}" in row
    header = text.splitlines()[1].split()
    assert header[:4] == ["dataset", "nnfs", "test", "acc"]


def test_incomplete_and_old_stores(store, folds):
    old = store.experiment("old")  # nnfs from before outer_scores.csv: headline metrics only
    store.family(old, "nnfs", metrics={"best_value": 0.8})
    store.family(old, "mlp", scores=folds("mlp", _acc(5, 0.85)))
    solo = store.experiment("solo")  # the mlp sweep never ran
    store.family(solo, "nnfs", scores=folds("nnfs", _acc(6, 0.9)))
    broken = store.experiment("broken")  # every mlp fold diverged
    store.family(broken, "nnfs", scores=folds("nnfs", _acc(7, 0.9)))
    store.family(broken, "mlp", scores=folds("mlp", _acc(8, 0.9), failed=range(10)))
    seeds = store.experiment("seeds")  # an older per-seed table: no folds to pair on
    table = folds("nnfs", _acc(9, 0.9)).drop(columns=["repeat", "fold"])
    store.family(seeds, "nnfs", scores=table.rename(columns={"seed": "seed_index"}))
    store.family(seeds, "mlp", scores=folds("mlp", _acc(10, 0.8)))
    _pair(store, folds, "moons", _acc(0, 0.95), _acc(1, 0.85))

    comps = {c.experiment: c for c in build_report(store.uri, log=True)}
    assert set(comps) == {"old", "solo", "broken", "seeds", "moons"}
    assert comps["old"].tests == comps["solo"].tests == comps["seeds"].tests == []
    assert set(comps["seeds"].scores.family) == {"mlp"}
    assert [t["verdict"] for t in comps["broken"].tests] == ["not evaluated"] * 2
    assert comps["broken"].tests[0]["n_failed"] == 10
    for comp in comps.values():
        text = format_comparison(comp)
        assert "nan" not in text.lower() and comp.run_id is not None
    assert "not evaluated" in format_comparison(comps["old"])
    run = store.client.get_run(comps["broken"].run_id)
    assert run.data.tags["nnfs_lab.role"] == "comparison"
    assert run.data.tags["nnfs_vs_mlp.test_accuracy.verdict"] == "not evaluated"
    assert "nnfs_vs_mlp.test_accuracy.p_corrected" not in run.data.metrics
    arts = {a.path for a in store.client.list_artifacts(comps["old"].run_id)}
    assert {"comparison.html", "comparison.png", "pareto.png", "outer_scores.csv"} <= arts

    text = format_overview(list(comps.values()))
    assert "nan" not in text.lower()
    for name in ("old", "solo", "broken", "seeds"):
        assert _line(text, name).endswith("not evaluated")
    assert "not evaluated" in _line(text, "old").split("±")[0]  # nnfs has no test accuracy
    assert text.splitlines()[-1] == "nnfs vs mlp: 1 wins, 0 ties, 0 losses (4 not evaluated)"


def test_overview_of_one_family_and_of_nothing(store, folds):
    exp = store.experiment("solo")
    store.family(exp, "nnfs", scores=folds("nnfs", _acc(6, 0.9)))
    text = format_overview([compare_experiment(store.client, exp, log=False)])
    assert "solo" in text and "nnfs test acc" in text and "wins" not in text
    assert format_overview([]) == "no experiments to compare"
